use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG003",
    name: "require-concurrent-index-deletion",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "DROP INDEX without CONCURRENTLY on an existing table.",
    doc: Doc {
        what: "`DROP INDEX` without `CONCURRENTLY` for an index of a table that existed before this migration.",
        why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: while it waits for running queries to \
              finish, every new read and write queues behind it. CONCURRENTLY waits without blocking.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n-- migration\nDROP INDEX orders_user_id_idx;",
        use_instead: "-- dbarch:no-transaction\nDROP INDEX CONCURRENTLY orders_user_id_idx;",
        fix_safety: Some(
            "CONCURRENTLY cannot run in a transaction block, and cannot drop the index behind a \
                          constraint (drop the constraint instead).",
        ),
        references: &["https://www.postgresql.org/docs/current/sql-dropindex.html"],
    },
    fixtures: fixtures!("MIG003"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for change in &cx.changes.changes {
        let SchemaChange::Drop(d) = change else {
            continue;
        };
        if d.concurrently || d.kind != ObjectKind::Index {
            continue;
        }
        let Some((_, table)) = cx.operations.iter().find(|(op, _)| op.id == "drop-index") else {
            continue;
        };
        // The same drop, CONCURRENTLY.
        let mut concurrent = d.clone();
        concurrent.concurrently = true;
        out.push(
            cx.stmt.span.into(),
            format!("{table}:{}", cx.stmt.sql),
            format!(
                "DROP INDEX on {table} {}",
                cx.knowledge.describe("drop-index", cx.pg_version)
            ),
            "Drop it CONCURRENTLY, in a migration that runs outside a transaction.",
            crate::rules::fix::sql(&[SchemaChange::Drop(concurrent)]),
        );
    }
}
