use super::alter_tables;
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::AlterTable;

pub static RULE: Rule = Rule {
    code: "MIG018",
    name: "validate-in-same-transaction",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "A constraint added NOT VALID is validated in the same transaction.",
    doc: Doc {
        what: "`ALTER TABLE ... VALIDATE CONSTRAINT c` in the same transaction as the `ADD CONSTRAINT c ... NOT VALID`.",
        why: "NOT VALID exists to split the work: a brief lock to add, then a validation that does not block writes. \
              In one transaction the ADD's lock (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE for FOREIGN KEY) \
              is held until COMMIT, through the whole validation scan: nothing was gained.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- migration\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
        use_instead: "-- migration 1\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- migration 2\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT",
        ],
    },
    fixtures: fixtures!("MIG018"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if !cx.in_transaction {
        return;
    }
    for (name, commands) in alter_tables(cx.changes) {
        let table = cx.catalog.resolve(name);
        for c in commands {
            let AlterTable::ValidateConstraint(constraint) = c else {
                continue;
            };
            if cx
                .added_not_valid
                .contains(&(table.clone(), constraint.clone()))
            {
                out.push(
                    cx.stmt.span.into(),
                    format!("{table}:{constraint}"),
                    format!("{constraint} is validated in the same transaction that added it NOT VALID: the add's lock is held through the scan"),
                    "Move VALIDATE CONSTRAINT to a later migration (its own transaction).",
                    None,
                );
            }
        }
    }
}
