use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN008",
    name: "lossy-bitmap",
    category: Category::Plans,
    severity: Severity::Info,
    summary: "A bitmap heap scan went lossy for lack of work_mem.",
    doc: Doc {
        what: "Bitmap Heap Scan nodes with lossy heap blocks.",
        why: "When the bitmap of matching rows does not fit in `work_mem`, it keeps whole pages instead of rows, and every row of those pages is checked again against the condition (`Recheck Cond`).",
        example: "-- Bitmap Heap Scan on events  Heap Blocks: exact=1200 lossy=48000",
        use_instead: "SET work_mem = '64MB';  -- for this query",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN008", "json"),
    check: Check::Plan,
};
