use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY002",
    name: "fk-without-index",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A foreign key's columns are not the leading columns of any index.",
    doc: Doc {
        what: "A foreign key whose referencing columns are not covered, in any order, by the leading columns of \
               an index on the referencing table (primary key and unique constraints count; partial indexes do not).",
        why: "PostgreSQL does not index the referencing side automatically. Every DELETE or key UPDATE on the \
              referenced table must find the referencing rows: without an index that is a sequential scan of the \
              child table, under a lock, once per parent row. Joins from parent to children are slow for the same reason.",
        example: "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id)\n);",
        use_instead: "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id)\n);\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
        fix_safety: Some(
            "CREATE INDEX CONCURRENTLY does not block writes, but cannot run inside a transaction block.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
        ],
    },
    fixtures: fixtures!("KEY002"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let idx = cx.indexes_on(&t.name);
        for (c, fk) in t.foreign_keys() {
            if fk.columns.is_empty() || leading_covered(idx, &fk.columns) {
                continue;
            }
            let cols = column_list(&fk.columns);
            out.push(
                c.origin,
                format!("{}.{}", t.name, fk.columns.join(",")),
                format!("foreign key {}({cols}) -> {} has no index on its columns", t.name, fk.ref_table),
                format!(
                    "Deletes and key updates on {} scan {} to check this key; joins from {} are slow. Index the referencing columns.",
                    fk.ref_table, t.name, fk.ref_table
                ),
                crate::rules::fix::sql(&[crate::rules::fix::index_concurrently(
                    &dbarch_catalog::default_name(&t.name.name, &fk.columns, "idx"),
                    &t.name,
                    &fk.columns,
                    false,
                    None,
                )]),
            );
        }
    }
}
