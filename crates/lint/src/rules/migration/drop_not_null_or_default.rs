use super::{alter_existing, is};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::ast::AlterTableType;

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
    let Some((t, cmds)) = alter_existing(cx) else {
        return;
    };
    for c in cmds {
        let Some(col) = t.column(&c.name) else {
            continue;
        };
        let what = if is(c, AlterTableType::AtDropNotNull) && col.not_null {
            "DROP NOT NULL: readers that assume a value will meet NULLs"
        } else if is(c, AlterTableType::AtColumnDefault) && c.def.is_none() && col.default.is_some()
        {
            "DROP DEFAULT: inserts that omit the column no longer get a value"
        } else {
            continue;
        };
        out.push(
            cx.stmt.span.into(),
            format!(
                "{}.{}:{}",
                t.name,
                c.name,
                if what.starts_with("DROP NOT") {
                    "not-null"
                } else {
                    "default"
                }
            ),
            format!("{}.{} {what}", t.name, c.name),
            "Deploy the code that no longer relies on it before this migration.",
            None,
        );
    }
}
