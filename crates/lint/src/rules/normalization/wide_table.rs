use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NRM004",
    name: "wide-table",
    category: Category::Normalization,
    severity: Severity::Info,
    summary: "A table has more columns than the configured threshold.",
    doc: Doc {
        what: "Tables with more columns than `options.wide-table-columns` (40 by default).",
        why: "Very wide tables usually mix several entities or optional feature groups: most columns are NULL \
              in most rows, rows span more pages, every UPDATE rewrites the whole row (MVCC), and the table \
              becomes the place every feature adds a column to.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, /* ... 60 columns ... */ marketing_opt_in boolean);",
        use_instead: "-- split by feature into 1:1 tables keyed by the same id\nCREATE TABLE user_marketing_preferences (\n    user_id bigint PRIMARY KEY REFERENCES users (id),\n    opt_in boolean NOT NULL DEFAULT false\n);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/storage-page-layout.html"],
    },
    fixtures: fixtures!("NRM004"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    let max = cx.options.wide_table_columns;
    for t in cx.tables() {
        if t.columns.len() > max {
            out.push(
                t.origin,
                t.name.to_string(),
                format!(
                    "{} has {} columns (threshold {max})",
                    t.name,
                    t.columns.len()
                ),
                "Split optional or feature-specific column groups into 1:1 tables.",
                None,
            );
        }
    }
}
