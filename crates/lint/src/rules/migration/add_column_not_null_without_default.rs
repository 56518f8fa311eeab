use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterTable, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG005",
    name: "add-column-not-null-without-default",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "ADD COLUMN ... NOT NULL without a default fails on a table that has rows.",
    doc: Doc {
        what: "`ALTER TABLE ... ADD COLUMN ... NOT NULL` with no DEFAULT (and not an identity or generated column) \
               on a table that existed before this migration.",
        why: "Existing rows get NULL in the new column, which violates NOT NULL: PostgreSQL aborts with \
              `column ... contains null values`. It passes on an empty development database and fails in production.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE users ADD COLUMN locale text NOT NULL;",
        use_instead: "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';  -- constant default: no rewrite since PostgreSQL 11",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-altertable.html"],
    },
    fixtures: fixtures!("MIG005"),
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
        for c in commands {
            let AlterTable::AddColumn { column: d, .. } = c else {
                continue;
            };
            if crate::migration::declares_not_null(d) && !crate::migration::fills_existing_rows(d) {
                out.push(
                    d.at.into(),
                    format!("{}.{}", t.name, d.name),
                    format!("adding NOT NULL column {}.{} without a default fails if {} has any row", t.name, d.name, t.name),
                    "Give the column a constant default, or add it nullable, backfill, then set NOT NULL safely.",
                    None,
                );
            }
        }
    }
}
