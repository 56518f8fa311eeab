use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY004",
    name: "fk-to-non-unique",
    category: Category::Keys,
    severity: Severity::Error,
    summary: "A foreign key references columns that are not a primary key or unique.",
    doc: Doc {
        what: "A foreign key whose referenced column set is not exactly a primary key, a unique constraint or a \
               non-partial unique index of the referenced table (or that names no columns on a table without a \
               primary key).",
        why: "PostgreSQL rejects it: `there is no unique constraint matching given keys for referenced table`. \
              The migration fails at deploy time.",
        example: "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL);\nCREATE TABLE stock (sku text REFERENCES products (sku));",
        use_instead: "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL UNIQUE);\nCREATE TABLE stock (sku text REFERENCES products (sku));",
        fix_safety: Some(
            "The unique index is built CONCURRENTLY (outside a transaction block: reads and writes go on), \
                          then attached as the constraint, a catalog change. The build fails, leaving an \
                          invalid index to drop, when the columns already repeat: the fix's first line finds \
                          those rows.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
        ],
    },
    fixtures: fixtures!("KEY004"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for (c, fk) in t.foreign_keys() {
            let Some(rt) = cx.catalog.table(&fk.ref_table) else {
                continue;
            };
            let ref_cols = cx.catalog.referenced_columns(fk);
            if ref_cols.is_empty() {
                out.push(
                    c.origin,
                    format!("{}.{}", t.name, fk.columns.join(",")),
                    format!("foreign key on {} references {} without columns, and {} has no primary key", t.name, fk.ref_table, fk.ref_table),
                    "Name the referenced columns, or give the referenced table a primary key.",
                    None,
                );
                continue;
            }
            let same_set = |cols: &[String]| {
                cols.len() == ref_cols.len() && ref_cols.iter().all(|c| cols.contains(c))
            };
            let unique_index = cx.indexes_on(&rt.name).iter().any(|i| {
                i.unique
                    && i.predicate.is_none()
                    && i.keys.iter().all(|k| k.column_name().is_some())
                    && {
                        let k: Vec<String> =
                            i.key_columns().iter().map(|s| s.to_string()).collect();
                        same_set(&k)
                    }
            });
            if rt.unique_column_sets().any(same_set) || unique_index {
                continue;
            }
            out.push(
                c.origin,
                format!("{}.{}", t.name, fk.columns.join(",")),
                format!(
                    "foreign key references {}({}), which is not unique: PostgreSQL will reject it",
                    fk.ref_table,
                    ref_cols.join(", ")
                ),
                "Reference the primary key, or make the referenced columns unique first.",
                unique_online(&fk.ref_table, &ref_cols),
            );
        }
    }
}

/// `UNIQUE (cols)` on `table` without blocking it through an index build: the rows that would make the
/// build fail are found first, the index is built CONCURRENTLY, then attached as the constraint.
fn unique_online(table: &QualifiedName, cols: &[String]) -> Option<String> {
    use crate::rules::fix::{alter, constraint, index_concurrently, sql};
    use dbarch_sql::change::{AlterTable, ConstraintDefKind};
    let columns = cols.to_vec();
    let name = dbarch_catalog::default_name(&table.name, &columns, "key");
    let mut unique = constraint(
        Some(&name),
        ConstraintDefKind::Unique {
            columns: vec![],
            include: vec![],
            nulls_not_distinct: false,
        },
        false,
    );
    unique.using_index = Some(name.clone());
    let list = crate::rules::util::column_list(&columns);
    let check = format!(
        "-- rows that already repeat (the build fails on them): SELECT {list}, count(*) FROM {table} GROUP BY {list} HAVING count(*) > 1;"
    );
    let build = sql(&[
        index_concurrently(&name, table, &columns, true, None),
        alter(table, vec![AlterTable::AddConstraint(unique)]),
    ])?;
    Some(format!("{check}\n{build}"))
}
