use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{Maintenance, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG010",
    name: "reindex-not-concurrently",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "REINDEX without CONCURRENTLY blocks writes (and reads that use the index).",
    doc: Doc {
        what: "`REINDEX INDEX|TABLE|SCHEMA|DATABASE` without `CONCURRENTLY`, when the target version has it \
               (PostgreSQL 12+).",
        why: "A plain REINDEX takes a SHARE lock on the table (writes wait) and ACCESS EXCLUSIVE on the index \
              (queries that would use it wait) for the whole rebuild. REINDEX CONCURRENTLY rebuilds beside the old \
              index and swaps.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n-- migration\nREINDEX INDEX orders_user_id_idx;",
        use_instead: "-- dbarch:no-transaction\nREINDEX INDEX CONCURRENTLY orders_user_id_idx;",
        fix_safety: Some(
            "CONCURRENTLY cannot run in a transaction block; a failed run leaves an invalid `_ccnew` index to drop.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-reindex.html#SQL-REINDEX-CONCURRENTLY",
        ],
    },
    fixtures: fixtures!("MIG010"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if cx.pg_version < 12 {
        return;
    }
    for change in &cx.changes.changes {
        let SchemaChange::Maintain(Maintenance::Reindex {
            target,
            index,
            concurrently: false,
        }) = change
        else {
            continue;
        };
        // The same rebuild, CONCURRENTLY (it must then run outside a transaction block).
        let fix = crate::rules::fix::sql(&[SchemaChange::Maintain(Maintenance::Reindex {
            target: target.clone(),
            index: *index,
            concurrently: true,
        })]);
        out.push(
            cx.stmt.span.into(),
            format!("reindex:{}", cx.stmt.sql),
            format!(
                "REINDEX without CONCURRENTLY {}",
                cx.knowledge.describe("reindex", cx.pg_version)
            ),
            "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction block.",
            fix,
        );
    }
}
