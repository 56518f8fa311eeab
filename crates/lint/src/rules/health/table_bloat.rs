use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB024",
    name: "table-bloat",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "A table much larger than its live rows need.",
    doc: Doc {
        what: "Tables whose size exceeds the size their rows need (estimated from `pg_stats` widths, the types' alignment and the fill factor) by more than 30% and 8 MB.",
        why: "Space freed by vacuum is reused but not returned: a table that once held far more rows, or whose vacuum fell behind, stays large. Sequential scans read every page, live or empty, and backups copy them.",
        example: "-- events: 40 GB, about 12 GB needed by its rows",
        use_instead: "-- rewrite it without a long lock (pg_repack), or, in a maintenance window:\nVACUUM (FULL, VERBOSE) events;",
        fix_safety: Some(
            "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock for its whole duration and needs room for the new copy.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-SPACE-RECOVERY",
        ],
    },
    fixtures: fixtures!("DB024"),
    check: Check::Live,
};
