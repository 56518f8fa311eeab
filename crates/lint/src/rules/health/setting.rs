use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB023",
    name: "setting",
    category: Category::Health,
    severity: Severity::Info,
    summary: "A server setting left at a default that does not suit a production server.",
    doc: Doc {
        what: "Settings such as `shared_buffers`, `work_mem`, `maintenance_work_mem`, `effective_cache_size`, `random_page_cost`, `log_min_duration_statement` and `track_io_timing` still at their compiled-in defaults.",
        why: "PostgreSQL's defaults are chosen to start on any machine, not to run well on the one it is on: 128 MB of shared buffers, a random_page_cost for spinning disks, no slow-query log.",
        example: "-- SHOW shared_buffers;  128MB   (on a 64 GB server)",
        use_instead: "ALTER SYSTEM SET shared_buffers = '16GB';   -- needs a restart\nALTER SYSTEM SET random_page_cost = 1.1;    -- SSD storage\nSELECT pg_reload_conf();",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/runtime-config.html"],
    },
    fixtures: fixtures!("DB023"),
    check: Check::Live,
};
