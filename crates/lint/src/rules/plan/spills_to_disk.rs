use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "PLN005",
    name: "spills-to-disk",
    category: Category::Plans,
    severity: Severity::Warning,
    summary: "A sort or a hash spills to temporary files for lack of work_mem.",
    doc: Doc {
        what: "Sorts whose method is external or whose space type is Disk, and hashes with more than one batch.",
        why: "A sort or hash that does not fit in `work_mem` writes and reads temporary files, often several times over: many times slower than in memory. The tip gives the work_mem that would fit it.",
        example: "-- Sort  Sort Method: external merge  Disk: 9000kB",
        use_instead: "SET work_mem = '32MB';  -- for this query or this role, not for the whole server",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/using-explain.html"],
    },
    fixtures: fixtures!("PLN005", "json"),
    check: Check::Plan,
};
