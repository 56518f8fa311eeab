use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB015",
    name: "slow-query",
    category: Category::Queries,
    severity: Severity::Info,
    summary: "One of the queries that take the most total time (pg_stat_statements).",
    doc: Doc {
        what: "The statements of `pg_stat_statements` with the largest total execution time, with their calls, mean time and rows.",
        why: "A few statements usually account for most of a database's time; they are where an index, a rewrite or a cache pays off most. `dbarch advise --db` proposes indexes for them.",
        example: "-- SELECT ... FROM orders WHERE status = $1 ORDER BY created_at  calls = 2,000,000  mean = 45 ms",
        use_instead: "-- look at the plan and let the advisor weigh indexes:\n-- dbarch explain --db URL --query '...';  dbarch advise --db URL",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/pgstatstatements.html"],
    },
    fixtures: fixtures!("DB015"),
    check: Check::Live,
};
