use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB018",
    name: "over-privileged-login",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "A login role that is superuser, bypasses RLS or may create roles.",
    doc: Doc {
        what: "Roles other than the bootstrap superuser that can log in and have SUPERUSER (error), BYPASSRLS or CREATEROLE.",
        why: "An application that logs in with such a role turns every SQL injection or leaked password into control of the whole server (superuser can run programs as the server's OS user) or of every tenant's rows (BYPASSRLS).",
        example: "CREATE ROLE app LOGIN SUPERUSER PASSWORD '...';",
        use_instead: "ALTER ROLE app NOSUPERUSER NOBYPASSRLS NOCREATEROLE;\nGRANT app_rw TO app;  -- a group role with exactly the grants it needs",
        fix_safety: Some(
            "Revoking attributes takes effect for new sessions; check what the application does that needed them.",
        ),
        references: &["https://www.postgresql.org/docs/current/role-attributes.html"],
    },
    fixtures: fixtures!("DB018"),
    check: Check::Live,
};
