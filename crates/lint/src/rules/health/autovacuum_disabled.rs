use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB008",
    name: "autovacuum-disabled",
    category: Category::Health,
    severity: Severity::Warning,
    summary: "Autovacuum is switched off, for the server or for a table.",
    doc: Doc {
        what: "`autovacuum = off`, or tables with `autovacuum_enabled = false` in their storage options.",
        why: "Without autovacuum, dead rows pile up, statistics go stale and, worst, transaction IDs are never frozen: the server eventually stops accepting writes to protect itself from wraparound (autovacuum runs an anti-wraparound vacuum even when disabled, but only at the last moment and without throttling).",
        example: "ALTER TABLE events SET (autovacuum_enabled = false);",
        use_instead: "ALTER TABLE events RESET (autovacuum_enabled);\n-- tune instead of disabling:\nALTER TABLE events SET (autovacuum_vacuum_cost_limit = 2000);",
        fix_safety: Some(
            "ALTER TABLE ... RESET of a storage option takes a SHARE UPDATE EXCLUSIVE lock and is instant.",
        ),
        references: &["https://www.postgresql.org/docs/current/routine-vacuuming.html#AUTOVACUUM"],
    },
    fixtures: fixtures!("DB008"),
    check: Check::Live,
};
