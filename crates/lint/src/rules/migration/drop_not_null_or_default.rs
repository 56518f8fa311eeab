use super::alter_existing;
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::AlterTable;

pub static RULE: Rule = Rule {
    code: "MIG024",
    name: "drop-not-null-or-default",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "DROP NOT NULL or DROP DEFAULT on an existing column changes what running code can rely on.",
    doc: Doc {
        what: "`ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL` and `... DROP DEFAULT` on a column of a table that \
               existed before this migration.",
        why: "They are instant, but they change the contract of the column for the code that is running: after \
              DROP NOT NULL readers that assumed a value meet NULLs; after DROP DEFAULT inserts that omitted the \
              column store NULL or fail on NOT NULL. Deploy the code that no longer relies on it first.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, locale text NOT NULL DEFAULT 'en');\n-- migration\nALTER TABLE users ALTER COLUMN locale DROP DEFAULT;",
        use_instead: "-- after every writer sets locale explicitly (deployed first):\nALTER TABLE users ALTER COLUMN locale DROP DEFAULT;  -- dbarch:ignore MIG024 writers set it since release 42",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-altertable.html"],
    },
    fixtures: fixtures!("MIG024"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for (t, commands) in alter_existing(cx) {
        for c in commands {
            let (name, what, key) = match c {
                AlterTable::DropNotNull(name) => (
                    name,
                    "DROP NOT NULL: readers that assume a value will meet NULLs",
                    "not-null",
                ),
                AlterTable::SetDefault {
                    column,
                    default: None,
                } => (
                    column,
                    "DROP DEFAULT: inserts that omit the column no longer get a value",
                    "default",
                ),
                _ => continue,
            };
            let Some(col) = t.column(name) else {
                continue;
            };
            if (key == "not-null" && !col.not_null) || (key == "default" && col.default.is_none()) {
                continue;
            }
            out.push(
                cx.stmt.span.into(),
                format!("{}.{}:{key}", t.name, name),
                format!("{}.{} {what}", t.name, name),
                "Deploy the code that no longer relies on it before this migration.",
                None,
            );
        }
    }
}
