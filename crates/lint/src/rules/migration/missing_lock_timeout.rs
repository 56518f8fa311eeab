use crate::knowledge::LockLevel;
use crate::migration::StatementContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "MIG009",
    name: "missing-lock-timeout",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "A statement takes ACCESS EXCLUSIVE on an existing table with no lock_timeout set.",
    doc: Doc {
        what: "The first statement of a migration that takes an ACCESS EXCLUSIVE lock on a table that existed \
               before it (ALTER TABLE, DROP INDEX, RENAME, ...), when the migration has not run `SET lock_timeout` \
               before it. Reported once per migration.",
        why: "Even an instant change must first get its lock. While it waits behind a long query or an idle \
              transaction, every new query on the table queues behind it: a one-millisecond ALTER becomes an \
              outage. With lock_timeout the migration gives up quickly and can be retried.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE users ADD COLUMN nickname text;",
        use_instead: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;",
        fix_safety: Some("The statement fails when the timeout expires; retry the migration."),
        references: &[
            "https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT",
            "https://www.postgresql.org/docs/current/explicit-locking.html",
        ],
    },
    fixtures: fixtures!("MIG009"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    // Reported once per migration, at the first statement that needs the lock.
    if cx.lock_timeout_set || cx.access_exclusive_before {
        return;
    }
    let Some((op, table)) = cx
        .operations
        .iter()
        .find(|(o, _)| o.lock == LockLevel::AccessExclusive)
    else {
        return;
    };
    out.push(
        cx.stmt.span.into(),
        format!("{table}:{}:{}", op.id, cx.stmt.span.start),
        format!("{} on {table} takes ACCESS EXCLUSIVE with no lock_timeout: waiting for the lock blocks every query on {table}", op.statement),
        "Set a lock_timeout at the start of the migration so a blocked lock fails fast instead of queueing traffic.",
        crate::rules::fix::sql(&[dbarch_sql::change::SchemaChange::SetSetting {
            name: "lock_timeout".into(),
            value: Some("2s".into()),
        }]),
    );
}
