use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN002",
    name: "row-misestimate",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "The planner's row estimate is off by 10 times or more.",
    doc: Doc {
        what: "Nodes whose actual rows per loop differ from the estimate by at least 10x (info), 100x (warning) or 1000x (error), when either is at least 100.",
        why: "Every choice above the node — join method, join order, memory for sorts and hashes — was made for the estimated size. A 1000x underestimate turns a hash join into a nested loop over millions of rows.",
        example: "-- Seq Scan on orders  (cost=... rows=5) (actual ... rows=4800 loops=1)",
        use_instead: "ANALYZE orders;\n-- for columns whose values go together:\nCREATE STATISTICS orders_status_customer (dependencies) ON status, customer_id FROM orders;\nANALYZE orders;",
        fix_safety: Some(
            "ANALYZE reads a sample of the table under SHARE UPDATE EXCLUSIVE (reads and writes go on). When \
             the node compares two columns or more, the fix first creates functional-dependency statistics \
             on them (a catalog change): an MCV list is left out, since for value pairs beyond it the planner \
             treats the columns as independent again.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/using-explain.html",
            "https://www.postgresql.org/docs/current/planner-stats.html#PLANNER-STATS-EXTENDED",
        ],
    },
    fixtures: fixtures!("PLN002", "json"),
    check: Check::Plan,
};
