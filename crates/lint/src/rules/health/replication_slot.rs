use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB016",
    name: "replication-slot",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A replication slot that is inactive or retains a lot of WAL.",
    doc: Doc {
        what: "Slots of `pg_replication_slots` that are not active or keep more than 1 GB of WAL (error past 10 GB).",
        why: "A slot keeps every WAL segment its consumer has not confirmed, and (for logical slots) holds back vacuum's horizon. A consumer that went away fills the WAL disk until the server stops.",
        example: "-- slot old_replica  active = false  retained WAL = 48 GB",
        use_instead: "SELECT pg_drop_replication_slot('old_replica');  -- when its consumer is gone for good\n-- and cap what a slot may keep:\nALTER SYSTEM SET max_slot_wal_keep_size = '50GB';",
        fix_safety: Some(
            "Dropping a slot its consumer still needs forces that consumer to be rebuilt from a new base backup.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION-SLOTS",
        ],
    },
    fixtures: fixtures!("DB016"),
    check: Check::Live,
};
