use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY010",
    name: "partitioned-key-without-partition-columns",
    category: Category::Keys,
    severity: Severity::Error,
    summary: "A primary key or unique constraint of a partitioned table leaves out a partition key column: PostgreSQL refuses it.",
    doc: Doc {
        what: "A PRIMARY KEY, UNIQUE constraint or unique index on a partitioned table (`PARTITION BY`) whose \
               columns do not include every column of the partition key.",
        why: "Each partition enforces uniqueness on its own, so PostgreSQL only accepts a unique key that holds \
              the partition key (`unique constraint on partitioned table must include all partitioning \
              columns`): the CREATE TABLE or ALTER TABLE fails, and the schema the file describes cannot \
              exist.",
        example: "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL)\n    PARTITION BY RANGE (created_at);",
        use_instead: "CREATE TABLE events (id bigint, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at))\n    PARTITION BY RANGE (created_at);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-LIMITATIONS",
        ],
    },
    fixtures: fixtures!("KEY010"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let Some(p) = &t.partition_by else { continue };
        // An expression in the partition key refuses every unique key, with another message: said less.
        if !p.keys.iter().all(|k| t.column(k).is_some()) {
            continue;
        }
        for i in cx.indexes_on(&t.name).iter().filter(|i| i.unique) {
            let cols = i.key_columns();
            if cols.len() != i.keys.len() {
                continue;
            }
            let missing: Vec<&str> = p
                .keys
                .iter()
                .map(String::as_str)
                .filter(|k| !cols.contains(k))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let what = if i.primary {
                "primary key"
            } else {
                "unique key"
            };
            out.push(
                i.origin,
                format!("{}", i.name),
                format!(
                    "{what} ({}) of partitioned table {} leaves out partition key column {}: PostgreSQL refuses it",
                    cols.join(", "),
                    t.name,
                    missing.join(", ")
                ),
                format!(
                    "Add {} to the key (it is then unique per partition key value), or enforce the narrower \
                     uniqueness in a table that is not partitioned.",
                    missing.join(", ")
                ),
                None,
            );
        }
    }
}
