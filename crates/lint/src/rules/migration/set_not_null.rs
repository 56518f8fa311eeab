use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterTable, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG006",
    name: "set-not-null",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "SET NOT NULL scans an existing table under an ACCESS EXCLUSIVE lock.",
    doc: Doc {
        what: "`ALTER TABLE ... ALTER COLUMN ... SET NOT NULL` on a table that existed before this migration, \
               unless a validated `CHECK (col IS NOT NULL)` already proves it (PostgreSQL 12+).",
        why: "PostgreSQL checks every row while holding ACCESS EXCLUSIVE: no reads or writes for the whole scan. \
              Since PostgreSQL 12 it skips the scan when a valid CHECK constraint already implies NOT NULL, and \
              such a constraint can be added NOT VALID and validated without blocking.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migration\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        use_instead: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;  -- no write lock\nALTER TABLE users ALTER COLUMN email SET NOT NULL;             -- no scan (PostgreSQL 12+)\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
        fix_safety: Some(
            "Run the VALIDATE in its own transaction (separate migration) so the brief locks are not \
                          held together.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL",
        ],
    },
    fixtures: fixtures!("MIG006"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for change in &cx.changes.changes {
        let SchemaChange::AlterTable { name, commands, .. } = change else {
            continue;
        };
        let Some(t) = cx.existing(name) else {
            continue;
        };
        for column in commands.iter().filter_map(|c| match c {
            AlterTable::SetNotNull(column) => Some(column),
            _ => None,
        }) {
            set_not_null(cx, t, column, out);
        }
    }
}

fn set_not_null(cx: &StatementContext, t: &dbarch_catalog::Table, column: &str, out: &mut Sink) {
    let proven = cx.pg_version >= 12 && super::not_null_proven(t, column);
    if proven || t.column(column).is_some_and(|c| c.not_null) {
        return;
    }
    let cname = format!("{}_{column}_not_null", t.name.name);
    let fix = if cx.pg_version >= 12 {
        use crate::rules::fix::{alter, constraint, sql};
        use dbarch_sql::change::ConstraintDefKind;
        let check = constraint(
            Some(&cname),
            ConstraintDefKind::Check {
                expr: format!("{} IS NOT NULL", quote_ident(column)),
                columns: vec![column.to_string()],
            },
            true,
        );
        sql(&[
            alter(&t.name, vec![AlterTable::AddConstraint(check)]),
            alter(&t.name, vec![AlterTable::ValidateConstraint(cname.clone())]),
            alter(&t.name, vec![AlterTable::SetNotNull(column.to_string())]),
            alter(&t.name, vec![AlterTable::DropConstraint(cname.clone())]),
        ])
    } else {
        None
    };
    out.push(
        cx.stmt.span.into(),
        format!("{}.{column}", t.name),
        format!("SET NOT NULL on {}.{column} {}", t.name, cx.knowledge.describe("set-not-null", cx.pg_version)),
        "Prove it first with a CHECK (col IS NOT NULL) NOT VALID constraint, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan).",
        fix,
    );
}
