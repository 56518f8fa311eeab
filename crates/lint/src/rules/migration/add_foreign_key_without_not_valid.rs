use super::alter_existing;
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterTable, ConstraintDefKind};

pub static RULE: Rule = Rule {
    code: "MIG007",
    name: "add-foreign-key-without-not-valid",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ADD FOREIGN KEY on an existing table validates every row while blocking writes on both tables.",
    doc: Doc {
        what: "`ALTER TABLE ... ADD [CONSTRAINT ...] FOREIGN KEY` without `NOT VALID` on a table that existed before \
               this migration.",
        why: "The constraint is checked against every existing row while SHARE ROW EXCLUSIVE locks are held on the \
              table and on the referenced table: writes to both wait for the whole scan. Added NOT VALID, the \
              constraint applies to new rows at once, and VALIDATE CONSTRAINT checks the old ones later without \
              blocking writes.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- migration\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);",
        use_instead: "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- in a later migration (its own transaction):\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;",
        fix_safety: Some(
            "Validate in a separate transaction: NOT VALID and VALIDATE in one transaction hold the \
                          locks together and gain nothing.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT",
        ],
    },
    fixtures: fixtures!("MIG007"),
    check: Check::Migration(check),
};

pub(crate) fn check_constraint_kind(
    cx: &StatementContext,
    out: &mut Sink,
    foreign_key: bool,
    what: &str,
    op: &str,
) {
    for (t, commands) in alter_existing(cx) {
        for c in commands {
            let AlterTable::AddConstraint(k) = c else {
                continue;
            };
            let kind_matches = match &k.kind {
                ConstraintDefKind::ForeignKey { .. } => foreign_key,
                ConstraintDefKind::Check { .. } => !foreign_key,
                _ => false,
            };
            if !kind_matches || k.not_valid {
                continue;
            }
            let fix = not_valid_then_validate(cx, &t.name);
            out.push(
                k.at.into(),
                format!("{}:{}", t.name, k.name.as_deref().unwrap_or(what)),
                format!("adding {what} to {} {} to validate existing rows", t.name, cx.knowledge.describe(op, cx.pg_version)),
                "Add it NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a separate transaction.",
                fix,
            );
        }
    }
}

/// The statement's one ADD CONSTRAINT made NOT VALID, then validated (by its name, or the one PostgreSQL
/// gives it), as schema changes; `None` when the statement does more than that.
fn not_valid_then_validate(
    cx: &StatementContext,
    table: &dbarch_catalog::QualifiedName,
) -> Option<String> {
    use crate::rules::fix::{alter, sql};
    use dbarch_sql::change::SchemaChange;
    let [SchemaChange::AlterTable { commands, .. }] = cx.changes.changes.as_slice() else {
        return None;
    };
    let [AlterTable::AddConstraint(k)] = commands.as_slice() else {
        return None;
    };
    let name = match (&k.name, &k.kind) {
        (Some(n), _) => n.clone(),
        (None, ConstraintDefKind::ForeignKey { columns, .. }) => {
            dbarch_catalog::default_name(&table.name, columns, "fkey")
        }
        (None, ConstraintDefKind::Check { columns, .. }) => dbarch_catalog::default_name(
            &table.name,
            &columns.iter().take(1).cloned().collect::<Vec<_>>(),
            "check",
        ),
        _ => return None,
    };
    let mut k = k.clone();
    k.name = Some(name.clone());
    k.not_valid = true;
    sql(&[
        alter(table, vec![AlterTable::AddConstraint(k)]),
        alter(table, vec![AlterTable::ValidateConstraint(name)]),
    ])
}

fn check(cx: &StatementContext, out: &mut Sink) {
    check_constraint_kind(cx, out, true, "a foreign key", "add-foreign-key");
}
