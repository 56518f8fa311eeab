use crate::knowledge::LockLevel;
use crate::migration::StatementContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "MIG020",
    name: "multiple-access-exclusive",
    category: Category::Migration,
    severity: Severity::Info,
    summary: "A transaction takes ACCESS EXCLUSIVE locks on more than one existing table.",
    doc: Doc {
        what: "A statement that takes ACCESS EXCLUSIVE on an existing table, in a transaction in which an earlier \
               statement already took ACCESS EXCLUSIVE on a different existing table.",
        why: "Locks are held until COMMIT. Holding an exclusive lock on one table while queueing for another \
              multiplies the time both are unavailable and, with application transactions taking the same locks in \
              the other order, invites deadlocks.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n-- migration\nSET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;",
        use_instead: "-- one table per migration (or per transaction)\nSET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-DEADLOCKS",
        ],
    },
    fixtures: fixtures!("MIG020"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if !cx.in_transaction || cx.locked_exclusive.is_empty() {
        return;
    }
    for (op, table) in &cx.operations {
        if op.lock == LockLevel::AccessExclusive && !cx.locked_exclusive.contains(table) {
            let mut held: Vec<String> = cx.locked_exclusive.iter().map(|t| t.to_string()).collect();
            held.sort();
            out.push(
                cx.stmt.span.into(),
                format!("{table}:{}", held.join(",")),
                format!("this transaction already holds ACCESS EXCLUSIVE on {} and now takes it on {table}", held.join(", ")),
                "Change one table per transaction, so each lock is held briefly and never while waiting for another.",
                None,
            );
            return;
        }
    }
}
