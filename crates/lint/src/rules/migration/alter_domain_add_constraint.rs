use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterDomain, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG029",
    name: "alter-domain-add-constraint",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID checks every column of that domain.",
    doc: Doc {
        what: "`ALTER DOMAIN ... ADD CONSTRAINT` (a CHECK or NOT NULL) without `NOT VALID`.",
        why: "The new constraint is checked against every row of every table with a column of the domain, \
              while those tables are locked against writes (SHARE). On large tables that is a long write outage, \
              and it is not obvious from the statement which tables it touches.",
        example: "CREATE DOMAIN email AS text;\nCREATE TABLE users (id bigint PRIMARY KEY, address email);\n-- migration\nALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
        use_instead: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;\n-- later, in its own migration:\nALTER DOMAIN email VALIDATE CONSTRAINT email_has_at;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-alterdomain.html"],
    },
    fixtures: fixtures!("MIG029"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        let SchemaChange::AlterDomain {
            name,
            command:
                AlterDomain::AddConstraint {
                    name: constraint,
                    not_valid: false,
                },
        } = c
        else {
            continue;
        };
        let name = match &name.schema {
            Some(s) => format!("{s}.{}", name.name),
            None => name.name.clone(),
        };
        out.push(
            cx.stmt.span.into(),
            format!("domain:{name}:{}", constraint.as_deref().unwrap_or("")),
            format!("ALTER DOMAIN {name} ADD CONSTRAINT checks every column of type {name} in every table, blocking writes to them meanwhile"),
            "Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
            None,
        );
    }
}
