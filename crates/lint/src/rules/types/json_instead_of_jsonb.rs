use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP004",
    name: "json-instead-of-jsonb",
    category: Category::Types,
    severity: Severity::Warning,
    summary: "A column uses `json` rather than `jsonb`.",
    doc: Doc {
        what: "Columns of type `json`.",
        why: "`json` stores the text as given and re-parses it on every access; it has no equality operator \
              (so no DISTINCT, GROUP BY or UNIQUE), and no GIN indexing for containment (`@>`) or key-existence \
              queries. `jsonb` is the type for data you query. Keep `json` only when the exact text, key order \
              and duplicate keys must be preserved.",
        example: "CREATE TABLE events (id bigint PRIMARY KEY, payload json);",
        use_instead: "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);",
        fix_safety: Some(
            "The conversion rewrites the table under an ACCESS EXCLUSIVE lock and drops duplicate keys \
                          and whitespace.",
        ),
        references: &["https://www.postgresql.org/docs/current/datatype-json.html"],
    },
    fixtures: fixtures!("TYP004"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if c.data_type.name == "json" && !c.data_type.is_array() {
            out.column_or_words(
                t,
                c,
                format!("{}.{} is json; use jsonb", t.name, c.name),
                "jsonb is parsed once, comparable, and indexable with GIN.",
                alter_type_fix(
                    cx,
                    &t.name,
                    &c.name,
                    "jsonb",
                    Some(&format!("{}::jsonb", quote_ident(&c.name))),
                ),
            );
        }
    }
}
