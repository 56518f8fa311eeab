use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY001",
    name: "table-without-primary-key",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A table has no primary key.",
    doc: Doc {
        what: "A table (not a partition, not temporary) without a PRIMARY KEY constraint.",
        why: "Without a primary key, rows cannot be addressed reliably: duplicates creep in, updates and deletes \
              from tools and ORMs hit the wrong rows, logical replication cannot replicate UPDATE and DELETE \
              (no replica identity), and foreign keys have nothing to point at.",
        example: "CREATE TABLE audit_log (\n    table_name text,\n    changed_at timestamptz\n);",
        use_instead: "CREATE TABLE audit_log (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    table_name text NOT NULL,\n    changed_at timestamptz NOT NULL\n);",
        fix_safety: Some(
            "The fix (for a table with an `id` column) never blocks the table through a scan or an index \
                          build: NOT NULL is proven by a CHECK added NOT VALID and validated, then set without a \
                          scan (PostgreSQL 12+); the unique index is built CONCURRENTLY (outside a transaction \
                          block) and attached as the key. It stops at the step that meets NULLs or duplicates, \
                          leaving that step's NOT VALID check or invalid index to drop.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-PRIMARY-KEYS",
        ],
    },
    fixtures: fixtures!("KEY001"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        if t.primary_key().is_some()
            || t.columns.is_empty()
            || crate::rules::util::bookkeeping(cx, &t.name.name)
        {
            continue;
        }
        let fix = t.column("id").and_then(|id| promote_to_key(&t.name, id));
        let unique_not_null = t
            .unique_column_sets()
            .any(|cols| cols.iter().all(|c| t.column(c).is_some_and(|c| c.not_null)));
        let help = if unique_not_null {
            "A unique NOT NULL column set exists: promote it to the primary key, or add a surrogate identity key."
        } else {
            "Add a primary key: a natural key if one is stable and unique, else `id bigint GENERATED ALWAYS AS IDENTITY`."
        };
        out.push(
            t.origin,
            t.name.to_string(),
            format!("table {} has no primary key", t.name),
            help,
            fix,
        );
    }
}

/// The column made the primary key without blocking the table through a scan or an index build: NOT
/// NULL proven by a CHECK added NOT VALID and validated (PostgreSQL 12+ then sets NOT NULL without a
/// scan), the unique index built CONCURRENTLY, then attached as the key (catalog only).
fn promote_to_key(table: &QualifiedName, column: &Column) -> Option<String> {
    use crate::rules::fix::{alter, constraint, index_concurrently, sql};
    use dbarch_sql::change::{AlterTable, ConstraintDefKind};
    let c = column.name.as_str();
    let key = dbarch_catalog::default_name(&table.name, &[c.to_string()], "pkey");
    let mut changes = vec![];
    if !column.not_null {
        let check = dbarch_catalog::default_name(&table.name, &[c.to_string()], "not_null");
        changes.extend([
            alter(
                table,
                vec![AlterTable::AddConstraint(constraint(
                    Some(&check),
                    ConstraintDefKind::Check {
                        expr: format!("{} IS NOT NULL", quote_ident(c)),
                        columns: vec![c.to_string()],
                    },
                    true,
                ))],
            ),
            alter(table, vec![AlterTable::ValidateConstraint(check.clone())]),
            alter(table, vec![AlterTable::SetNotNull(c.to_string())]),
            alter(table, vec![AlterTable::DropConstraint(check)]),
        ]);
    }
    changes.push(index_concurrently(
        &key,
        table,
        &[c.to_string()],
        true,
        None,
    ));
    let mut pk = constraint(
        Some(&key),
        ConstraintDefKind::PrimaryKey {
            columns: vec![],
            include: vec![],
        },
        false,
    );
    pk.using_index = Some(key.clone());
    changes.push(alter(table, vec![AlterTable::AddConstraint(pk)]));
    sql(&changes)
}
