use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB007",
    name: "dead-tuples",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A table with many dead rows that vacuum has not removed.",
    doc: Doc {
        what: "Tables whose `n_dead_tup` is at least 10,000 and more than 20% of their rows (`pg_stat_user_tables`).",
        why: "Dead rows take space and make every sequential scan and many index scans read more pages. Their number growing means autovacuum cannot keep up with the table's updates and deletes, or something (a long transaction, an old replication slot, a prepared transaction) holds back the horizon below which it may remove them.",
        example: "-- pg_stat_user_tables: events  n_live_tup = 1,000,000  n_dead_tup = 600,000  last_autovacuum = 3 days ago",
        use_instead: "VACUUM (VERBOSE, ANALYZE) events;\n-- and make autovacuum visit it sooner:\nALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.02);",
        fix_safety: Some(
            "VACUUM takes a SHARE UPDATE EXCLUSIVE lock; reads and writes go on. VERBOSE reports rows it could not remove, and why.",
        ),
        references: &["https://www.postgresql.org/docs/current/routine-vacuuming.html"],
    },
    fixtures: fixtures!("DB007"),
    check: Check::Live,
};
