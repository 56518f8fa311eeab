use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{Lowered, SchemaChange, Transaction};

pub static RULE: Rule = Rule {
    code: "MIG028",
    name: "transaction-nesting",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "BEGIN or COMMIT that fights the migration tool's transaction, or a transaction left open.",
    doc: Doc {
        what: "In a migration the tool runs in a transaction: `BEGIN` (a warning and a no-op) and `COMMIT` / \
               `ROLLBACK` (which end the tool's transaction early; `COMMIT AND CHAIN` opens the next at once \
               and is not reported). In any migration: a `BEGIN` inside an open transaction block, a `BEGIN` \
               never followed by `COMMIT` or `ROLLBACK`, and `COMMIT AND CHAIN` outside an explicit block \
               (PostgreSQL refuses it). A file the tool sends as one query (golang-migrate) may hold its own \
               `BEGIN ... COMMIT`.",
        why: "A COMMIT inside a wrapped migration commits half of it: the statements after it run outside any \
              transaction, and a failure there leaves the schema half-migrated while the tool believes it can \
              roll back. A transaction left open holds every lock it took until the session ends.",
        example: "-- migration\nCREATE TABLE a (id bigint PRIMARY KEY);\nCOMMIT;\nCREATE TABLE b (id bigint PRIMARY KEY);",
        use_instead: "-- one migration, one transaction (the tool's):\nCREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);\n-- or opt out with -- dbarch:no-transaction (or the tool's own marker) and write BEGIN ... COMMIT yourself",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-begin.html"],
    },
    fixtures: fixtures!("MIG028"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    let Some(t) = cx.changes.changes.iter().find_map(|c| match c {
        SchemaChange::Transaction(t) => Some(*t),
        _ => None,
    }) else {
        return;
    };
    let begins = t == Transaction::Begin;
    let ends = |l: &Lowered| {
        l.changes
            .iter()
            .any(|c| *c == SchemaChange::Transaction(Transaction::End))
    };
    let message = if begins && cx.tool_wraps {
        "BEGIN in a migration the tool already runs in a transaction: PostgreSQL ignores it with a warning, and the COMMIT that usually follows ends the tool's transaction early"
    } else if begins && cx.open_before {
        "BEGIN inside an open transaction block does nothing (PostgreSQL warns): the first COMMIT ends the outer transaction"
    } else if t == Transaction::End && cx.tool_wraps && cx.open_before {
        "COMMIT/ROLLBACK in a migration the tool runs in a transaction ends that transaction early: the statements after it run outside any transaction, and the tool's own COMMIT then finds none"
    } else if t == Transaction::Chain && !cx.open_before {
        if cx.mode == dbarch_migrate::Transaction::Implicit {
            "COMMIT AND CHAIN outside an explicit transaction block: PostgreSQL refuses it (`COMMIT AND CHAIN can only be used in transaction blocks`), and the whole file, sent as one query, fails"
        } else {
            "COMMIT AND CHAIN outside an explicit transaction block: PostgreSQL refuses it (`COMMIT AND CHAIN can only be used in transaction blocks`)"
        }
    } else if begins && !cx.rest.iter().any(ends) {
        "BEGIN without a COMMIT or ROLLBACK later in the migration: the transaction, and every lock it took, stays open"
    } else {
        return;
    };
    out.push(
        cx.stmt.span.into(),
        format!("tx:{}", cx.stmt.span.start),
        message.to_string(),
        "Let the tool own the transaction, or opt out of it and write BEGIN ... COMMIT yourself.",
        None,
    );
}
