use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB025",
    name: "index-bloat",
    category: Category::Indexes,
    severity: Severity::Warning,
    summary: "A B-tree index much larger than its entries need.",
    doc: Doc {
        what: "B-tree indexes whose size exceeds the size their entries need (estimated from `pg_stats` widths of the key columns, the tuple headers and the fill factor) by more than 30% and 8 MB.",
        why: "Pages emptied by deletes are only reused for keys in their range; an index on an ever-growing key whose old rows are deleted keeps its empty pages. A bloated index makes scans read more pages and caches hold fewer useful ones.",
        example: "-- events_created_at_idx: 6 GB, about 1.5 GB needed",
        use_instead: "REINDEX INDEX CONCURRENTLY events_created_at_idx;",
        fix_safety: Some(
            "REINDEX CONCURRENTLY builds a new index beside the old one (room for both) and blocks neither reads nor writes; it cannot run in a transaction block.",
        ),
        references: &["https://www.postgresql.org/docs/current/sql-reindex.html"],
    },
    fixtures: fixtures!("DB025"),
    check: Check::Live,
};
