use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB002",
    name: "unused-index",
    category: Category::Indexes,
    severity: Severity::Info,
    summary: "A non-unique index larger than 1 MB that no scan has used since the statistics were reset.",
    doc: Doc {
        what: "Indexes with `idx_scan = 0` in `pg_stat_user_indexes` that back no constraint, are valid, are not unique and take more than 1 MB; the evidence names the date the counters start from (`pg_stat_database.stats_reset`, or the cluster's start).",
        why: "Every index is written on each INSERT and on each UPDATE that changes its columns or cannot stay HOT, is vacuumed, and takes space in shared buffers and in backups. An index no query reads is pure cost. The counters are per server: a standby's queries count on the standby only, so check every server before dropping.",
        example: "-- pg_stat_user_indexes: orders_legacy_status_idx  idx_scan = 0  size = 1.2 GB",
        use_instead: "-- after checking the standbys and a full business cycle (month-end jobs):\nDROP INDEX CONCURRENTLY orders_legacy_status_idx;",
        fix_safety: Some(
            "DROP INDEX CONCURRENTLY takes a SHARE UPDATE EXCLUSIVE lock and waits for the transactions using the index; it cannot run inside a transaction block. Keep the definition (pg_indexes.indexdef) to recreate it.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ALL-INDEXES-VIEW",
        ],
    },
    fixtures: fixtures!("DB002"),
    check: Check::Live,
};
