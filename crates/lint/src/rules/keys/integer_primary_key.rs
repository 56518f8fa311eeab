use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY006",
    name: "integer-primary-key",
    category: Category::Keys,
    severity: Severity::Info,
    summary: "A growing table has an `integer` (or `smallint`) surrogate key.",
    doc: Doc {
        what: "A single-column primary key of type `integer`, `serial`, `smallint` or `smallserial` on a table \
               that is not a small lookup table (lookup tables: names like status, type, country, currency, or \
               three columns or fewer).",
        why: "`integer` stops at 2,147,483,647. Tables of orders, events or logs reach it, and the fix then is a \
              rewrite of the table and of every referencing column under an exclusive lock, in an emergency. \
              `bigint` costs 4 more bytes a row.",
        example: "CREATE TABLE events (\n    id serial PRIMARY KEY,\n    kind text NOT NULL,\n    payload jsonb,\n    created_at timestamptz NOT NULL\n);",
        use_instead: "CREATE TABLE events (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    kind text NOT NULL,\n    payload jsonb,\n    created_at timestamptz NOT NULL\n);",
        fix_safety: Some(
            "ALTER COLUMN ... TYPE bigint rewrites the table and its indexes under an ACCESS EXCLUSIVE \
                          lock; on a large table add a new bigint column, backfill it in batches and swap.",
        ),
        references: &["https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_serial"],
    },
    fixtures: fixtures!("KEY006"),
    check: Check::Schema(check),
};

const LOOKUP_WORDS: &[&str] = &[
    "status",
    "statuses",
    "type",
    "types",
    "kind",
    "kinds",
    "country",
    "countries",
    "currency",
    "currencies",
    "language",
    "languages",
    "locale",
    "locales",
    "role",
    "roles",
    "setting",
    "settings",
    "lookup",
    "state",
    "states",
    "category",
    "categories",
    "unit",
    "units",
    "permission",
    "permissions",
    "tax_rate",
    "tax_rates",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let Some([pk]) = t.primary_key_columns() else {
            continue;
        };
        let Some(c) = t.column(pk) else { continue };
        if !matches!(c.data_type.name.as_str(), "integer" | "smallint") || c.data_type.is_array() {
            continue;
        }
        let words = name_words(&t.name.name);
        let lookup = t.columns.len() <= 3
            || words
                .last()
                .is_some_and(|w| LOOKUP_WORDS.contains(&w.as_str()));
        if lookup {
            continue;
        }
        out.column(
            t,
            c,
            format!(
                "{}.{} is {} {} key; the table can outgrow it",
                t.name,
                c.name,
                if c.data_type.name == "integer" {
                    "an"
                } else {
                    "a"
                },
                c.data_type
            ),
            "Use bigint for surrogate keys of tables that grow; referencing columns must follow.",
            alter_type_fix(cx, &t.name, &c.name, "bigint", None),
        );
    }
}
