use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP007",
    name: "temporal-as-text",
    category: Category::Types,
    severity: Severity::Warning,
    summary: "A date or time is stored in a text column.",
    doc: Doc {
        what: "Text columns whose name marks a date or time: ending in `_at`, `_on`, `_date`, `_time`, \
               `_timestamp`, or named `date`, `birthday`, `dob`.",
        why: "Text dates accept `2024-02-30` and `next tuesday`, sort wrongly across formats, cannot use date \
              arithmetic or range indexes, and force a cast in every query that compares them.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, birth_date varchar(10));",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY, birth_date date);",
        fix_safety: Some(
            "The USING cast fails on any value that is not a valid date or timestamp; clean those first. \
                          The change rewrites the table.",
        ),
        references: &["https://www.postgresql.org/docs/current/datatype-datetime.html"],
    },
    fixtures: fixtures!("TYP007"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if !c.data_type.is_text_like() {
            continue;
        }
        let words = name_words(&c.name);
        let last = words.last().map(String::as_str).unwrap_or("");
        let target = match last {
            "at" | "timestamp" | "time" if words.len() > 1 => "timestamptz",
            "on" | "date" if words.len() > 1 => "date",
            "birthday" | "dob" | "date" => "date",
            _ => continue,
        };
        let q = quote_ident(&c.name);
        out.column_or_words(
            t,
            c,
            format!("{}.{} stores a {} as {}", t.name, c.name, if target == "date" { "date" } else { "point in time" }, c.data_type),
            format!("Use {target}: it validates values, sorts correctly and supports date arithmetic and range scans."),
            alter_type_fix(cx, &t.name, &c.name, target, Some(&format!("{q}::{target}"))),
        );
    }
}
