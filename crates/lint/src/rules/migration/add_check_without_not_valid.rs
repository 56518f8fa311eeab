use super::add_foreign_key_without_not_valid::check_constraint_kind;
use crate::migration::StatementContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "MIG008",
    name: "add-check-without-not-valid",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ADD CHECK on an existing table validates every row under an ACCESS EXCLUSIVE lock.",
    doc: Doc {
        what: "`ALTER TABLE ... ADD [CONSTRAINT ...] CHECK (...)` without `NOT VALID` on a table that existed \
               before this migration.",
        why: "Every row is checked while ACCESS EXCLUSIVE is held: no reads or writes until the scan ends. Added \
              NOT VALID, the check applies to new rows at once, and VALIDATE CONSTRAINT later checks old rows \
              holding only SHARE UPDATE EXCLUSIVE.",
        example: "CREATE TABLE products (id bigint PRIMARY KEY, price numeric);\n-- migration\nALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0);",
        use_instead: "ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0) NOT VALID;\n-- in a later migration:\nALTER TABLE products VALIDATE CONSTRAINT products_price_check;",
        fix_safety: Some("Validate in a separate transaction."),
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT",
        ],
    },
    fixtures: fixtures!("MIG008"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    check_constraint_kind(cx, out, false, "a CHECK constraint", "add-check");
}
