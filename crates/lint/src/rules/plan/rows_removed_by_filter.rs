use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN004",
    name: "rows-removed-by-filter",
    category: Category::Plans,
    severity: Severity::Info,
    summary: "A node reads 100,000 rows or more only to discard them.",
    doc: Doc {
        what: "Nodes of an analysed plan whose `Rows Removed by Filter` (times loops) is at least 100,000, when the scan is not selective enough for PLN003 or is not a sequential scan (an index scan whose index does not cover the filter).",
        why: "Rows read and thrown away cost the same I/O and CPU as rows kept. A filter that removes many rows after an index scan means the index serves only part of the condition.",
        example: "-- Index Scan using orders_created_at_idx  Filter: (status = 'open')  Rows Removed by Filter: 480000",
        use_instead: "-- an index that serves the whole condition:\nCREATE INDEX CONCURRENTLY ON orders (status, created_at);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN004", "json"),
    check: Check::Plan,
};
