use super::same_key;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "IDX002",
    name: "redundant-index",
    category: Category::Indexes,
    severity: Severity::Warning,
    summary: "An index's keys are a left prefix of another index's keys.",
    doc: Doc {
        what: "A non-unique btree index whose key columns are the leading columns of another btree index on the \
               same table with the same predicate (for example `(user_id)` next to `(user_id, created_at)`).",
        why: "The longer index serves every lookup the shorter one serves, almost as fast. The shorter one costs \
              writes, disk, cache and VACUUM time for little or nothing.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, created_at timestamptz NOT NULL);\nCREATE INDEX orders_user_id_idx ON orders (user_id);\nCREATE INDEX orders_user_id_created_at_idx ON orders (user_id, created_at);",
        use_instead: "CREATE INDEX orders_user_id_created_at_idx ON orders (user_id, created_at);",
        fix_safety: Some(
            "Check pg_stat_user_indexes first: a much smaller index can still be preferred for \
                          index-only scans on huge tables. DROP INDEX CONCURRENTLY cannot run in a transaction.",
        ),
        references: &["https://www.postgresql.org/docs/current/indexes-multicolumn.html"],
    },
    fixtures: fixtures!("IDX002"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let idx = cx.indexes_on(&t.name);
        for i in idx {
            if i.unique || i.method != "btree" || !i.include.is_empty() {
                continue;
            }
            let wider = idx.iter().find(|o| {
                o.method == "btree"
                    && o.keys.len() > i.keys.len()
                    && o.predicate == i.predicate
                    && i.keys.iter().zip(&o.keys).all(|(a, b)| same_key(a, b))
            });
            if let Some(o) = wider {
                let ks: Vec<String> = i.keys.iter().map(|k| k.sql()).collect();
                let ko: Vec<String> = o.keys.iter().map(|k| k.sql()).collect();
                out.push(
                    i.origin,
                    i.name.to_string(),
                    format!(
                        "index {} ({}) is a prefix of {} ({})",
                        i.name.name,
                        ks.join(", "),
                        o.name.name,
                        ko.join(", ")
                    ),
                    format!(
                        "{} already serves lookups on ({}); drop the shorter index.",
                        o.name.name,
                        ks.join(", ")
                    ),
                    drop_index_sql(i),
                );
            }
        }
    }
}
