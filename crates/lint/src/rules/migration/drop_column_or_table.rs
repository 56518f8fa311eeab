use super::alter_existing;
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::AlterTable;

pub static RULE: Rule = Rule {
    code: "MIG013",
    name: "drop-column-or-table",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "Dropping a column or table destroys data and breaks code still using it.",
    doc: Doc {
        what: "`ALTER TABLE ... DROP COLUMN` and `DROP TABLE` for objects that existed before this migration.",
        why: "The data is gone (restoring means a backup), and the application version still running during the \
              deploy fails on the missing column or table; ORMs that select every column fail even without \
              using it. Deploy the code that stops using it first, then drop in a later migration.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, legacy_flag boolean);\n-- migration\nALTER TABLE users DROP COLUMN legacy_flag;",
        use_instead: "-- release 1: stop reading and writing the column (and tell the ORM to ignore it)\n-- release 2:\nALTER TABLE users DROP COLUMN legacy_flag;  -- with a dbarch:ignore naming the release that removed its use",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html",
            "https://www.postgresql.org/docs/current/sql-droptable.html",
        ],
    },
    fixtures: fixtures!("MIG013"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for (t, commands) in alter_existing(cx) {
        for c in commands {
            let AlterTable::DropColumn { column, .. } = c else {
                continue;
            };
            let Some(col) = t.column(column) else {
                continue;
            };
            // A down dropping the column its up added undoes the migration.
            if cx.undoing.is_some() && col.origin.span().map(|s| s.file) == cx.undoing {
                continue;
            }
            out.push(
                cx.stmt.span.into(),
                format!("{}.{}", t.name, column),
                format!("dropping column {}.{} destroys its data and breaks code that still selects it", t.name, column),
                "Remove every use in the application and deploy that first; drop the column in a later migration.",
                None,
            );
        }
    }
    for (op, table) in &cx.operations {
        if op.id == "drop-table" {
            out.push(
                cx.stmt.span.into(),
                table.to_string(),
                format!("dropping table {table} destroys its data and breaks code that still uses it"),
                "Deploy the code that stops using the table first; keep a backup or rename it aside before dropping.",
                None,
            );
        }
    }
}
