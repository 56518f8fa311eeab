use super::alter_existing;
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_catalog::DataType;
use dbarch_sql::change::AlterTable;

pub static RULE: Rule = Rule {
    code: "MIG011",
    name: "alter-column-type-rewrite",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ALTER COLUMN ... TYPE that rewrites an existing table.",
    doc: Doc {
        what: "`ALTER TABLE ... ALTER COLUMN ... TYPE` on an existing table, unless the change is binary-coercible: \
               `varchar(n)` to a larger `varchar(m)`, to unconstrained `varchar` or to `text`; `text` to `varchar`; \
               `numeric(p,s)` to `numeric(q,s)` with q >= p, or to unconstrained `numeric`; `cidr` to `inet`.",
        why: "The table and every index on it are rewritten under an ACCESS EXCLUSIVE lock: no reads or writes \
              until it ends, and twice the disk meanwhile. Views and functions depending on the column may also \
              block the change.",
        example: "CREATE TABLE users (id integer PRIMARY KEY, email text);\n-- migration\nALTER TABLE users ALTER COLUMN id TYPE bigint;",
        use_instead: "-- expand/contract: a new column, filled in batches, then swapped\nALTER TABLE users ADD COLUMN id_new bigint;\n-- trigger to keep id_new = id on writes; backfill in batches; then in one short transaction:\n-- ALTER TABLE users RENAME COLUMN id TO id_old; ALTER TABLE users RENAME COLUMN id_new TO id;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES",
        ],
    },
    fixtures: fixtures!("MIG011"),
    check: Check::Migration(check),
};

/// Whether changing `from` to `to` keeps the stored bytes (no rewrite).
pub(crate) fn binary_coercible(from: &DataType, to: &DataType) -> bool {
    if from.array_dims != to.array_dims {
        return false;
    }
    let widened = |a: &[i64], b: &[i64]| b.is_empty() || (!a.is_empty() && b[0] >= a[0]);
    match (from.name.as_str(), to.name.as_str()) {
        (a, b) if a == b && from.modifiers == to.modifiers => true,
        ("varchar", "varchar") => widened(&from.modifiers, &to.modifiers),
        ("varchar", "text") | ("text", "varchar") if to.modifiers.is_empty() => true,
        ("varchar", "text") => true,
        ("numeric", "numeric") => {
            to.modifiers.is_empty()
                || (from.modifiers.len() == to.modifiers.len()
                    && widened(&from.modifiers, &to.modifiers)
                    && from.modifiers.get(1) == to.modifiers.get(1))
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

fn check(cx: &StatementContext, out: &mut Sink) {
    for (t, commands) in alter_existing(cx) {
        for c in commands {
            let AlterTable::AlterColumnType {
                column,
                data_type: new,
                ..
            } = c
            else {
                continue;
            };
            let Some(col) = t.column(column) else {
                continue;
            };
            if cx.type_change_is_catalog_only(&col.data_type, new) {
                continue;
            }
            out.push(
                cx.stmt.span.into(),
                format!("{}.{}", t.name, column),
                format!("changing {}.{} from {} to {new} {}", t.name, column, col.data_type, cx.knowledge.describe("alter-column-type", cx.pg_version)),
                "Add a new column, keep it in sync, backfill in batches and swap (expand/contract), or schedule a maintenance window.",
                None,
            );
        }
    }
}
