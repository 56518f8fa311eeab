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
                "Enable row level security on the table, or the policies have no effect.",
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
