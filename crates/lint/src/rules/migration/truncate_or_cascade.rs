use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{Maintenance, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG017",
    name: "truncate-or-drop-cascade",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "TRUNCATE, or a DROP ... CASCADE that removes objects the migration does not name.",
    doc: Doc {
        what: "`TRUNCATE` of a table that existed before this migration, and any `DROP ... CASCADE`.",
        why: "TRUNCATE deletes every row at once under ACCESS EXCLUSIVE, is not MVCC-safe for concurrent readers, \
              and with CASCADE empties referencing tables too. DROP ... CASCADE silently drops whatever depends on \
              the object — views, foreign keys, defaults — that nobody reviewed in the migration.",
        example: "CREATE TABLE sessions (id bigint PRIMARY KEY);\n-- migration\nTRUNCATE sessions;",
        use_instead: "-- delete in batches, or drop dependants explicitly\nDELETE FROM sessions WHERE id IN (SELECT id FROM sessions LIMIT 10000);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-truncate.html",
            "https://www.postgresql.org/docs/current/ddl-depend.html",
        ],
    },
    fixtures: fixtures!("MIG017"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        match c {
            SchemaChange::Drop(d) if d.cascade => {
                out.push(
                    cx.stmt.span.into(),
                    format!("cascade:{}", cx.stmt.sql),
                    "DROP ... CASCADE also drops every dependent object (views, foreign keys, defaults) without naming them".to_string(),
                    "Drop the dependent objects explicitly, so the migration says what it removes.",
                    None,
                );
            }
            SchemaChange::Maintain(Maintenance::Truncate(_)) => {
                for (op, table) in &cx.operations {
                    if op.id == "truncate" {
                        out.push(
                            cx.stmt.span.into(),
                            format!("truncate:{table}"),
                            format!("TRUNCATE {table} deletes every row and {}", cx.knowledge.describe("truncate", cx.pg_version)),
                            "Delete in batches if the data must go; never TRUNCATE live tables in a migration.",
                            None,
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
