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
            "Adding a unique constraint fails if the column has duplicates; build the unique index \
                          CONCURRENTLY first on a large table.",
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
                crate::rules::fix::sql(&[crate::rules::fix::alter(
                    &fk.ref_table,
                    vec![dbarch_sql::change::AlterTable::AddConstraint(
                        crate::rules::fix::constraint(
                            None,
                            dbarch_sql::change::ConstraintDefKind::Unique {
                                columns: ref_cols.iter().map(|c| c.to_string()).collect(),
                                include: vec![],
                                nulls_not_distinct: false,
                            },
                            false,
                        ),
                    )],
                )]),
            );
        }
    }
}
