use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG031",
    name: "non-rerunnable-concurrent-index",
    category: Category::Migration,
    severity: Severity::Info,
    summary: "CREATE / DROP INDEX CONCURRENTLY without IF [NOT] EXISTS cannot simply be run again after a failure.",
    doc: Doc {
        what: "`CREATE INDEX CONCURRENTLY` without `IF NOT EXISTS`, and `DROP INDEX CONCURRENTLY` without \
               `IF EXISTS`, in a migration that runs outside a transaction.",
        why: "Outside a transaction nothing is rolled back: a CONCURRENTLY build that fails (a deadlock, a \
              duplicate in a unique index, a cancelled statement) leaves an INVALID index behind, and the \
              statements before it stay applied. Running the migration again then fails with `already exists` \
              (or `does not exist`) until someone cleans up by hand.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migration\n-- dbarch:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        use_instead: "-- a failed build left an INVALID index? drop it first:\n-- DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
        ],
    },
    fixtures: fixtures!("MIG031"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if cx.in_transaction {
        return;
    }
    let Some((what, fix)) = cx.changes.changes.iter().find_map(|c| match c {
        SchemaChange::CreateIndex(i) if i.concurrently && !i.if_not_exists => {
            Some(("CREATE INDEX CONCURRENTLY", "IF NOT EXISTS"))
        }
        SchemaChange::Drop(d) if d.concurrently && !d.if_exists && d.kind == ObjectKind::Index => {
            Some(("DROP INDEX CONCURRENTLY", "IF EXISTS"))
        }
        _ => None,
    }) else {
        return;
    };
    out.push(
        cx.stmt.span.into(),
        format!("rerun:{}", cx.stmt.span.start),
        format!("{what} without {fix}: if it fails, running the migration again fails too"),
        format!("Write {what} {fix} so the migration can be run again after a failure."),
        None,
    );
}
