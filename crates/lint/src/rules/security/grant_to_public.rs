use crate::rules::prelude::*;
use dbarch_sql::change::{Grant, GrantObject, Privilege, SchemaChange};

pub static RULE: Rule = Rule {
    code: "SEC003",
    name: "grant-to-public",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "A privilege is granted to PUBLIC.",
    doc: Doc {
        what: "GRANT statements whose grantee is PUBLIC, except `USAGE ON SCHEMA` (which only lets roles see \
               names) and EXECUTE on functions.",
        why: "PUBLIC is every role that exists now or later: a reporting role, a replication user, an extension's \
              role, a compromised service. Table privileges for PUBLIC bypass whatever role design the application \
              has.",
        example: "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\nGRANT SELECT, INSERT ON customers TO PUBLIC;",
        use_instead: "CREATE ROLE app_readonly NOLOGIN;\nGRANT SELECT ON customers TO app_readonly;\nCREATE ROLE reporting LOGIN;\nGRANT app_readonly TO reporting;",
        fix_safety: Some(
            "Revoking may break a role that relied on the PUBLIC grant; grant it explicitly first.",
        ),
        references: &["https://www.postgresql.org/docs/current/ddl-priv.html"],
    },
    fixtures: fixtures!("SEC003"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for g in &cx.catalog.grants {
        if !g.grantees.iter().any(|r| r == "PUBLIC") {
            continue;
        }
        let harmless = (g.object_kind == "SCHEMA" && g.privileges.iter().all(|p| p == "USAGE"))
            || (g.object_kind.contains("FUNCTION")
                || g.object_kind.contains("ROUTINE")
                || g.object_kind.contains("PROCEDURE"));
        if harmless {
            continue;
        }
        let privs = g.privileges.join(", ");
        // One finding per object: the same grant written once for three tables, or three times, is the
        // same three problems (and a baseline keeps working either way).
        for object in &g.objects {
            out.push(
                g.origin,
                format!("{}:{object}:{privs}", g.object_kind),
                format!("{privs} on {} {object} is granted to PUBLIC", g.object_kind),
                "Grant to a dedicated role instead, and grant that role to the users that need it.",
                crate::rules::fix::sql(&[SchemaChange::Grant(Grant {
                    grant: false,
                    privileges: revoked(&g.object_kind, &g.privileges)
                        .iter()
                        .map(|p| Privilege::new(p))
                        .collect(),
                    object_kind: g.object_kind.clone(),
                    objects: vec![GrantObject::Named(object.clone())],
                    grantees: vec!["PUBLIC".into()],
                    with_grant_option: false,
                })]),
            );
        }
    }
}

/// The privileges to take back from PUBLIC: all it was granted, except USAGE on a schema (which only
/// lets roles see names, and without which nothing in the schema can be used): `ALL` on a schema is
/// revoked as CREATE.
fn revoked(object_kind: &str, privileges: &[String]) -> Vec<String> {
    if object_kind != "SCHEMA" {
        return privileges.to_vec();
    }
    if privileges.iter().any(|p| p == "ALL") {
        return vec!["CREATE".into()];
    }
    privileges
        .iter()
        .filter(|p| p.as_str() != "USAGE")
        .cloned()
        .collect()
}
