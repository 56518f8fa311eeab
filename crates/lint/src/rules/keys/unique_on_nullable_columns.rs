use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY008",
    name: "unique-on-nullable-columns",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A multi-column unique constraint includes a nullable column, so it does not prevent duplicates.",
    doc: Doc {
        what: "A UNIQUE constraint or unique index over several columns where at least one column is nullable and \
               NULLS NOT DISTINCT is not set.",
        why: "NULL is never equal to NULL, so rows that share every non-null value and have NULL in the nullable \
              column are all accepted: `UNIQUE (org_id, parent_id)` admits any number of `(1, NULL)` rows. The \
              constraint looks like it enforces a rule it does not.",
        example: "CREATE TABLE categories (\n    id bigint PRIMARY KEY,\n    parent_id bigint,\n    name text NOT NULL,\n    UNIQUE (parent_id, name)\n);",
        use_instead: "CREATE TABLE categories (\n    id bigint PRIMARY KEY,\n    parent_id bigint,\n    name text NOT NULL,\n    UNIQUE NULLS NOT DISTINCT (parent_id, name)  -- PostgreSQL 15+\n);",
        fix_safety: Some(
            "Recreating the constraint fails if duplicates already exist; find them first.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-UNIQUE-CONSTRAINTS",
        ],
    },
    fixtures: fixtures!("KEY008"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for i in cx.indexes_on(&t.name) {
            if !i.unique || i.primary || i.nulls_not_distinct || i.keys.len() < 2 {
                continue;
            }
            let cols = i.key_columns();
            let nullable: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| {
                    t.column(c)
                        .is_some_and(|c| !c.not_null && c.generated.is_none())
                })
                .collect();
            if nullable.is_empty() {
                continue;
            }
            let fix = if cx.pg_version >= 15 {
                nulls_not_distinct(&t.name, i, &cols)
            } else {
                None
            };
            out.push(
                i.origin,
                format!("{}", i.name),
                format!("unique ({}) on {} allows duplicates: {} is nullable", cols.join(", "), t.name, nullable.join(", ")),
                "Make the nullable columns NOT NULL, or declare the constraint NULLS NOT DISTINCT (PostgreSQL 15+).",
                fix,
            );
        }
    }
}

/// The same unique constraint or index, made NULLS NOT DISTINCT: the constraint dropped and added again,
/// the index dropped and built again (both concurrently).
fn nulls_not_distinct(table: &QualifiedName, i: &Index, cols: &[&str]) -> Option<String> {
    use crate::rules::fix::{alter, constraint, sql};
    use dbarch_catalog::make;
    use dbarch_sql::change::{AlterTable, ConstraintDefKind, ObjectKind, SchemaChange};
    match &i.source {
        dbarch_catalog::IndexSource::Constraint(name) => sql(&[
            alter(table, vec![AlterTable::DropConstraint(name.clone())]),
            alter(
                table,
                vec![AlterTable::AddConstraint(constraint(
                    Some(name),
                    ConstraintDefKind::Unique {
                        columns: cols.iter().map(|c| c.to_string()).collect(),
                        include: vec![],
                        nulls_not_distinct: true,
                    },
                    false,
                ))],
            ),
        ]),
        dbarch_catalog::IndexSource::CreateIndex => {
            let mut again = i.clone();
            again.nulls_not_distinct = true;
            let SchemaChange::Drop(mut drop) =
                make::drop(ObjectKind::Index, vec![make::parts(&i.name)])
            else {
                return None;
            };
            drop.concurrently = true;
            sql(&[SchemaChange::Drop(drop), make::index(&again, true)])
        }
    }
}
