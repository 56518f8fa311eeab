use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN003",
    name: "seq-scan-with-selective-filter",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "A sequential scan reads at least 10,000 rows to keep 5% or fewer.",
    doc: Doc {
        what: "Seq Scan nodes with a Filter that keep at most 5% of at least 10,000 rows read (counted in an analysed plan; judged from the cost, about 0.02 a row, in an estimated one); the tip names the index the filter's columns call for (equality columns first), or the advisor's choice when `--db` can ask it.",
        why: "An index on the filtered columns reads the few matching rows instead of the whole table; the scan's time grows with the table, the index scan's with the result.",
        example: "-- Seq Scan on orders  Filter: ((status = 'open') AND (customer_id = 42))  Rows Removed by Filter: 995200",
        use_instead: "CREATE INDEX CONCURRENTLY ON orders (status, customer_id);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN003", "json"),
    check: Check::Plan,
};
