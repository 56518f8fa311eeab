use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB026",
    name: "replication-lag",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A standby that is not streaming, or replays more than a minute behind.",
    doc: Doc {
        what: "On a primary: `pg_stat_replication` standbys not in the streaming state or whose replay lag passes 60 s. On a replica: replay paused or behind.",
        why: "A lagging standby serves stale reads, and a failover to it loses or delays the transactions it has not replayed: the recovery point and time objectives are only as good as the lag.",
        example: "-- standby replica-2  state = streaming  replay_lag = 00:04:10",
        use_instead: "-- find the cause (network, I/O on the standby, a long query on it with hot_standby_feedback),\n-- and alert on it; for reads that must be fresh, read from the primary",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW",
        ],
    },
    fixtures: fixtures!("DB026"),
    check: Check::Live,
};
