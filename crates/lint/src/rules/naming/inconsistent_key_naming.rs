use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NAM003",
    name: "inconsistent-key-naming",
    category: Category::Naming,
    severity: Severity::Info,
    summary: "Primary key columns are named inconsistently across tables.",
    doc: Doc {
        what: "Single-column primary keys named `id` on most tables but `<table>_id` (or something else) on a \
               few, or the reverse.",
        why: "With one convention, joins can be written and reviewed without looking anything up \
              (`orders.user_id = users.id`); with two, every join is a question, and ORMs need per-table \
              configuration.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TABLE products (product_id bigint PRIMARY KEY);",
        use_instead: "CREATE TABLE products (id bigint PRIMARY KEY);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-PRIMARY-KEYS",
        ],
    },
    fixtures: fixtures!("NAM003"),
    check: Check::Schema(check),
};

fn style(t: &Table, pk: &str) -> &'static str {
    if pk == "id" {
        return "id";
    }
    let words = name_words(&t.name.name);
    let singular = words
        .last()
        .map(|w| w.trim_end_matches('s').to_string())
        .unwrap_or_default();
    if pk == format!("{}_id", t.name.name)
        || pk.ends_with("_id") && pk.trim_end_matches("_id").trim_end_matches('s') == singular
    {
        "<table>_id"
    } else {
        "other"
    }
}

fn check(cx: &Context, out: &mut Sink) {
    let keyed: Vec<(&Table, &str, &'static str)> = cx
        .tables()
        .filter_map(|t| match t.primary_key_columns() {
            Some([pk]) => Some((t, pk.as_str(), style(t, pk))),
            _ => None,
        })
        .collect();
    let count = |s: &str| keyed.iter().filter(|k| k.2 == s).count();
    let (ids, named) = (count("id"), count("<table>_id"));
    if ids == named || keyed.len() < 3 {
        return;
    }
    let major = if ids > named { "id" } else { "<table>_id" };
    for (t, pk, s) in keyed.iter().filter(|k| k.2 != major && k.2 != "other") {
        out.push(
            t.primary_key().map(|c| c.origin).unwrap_or(t.origin),
            format!("{}.{pk}", t.name),
            format!(
                "primary key {}.{pk} is named {s}-style while most tables use {major}",
                t.name
            ),
            format!("Name primary keys one way ({major}, as most tables here do)."),
            None,
        );
    }
}
