use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB009",
    name: "xid-wraparound",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A database or table whose oldest unfrozen transaction ID is far from being frozen.",
    doc: Doc {
        what: "Databases (`age(datfrozenxid)`) and tables (`age(relfrozenxid)`) past 500 million transactions, of the about 2 billion after which PostgreSQL stops assigning transaction IDs.",
        why: "Transaction IDs are 32 bits and wrap around. Vacuum freezes old rows so that they stay visible; when it falls behind, the server first forces aggressive anti-wraparound vacuums, then, near the limit, refuses every command that would assign a transaction ID until a manual VACUUM in single-user mode has finished: a complete outage.",
        example: "-- SELECT datname, age(datfrozenxid) FROM pg_database;   app  1,600,000,000",
        use_instead: "VACUUM (FREEZE, VERBOSE);  -- in that database, oldest tables first\n-- and find what holds back the xmin horizon: long transactions, replication slots, prepared transactions",
        fix_safety: Some(
            "VACUUM FREEZE reads and writes the whole table but blocks neither reads nor writes.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-WRAPAROUND",
        ],
    },
    fixtures: fixtures!("DB009"),
    check: Check::Live,
};
