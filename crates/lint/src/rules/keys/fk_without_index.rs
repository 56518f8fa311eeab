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
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id)\n);",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id)\n);\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
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

/// The index a foreign key needs, built without blocking writes: CONCURRENTLY, or on a partitioned table
/// (where PostgreSQL cannot) ON ONLY the parent with each partition's built CONCURRENTLY and attached.
fn fk_index(cx: &Context, t: &Table, columns: &[String]) -> Option<String> {
    let name = dbarch_catalog::default_name(&t.name.name, columns, "idx");
    if t.partition_by.is_none() {
        return crate::rules::fix::sql(&[crate::rules::fix::index_concurrently(
            &name, &t.name, columns, false, None,
        )]);
    }
    let partitions: Vec<_> = cx
        .catalog
        .partitions_of(&t.name)
        .map(|p| {
            let own = cx.indexes_on(&p.name).iter().find(|i| {
                !i.unique
                    && i.method == "btree"
                    && i.predicate.is_none()
                    && i.include.is_empty()
                    && i.key_columns() == columns.iter().map(String::as_str).collect::<Vec<_>>()
            });
            (p.name.clone(), own.map(|i| i.name.name.clone()))
        })
        .collect();
    crate::rules::fix::sql(&dbarch_catalog::make::index_on_partitions(
        &t.name,
        &name,
        columns,
        &partitions,
    ))
}

/// A partitioned table whose partitions each have an index led by the key: the key's checks, which read
/// each partition, are served without one on the parent.
fn every_partition_covered(cx: &Context, t: &Table, columns: &[String]) -> bool {
    let mut partitions = cx.catalog.partitions_of(&t.name).peekable();
    t.partition_by.is_some()
        && partitions.peek().is_some()
        && partitions.all(|p| {
            leading_covered(cx.indexes_on(&p.name), columns)
                || every_partition_covered(cx, p, columns)
        })
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let idx = cx.indexes_on(&t.name);
        for (c, fk) in t.foreign_keys() {
            if fk.columns.is_empty()
                || leading_covered(idx, &fk.columns)
                || every_partition_covered(cx, t, &fk.columns)
            {
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
                fk_index(cx, t, &fk.columns),
            );
        }
    }
}
