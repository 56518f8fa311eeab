use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB011",
    name: "low-cache-hit-ratio",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "Less than 95% of the table or index blocks read came from shared buffers.",
    doc: Doc {
        what: "The database's heap and index hit ratios (`pg_statio_user_tables`, `pg_statio_user_indexes`), once enough blocks have been read for the ratio to mean something.",
        why: "A block not in shared buffers is read from the operating system's cache or from disk. A low ratio on an OLTP database means the working set does not fit in `shared_buffers`, or queries read far more than they need (missing indexes, sequential scans of large tables).",
        example: "-- heap blocks hit 82%, index blocks hit 90%",
        use_instead: "-- find the queries that read most (pg_stat_statements shared_blks_read), index them;\n-- then size shared_buffers (about 25% of memory is the usual start):\nALTER SYSTEM SET shared_buffers = '8GB';  -- needs a restart",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-SHARED-BUFFERS",
        ],
    },
    fixtures: fixtures!("DB011"),
    check: Check::Live,
};
