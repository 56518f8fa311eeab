use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN006",
    name: "nested-loop-many-loops",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "A nested loop runs its inner side 10,000 times or more.",
    doc: Doc {
        what: "Nested Loop nodes of an analysed plan whose inner child ran at least 10,000 loops.",
        why: "Each loop is an index probe or a scan; at tens of thousands of loops a hash or merge join over both sides at once is usually far cheaper. The planner chose the loop because it expected few outer rows: look for a misestimate (PLN002) below it.",
        example: "-- Nested Loop  (actual rows=50000 loops=1)\n--   -> Index Scan using items_order_id_idx on items  (actual rows=1 loops=50000)",
        use_instead: "ANALYZE orders;  -- when the outer rows were underestimated\n-- or rewrite the query so the join is done once over both sets",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN006", "json"),
    check: Check::Plan,
};
