use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB014",
    name: "connections-near-max",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "Connections are close to max_connections.",
    doc: Doc {
        what: "The number of connections in `pg_stat_activity` against `max_connections` minus the reserved superuser slots: past 80% (error past 95%), and idle connections when they are most of them.",
        why: "When the limit is reached, new connections are refused. Many idle connections cost memory per backend and make every snapshot slower to take; a pooler serves the same clients with a few server connections.",
        example: "-- 190 of 197 usable connections, 170 of them idle",
        use_instead: "-- put a pooler (PgBouncer in transaction mode) in front of the application,\n-- or lower the applications' pool sizes; raising max_connections needs a restart",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS",
        ],
    },
    fixtures: fixtures!("DB014"),
    check: Check::Live,
};
