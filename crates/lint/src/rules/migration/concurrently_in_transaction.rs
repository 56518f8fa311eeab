use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{Maintenance, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG002",
    name: "concurrently-in-transaction",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A CONCURRENTLY operation inside a transaction block fails.",
    doc: Doc {
        what: "`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` or `ALTER TABLE ... \
               DETACH PARTITION ... CONCURRENTLY` in a migration \
               that runs inside a transaction: one its tool opens (diesel, sqlx, Flyway, dbmate and golang-migrate \
               files run as one transaction by default) or an explicit BEGIN; or one a DO block or a function \
               the migration calls runs, which PostgreSQL refuses in or out of a transaction.",
        why: "PostgreSQL refuses: `CREATE INDEX CONCURRENTLY cannot run inside a transaction block` (in a DO \
              block: `cannot be executed from a function`). The migration fails at deploy time.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- migration\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
        use_instead: "-- dbarch:no-transaction\n-- (diesel: metadata.toml run_in_transaction = false; sqlx: -- no-transaction;\n--  dbmate: -- migrate:up transaction:false; Flyway: executeInTransaction=false)\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
        ],
    },
    fixtures: fixtures!("MIG002"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if !cx.in_transaction {
        return;
    }
    let Some(what) = cx.changes.changes.iter().find_map(|c| match c {
        SchemaChange::CreateIndex(i) if i.concurrently => Some("CREATE INDEX CONCURRENTLY"),
        SchemaChange::Drop(d) if d.concurrently => Some("DROP INDEX CONCURRENTLY"),
        SchemaChange::Maintain(Maintenance::Reindex {
            concurrently: true, ..
        }) => Some("REINDEX CONCURRENTLY"),
        SchemaChange::AlterTable { commands, .. }
            if commands.iter().any(|c| {
                matches!(
                    c,
                    dbarch_sql::change::AlterTable::DetachPartition {
                        concurrently: true,
                        ..
                    }
                )
            }) =>
        {
            Some("ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY")
        }
        _ => None,
    }) else {
        return;
    };
    out.push(
        cx.stmt.span.into(),
        format!("{}:{}", what, cx.stmt.span.start),
        match cx.mode {
            _ if cx.in_routine => format!(
                "{what} cannot be executed from a DO block or a function, in a transaction or not"
            ),
            dbarch_migrate::Transaction::Implicit => format!(
                "{what} cannot run inside a transaction block; the tool sends this file as one query, which PostgreSQL runs in one (implicit) block"
            ),
            _ => format!("{what} cannot run inside a transaction block; this migration runs in one"),
        },
        if cx.in_routine {
            "Take it out of the block, into a migration that runs outside a transaction, with this statement alone."
        } else {
            "Run this migration outside a transaction (mark it for your migration tool), with this statement alone."
        },
        None,
    );
}
