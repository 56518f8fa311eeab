use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "IDX003",
    name: "low-cardinality-index",
    category: Category::Indexes,
    severity: Severity::Warning,
    summary: "A full index on a boolean or low-cardinality column alone.",
    doc: Doc {
        what: "A single-column, non-partial btree index on a boolean column, an enum column, or a column whose \
               name marks a small set of values (`status`, `state`, `type`, `kind`, `is_*`, `has_*`).",
        why: "With a handful of distinct values each value matches a large share of the table, so the planner \
              prefers a sequential scan for the common values, and the index costs writes anyway. When queries \
              look for a rare value, a partial index on that value is a fraction of the size and is used.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL);\nCREATE INDEX orders_status_idx ON orders (status);",
        use_instead: "-- index the rare value the queries look for, keyed by what they sort or filter on next\nCREATE INDEX orders_pending_created_at_idx ON orders (created_at) WHERE status = 'pending';",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/indexes-partial.html"],
    },
    fixtures: fixtures!("IDX003"),
    check: Check::Schema(check),
};

const LOW_WORDS: &[&str] = &[
    "status",
    "state",
    "type",
    "kind",
    "gender",
    "flag",
    "active",
    "enabled",
    "visible",
    "deleted",
    "published",
    "archived",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for i in cx.indexes_on(&t.name) {
            if i.unique
                || i.predicate.is_some()
                || i.keys.len() != 1
                || i.method != "btree"
                || !i.include.is_empty()
            {
                continue;
            }
            let Some(col) = i.keys[0].column_name().and_then(|c| t.column(c)) else {
                continue;
            };
            let words = name_words(&col.name);
            let is_enum = cx
                .catalog
                .types
                .get(&QualifiedName::new(
                    col.data_type
                        .schema
                        .clone()
                        .unwrap_or_else(|| t.name.schema.clone()),
                    col.data_type.name.clone(),
                ))
                .is_some_and(|ty| matches!(ty.kind, dbarch_catalog::TypeKind::Enum { .. }));
            let why = if col.data_type.name == "boolean" {
                "a boolean"
            } else if is_enum {
                "an enum"
            } else if words.first().is_some_and(|w| w == "is" || w == "has")
                || words
                    .last()
                    .is_some_and(|w| LOW_WORDS.contains(&w.as_str()))
            {
                "a low-cardinality"
            } else {
                continue;
            };
            out.push(
                i.origin,
                i.name.to_string(),
                format!("index {} is on {why} column alone ({}.{})", i.name.name, t.name, col.name),
                "Most values match a large share of rows, so the index is rarely used. Replace it by a partial index on the rare value the queries filter on, keyed by their next column.",
                None,
            );
        }
    }
}
