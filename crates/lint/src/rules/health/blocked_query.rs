use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB013",
    name: "blocked-query",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A session waiting for a lock another session holds.",
    doc: Doc {
        what: "Sessions whose `pg_blocking_pids()` is not empty, with who blocks them and for how long they have waited.",
        why: "Lock waits stack: a DDL statement waiting for an ACCESS EXCLUSIVE lock blocks every later reader of the table too. The blocker is usually a long transaction or a migration without lock_timeout.",
        example: "-- pid 5001 waits 40 s for a lock on orders held by pid 4242 (idle in transaction)",
        use_instead: "-- release the blocker, or give migrations a limit:\nSET lock_timeout = '3s';",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-INFO-SESSION",
        ],
    },
    fixtures: fixtures!("DB013"),
    check: Check::Live,
};
