use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "SEC004",
    name: "rls-policies-not-enforced",
    category: Category::Security,
    severity: Severity::Error,
    summary: "A table has row level security policies but row level security is not enabled (or the reverse).",
    doc: Doc {
        what: "Tables with CREATE POLICY statements on which `ENABLE ROW LEVEL SECURITY` was never run, and tables \
               with row level security enabled but no policy at all.",
        why: "Policies on a table without row level security enabled are silently ignored: the schema reads as \
              isolated and is not. The reverse — enabled with no policy — denies every row to every role but the \
              owner, which usually surfaces as an empty page in production.",
        example: "CREATE TABLE documents (id bigint PRIMARY KEY, owner_id bigint NOT NULL);\nCREATE POLICY documents_owner ON documents USING (owner_id = current_setting('app.user_id')::bigint);",
        use_instead: "ALTER TABLE documents ENABLE ROW LEVEL SECURITY;\nCREATE POLICY documents_owner ON documents USING (owner_id = current_setting('app.user_id')::bigint);",
        fix_safety: Some(
            "Enabling row level security changes what every non-owner role sees at once; check that the \
                          policies cover all the application's commands (SELECT, INSERT, UPDATE, DELETE).",
        ),
        references: &["https://www.postgresql.org/docs/current/ddl-rowsecurity.html"],
    },
    fixtures: fixtures!("SEC004"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        if !t.policies.is_empty() && !t.rls_enabled {
            let names: Vec<&str> = t.policies.iter().map(|p| p.name.as_str()).collect();
            out.push(
                t.policies[0].origin,
                t.name.to_string(),
                format!(
                    "policies on {} ({}) are ignored: row level security is not enabled",
                    t.name,
                    names.join(", ")
                ),
                format!(
                    "Enable row level security on the table, or the policies have no effect.{}",
                    session_settings(&t.policies)
                ),
                crate::rules::fix::sql(&[crate::rules::fix::alter(
                    &t.name,
                    vec![dbarch_sql::change::AlterTable::RowSecurity(true)],
                )]),
            );
        } else if t.policies.is_empty() && t.rls_enabled {
            out.push(
                t.origin,
                t.name.to_string(),
                format!("row level security is enabled on {} but it has no policy: non-owner roles see no rows", t.name),
                "Add the policies the application roles need.",
                None,
            );
        }
    }
}

/// What the application must do once the policies apply: the session settings they read. A setting read
/// without `missing_ok` makes every query of a session that has not set it fail.
fn session_settings(policies: &[dbarch_catalog::Policy]) -> String {
    let mut settings = std::collections::BTreeMap::<String, bool>::new();
    for p in policies {
        for text in p.using.iter().chain(&p.with_check) {
            for (name, missing_ok) in current_settings(text) {
                *settings.entry(name).or_insert(true) &= missing_ok;
            }
        }
    }
    if settings.is_empty() {
        return String::new();
    }
    let names = settings.keys().cloned().collect::<Vec<_>>().join(", ");
    let failing = settings.values().any(|ok| !ok);
    format!(
        " The policies read the session setting{} {names}: the application must SET {} in every session \
         (or SET LOCAL in every transaction) before its queries, {}.",
        if settings.len() == 1 { "" } else { "s" },
        if settings.len() == 1 { "it" } else { "them" },
        if failing {
            "which otherwise fail (`unrecognized configuration parameter`, or an empty value that does not \
             convert)"
        } else {
            "which otherwise see no rows"
        }
    )
}

/// The settings `current_setting('name' [, missing_ok])` calls in an expression read, with whether the
/// call passes `missing_ok` true.
fn current_settings(expr: &str) -> Vec<(String, bool)> {
    let lower = expr.to_ascii_lowercase();
    let mut out = vec![];
    let mut from = 0;
    while let Some(at) = lower[from..].find("current_setting") {
        let start = from + at + "current_setting".len();
        from = start;
        let rest = lower[start..].trim_start();
        let Some(rest) = rest.strip_prefix('(') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('\'') else {
            continue;
        };
        let Some(end) = rest.find('\'') else { continue };
        let name = rest[..end].to_string();
        let after = rest[end + 1..].trim_start();
        let missing_ok = after
            .strip_prefix(',')
            .is_some_and(|a| a.trim_start().starts_with("true"));
        out.push((name, missing_ok));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_settings_the_policies_read_are_named() {
        assert_eq!(
            super::current_settings("(owner_id = (current_setting('app.user_id'::text))::bigint)"),
            vec![("app.user_id".to_string(), false)]
        );
        assert_eq!(
            super::current_settings("org_id = current_setting( 'app.org', true)::uuid"),
            vec![("app.org".to_string(), true)]
        );
        let f = crate::lint_text(
            "f.sql",
            super::RULE.fixtures.triggers,
            &crate::Config::only(&["SEC004"]),
        )
        .unwrap();
        assert!(
            f[0].help.contains("session setting app.user_id"),
            "{}",
            f[0].help
        );
        assert!(f[0].help.contains("otherwise fail"), "{}", f[0].help);
    }
}
