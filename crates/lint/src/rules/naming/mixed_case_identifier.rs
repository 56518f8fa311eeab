use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NAM001",
    name: "mixed-case-identifier",
    category: Category::Naming,
    severity: Severity::Warning,
    summary: "A table or column name needs double quotes (upper case, spaces, camelCase).",
    doc: Doc {
        what: "Table and column names that are not lower-case snake_case: created with double quotes as \
               `\"UserId\"`, `\"createdAt\"` or `\"Order Items\"`.",
        why: "PostgreSQL folds unquoted names to lower case, so these names must be quoted, with the exact case, \
              in every query forever: `SELECT createdAt` fails with `column \"createdat\" does not exist`. \
              Mixed with snake_case names elsewhere, they make the schema inconsistent to read and to generate code from.",
        example: "CREATE TABLE \"OrderItems\" (\"orderId\" bigint, \"unitPrice\" numeric);",
        use_instead: "CREATE TABLE order_items (order_id bigint, unit_price numeric);",
        fix_safety: Some(
            "Renaming breaks every client that uses the old name: rename with an expand/contract \
                          migration (a view or a compatible release in between).",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS",
        ],
    },
    fixtures: fixtures!("NAM001"),
    check: Check::Schema(check),
};

pub(crate) fn snake(name: &str) -> String {
    name_words(name).join("_")
}

fn bad(name: &str) -> bool {
    name.chars()
        .any(|c| c.is_uppercase() || c == ' ' || c == '-')
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        if bad(&t.name.name) {
            out.push(
                t.origin,
                t.name.to_string(),
                format!("table name {} must always be quoted", t.name),
                "Use lower-case snake_case names, which need no quotes.",
                crate::rules::fix::sql(&[crate::rules::fix::rename(
                    &t.name,
                    None,
                    &snake(&t.name.name),
                )]),
            );
        }
        for c in t.columns.iter().filter(|c| bad(&c.name)) {
            out.column(
                t,
                c,
                format!(
                    "column name {} on {} must always be quoted",
                    quote_ident(&c.name),
                    t.name
                ),
                "Use lower-case snake_case names, which need no quotes.",
                crate::rules::fix::sql(&[crate::rules::fix::rename(
                    &t.name,
                    Some(&c.name),
                    &snake(&c.name),
                )]),
            );
        }
    }
}
