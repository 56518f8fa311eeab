use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN007",
    name: "heap-fetches",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "An index-only scan fetches many rows from the table: its visibility map is out of date.",
    doc: Doc {
        what: "Index Only Scan nodes with at least 1,000 heap fetches and at least 10% of their rows fetched.",
        why: "An index-only scan skips the table only for pages the visibility map marks all-visible; on other pages it reads the table after all. Vacuum sets those bits: a table vacuumed too rarely loses the point of its covering index.",
        example: "-- Index Only Scan using orders_customer_total_idx  Heap Fetches: 48000",
        use_instead: "VACUUM (ANALYZE) orders;\nALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.02);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN007", "json"),
    check: Check::Plan,
};
