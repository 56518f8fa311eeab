use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB012",
    name: "long-transaction",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A session in a transaction, active or idle, for more than 5 minutes.",
    doc: Doc {
        what: "Sessions of `pg_stat_activity` whose transaction started more than 300 seconds ago (`idle in transaction` ones say so).",
        why: "An open transaction holds its locks, so DDL and other writers queue behind it, and holds back the horizon vacuum cleans to: no dead row newer than its snapshot can be removed anywhere in the database. An application that forgets to commit turns into bloat and lock waits.",
        example: "-- pid 4242  state = idle in transaction  xact_start = 2 hours ago",
        use_instead: "SELECT pg_terminate_backend(4242);  -- after finding out what it is\n-- and set a limit for the application's role:\nALTER ROLE app SET idle_in_transaction_session_timeout = '60s';",
        fix_safety: Some("Terminating a session rolls back its transaction."),
        references: &[
            "https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-IN-TRANSACTION-SESSION-TIMEOUT",
        ],
    },
    fixtures: fixtures!("DB012"),
    check: Check::Live,
};
