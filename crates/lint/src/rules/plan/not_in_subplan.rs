use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN011",
    name: "not-in-subplan",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "A `NOT IN (SELECT ...)` runs its subquery for every row: the subplan is not hashed.",
    doc: Doc {
        what: "A node whose filter tests `NOT (SubPlan n)` — a `NOT IN (SELECT ...)` PostgreSQL could not hash \
               (the subquery's rows did not fit in work_mem, or their type has no hash function) — so every \
               outer row scans the subquery's result again.",
        why: "The work grows with the product of the two sides: thousands of outer rows times a materialized \
              subquery of thousands is millions of comparisons, and plans of hours are made of it. NOT IN also \
              returns no row at all once the subquery yields a NULL. `NOT EXISTS` is planned as an anti-join \
              (hash, merge or an index probe per row), and means what was meant when NULLs occur.",
        example: "SELECT count(*) FROM orders o WHERE o.customer_id NOT IN (SELECT c.id FROM blocked c);",
        use_instead: "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM blocked c WHERE c.id = o.customer_id);",
        fix_safety: None,
        references: &[
            "https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_NOT_IN",
            "https://www.postgresql.org/docs/current/functions-subquery.html#FUNCTIONS-SUBQUERY-NOTIN",
        ],
    },
    fixtures: fixtures!("PLN011", "json"),
    check: Check::Plan,
};
