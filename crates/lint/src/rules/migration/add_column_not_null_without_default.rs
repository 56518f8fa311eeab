use super::columns_added_to_existing;
use crate::migration::StatementContext;
use crate::rules::prelude::*;

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
    let Some((t, added)) = columns_added_to_existing(cx) else {
        return;
    };
    for d in added {
        let not_null = super::declares_not_null(d);
        let filled = super::fills_existing_rows(d);
        if not_null && !filled {
            out.push(
                cx.stmt.span_at(d.location, d.colname.len()).into(),
                format!("{}.{}", t.name, d.colname),
                format!("adding NOT NULL column {}.{} without a default fails if {} has any row", t.name, d.colname, t.name),
                "Give the column a constant default, or add it nullable, backfill, then set NOT NULL safely.",
                None,
            );
        }
    }
}
