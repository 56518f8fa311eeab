use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB005",
    name: "not-valid-constraint",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A CHECK or foreign key constraint added NOT VALID and never validated.",
    doc: Doc {
        what: "Constraints with `pg_constraint.convalidated = false`.",
        why: "A NOT VALID constraint holds for new and updated rows only: existing rows may violate it, and the planner cannot use it to exclude partitions or prove joins. Adding it NOT VALID is the safe first step of a migration; the second step, VALIDATE, is the one that was forgotten.",
        example: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- and nothing after it",
        use_instead: "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
        fix_safety: Some(
            "VALIDATE CONSTRAINT takes a SHARE UPDATE EXCLUSIVE lock (reads and writes go on) and scans the table; it fails, changing nothing, when a row violates the constraint.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT",
        ],
    },
    fixtures: fixtures!("DB005"),
    check: Check::Live,
};
