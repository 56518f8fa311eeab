use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN009",
    name: "workers-not-launched",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "A parallel node launched fewer workers than it planned.",
    doc: Doc {
        what: "Gather and Gather Merge nodes whose `Workers Launched` is below `Workers Planned`.",
        why: "The plan was costed for the planned workers; with fewer, the leader does the rest alone and the query runs slower than the planner expected. The server ran out of `max_parallel_workers` or `max_worker_processes` at that moment.",
        example: "-- Gather  Workers Planned: 4  Workers Launched: 0",
        use_instead: "-- more background workers for parallel queries (max_worker_processes needs a restart):\nALTER SYSTEM SET max_parallel_workers = 16;\nSELECT pg_reload_conf();",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN009", "json"),
    check: Check::Plan,
};
