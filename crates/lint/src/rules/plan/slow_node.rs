use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN001",
    name: "slow-node",
    category: Category::Plans,
    severity: Severity::Info,
    summary: "One plan node takes 30% or more of the query's time.",
    doc: Doc {
        what: "Nodes of an analysed plan (EXPLAIN ANALYZE) whose own time — their total less their children's, times their loops — is at least 30% of the execution time and 1 ms.",
        why: "The node where the time goes is where a change pays: an index for a scan, memory for a sort, a rewrite for a loop. Tuning anything else moves the total little.",
        example: "-- Seq Scan on orders  (actual time=0.02..95.0 rows=12 loops=1)   -- 95 of 100 ms",
        use_instead: "-- look at what the node does and what the other tips say about it:\n-- dbarch explain --db URL --query '...' --analyze",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN001", "json"),
    check: Check::Plan,
};
