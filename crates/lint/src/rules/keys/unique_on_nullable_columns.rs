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
            "The new NULLS NOT DISTINCT index is built CONCURRENTLY beside the old one (outside a \
                          transaction block), then takes its place in one statement: the table keeps its \
                          uniqueness throughout. The build fails, changing nothing but leaving an invalid index \
                          to drop, when rows already repeat with NULLs: the fix's first line finds them. A \
                          constraint a foreign key references gets no SQL fix.",
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
            // A partial index `WHERE col IS NOT NULL` holds no row with that column NULL.
            let held = i
                .predicate
                .as_deref()
                .map(|p| dbarch_sql::expr::not_null_terms(p).columns)
                .unwrap_or_default();
            let nullable: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| {
                    !held.iter().any(|h| h == c)
                        && t.column(c)
                            .is_some_and(|c| !c.not_null && c.generated.is_none())
                })
                .collect();
            if nullable.is_empty() {
                continue;
            }
            let fix = if cx.pg_version >= 15 {
                nulls_not_distinct(cx, &t.name, i, &cols)
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

/// The same unique constraint or index, made NULLS NOT DISTINCT, with the table never left without its
/// uniqueness: the new index is built CONCURRENTLY beside the old one (the build fails, and nothing else
/// changes, if rows already repeat with NULLs — the query in the first line finds them), then takes the
/// old one's place. A constraint a foreign key references cannot be swapped this way: no SQL then.
fn nulls_not_distinct(
    cx: &Context,
    table: &QualifiedName,
    i: &Index,
    cols: &[&str],
) -> Option<String> {
    use crate::rules::fix::{alter, constraint, sql};
    use dbarch_catalog::make;
    use dbarch_sql::change::{AlterTable, ConstraintDefKind, ObjectKind, Rename, SchemaChange};
    let columns: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
    let list = columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    // Only the rows the index holds can repeat in it: a partial index's predicate is the query's WHERE.
    let only = i
        .predicate
        .as_deref()
        .map(|p| format!(" WHERE {p}"))
        .unwrap_or_default();
    let duplicates = format!(
        "-- rows that already repeat (the build fails on them): SELECT {list}, count(*) FROM {table}{only} GROUP BY {list} HAVING count(*) > 1;"
    );
    let mut again = i.clone();
    again.nulls_not_distinct = true;
    again.unique = true;
    again.name = QualifiedName::new(
        i.name.schema.clone(),
        format!("{}_nnd", i.name.name.chars().take(59).collect::<String>()),
    );
    let build = make::index(&again, true);
    let steps = match &i.source {
        dbarch_catalog::IndexSource::Constraint(name) => {
            let referenced = cx.catalog.tables.values().any(|t| {
                t.constraints
                    .iter()
                    .filter_map(|k| k.foreign_key())
                    .any(|fk| {
                        fk.ref_table == *table
                            && fk.ref_columns.len() == columns.len()
                            && fk.ref_columns.iter().all(|c| columns.contains(c))
                    })
            });
            if referenced {
                return None;
            }
            let mut key = constraint(
                Some(name),
                ConstraintDefKind::Unique {
                    columns: vec![],
                    include: vec![],
                    nulls_not_distinct: true,
                },
                false,
            );
            key.using_index = Some(again.name.name.clone());
            sql(&[
                build,
                alter(
                    table,
                    vec![
                        AlterTable::DropConstraint(name.clone()),
                        AlterTable::AddConstraint(key),
                    ],
                ),
            ])
        }
        dbarch_catalog::IndexSource::CreateIndex => sql(&[
            build,
            make::drop_index_concurrently(&i.name),
            SchemaChange::Rename(Rename {
                kind: ObjectKind::Index,
                relation: Some(make::name(&again.name)),
                object: vec![],
                old: String::new(),
                new: i.name.name.clone(),
                if_exists: false,
            }),
        ]),
    }?;
    Some(format!("{duplicates}\n{steps}"))
}
