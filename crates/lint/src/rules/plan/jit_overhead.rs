use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN010",
    name: "jit-overhead",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "JIT compilation takes 10% or more of the execution time.",
    doc: Doc {
        what: "Analysed plans whose JIT total time is at least 10 ms and 10% of the execution time.",
        why: "JIT pays off on long analytical queries; on a query of tens of milliseconds, compiling its expressions costs more than it saves. The planner switches it on by cost, and a misestimated cost switches it on for short queries.",
        example: "-- JIT: Functions: 40  Timing: Generation 5 ms, Inlining 20 ms, Optimization 60 ms, Emission 30 ms, Total 115 ms",
        use_instead: "SET jit = off;  -- for this query or role\n-- or raise the thresholds:\nALTER SYSTEM SET jit_above_cost = 500000;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN010", "json"),
    check: Check::Plan,
};
