use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NRM002",
    name: "list-in-column",
    category: Category::Normalization,
    severity: Severity::Warning,
    summary: "A text column holds a list of values (`tag_ids text`, `roles varchar`).",
    doc: Doc {
        what: "Text columns whose name says they hold several values: ending in `_ids`, `_list`, `_csv`, or a \
               plural of a thing (`tags`, `categories`, `roles`, `emails`, `phones`, `skills`, `permissions`).",
        why: "A comma-separated list in one column breaks first normal form: the database cannot check that \
              each id exists (no foreign key), cannot index a single element, and every query parses strings \
              (`',' || tag_ids || ',' LIKE '%,42,%'`). Updates to one element rewrite the whole value and race.",
        example: "CREATE TABLE products (id bigint PRIMARY KEY, category_ids text);",
        use_instead: "CREATE TABLE categories (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE TABLE product_categories (\n    product_id bigint NOT NULL REFERENCES products (id),\n    category_id bigint NOT NULL REFERENCES categories (id),\n    PRIMARY KEY (product_id, category_id)\n);\n-- or, for plain labels that reference nothing: tags text[] with a GIN index",
        fix_safety: None,
        references: &["https://en.wikipedia.org/wiki/First_normal_form"],
    },
    fixtures: fixtures!("NRM002"),
    check: Check::Schema(check),
};

const LIST_NOUNS: &[&str] = &[
    "tags",
    "categories",
    "roles",
    "emails",
    "phones",
    "skills",
    "permissions",
    "labels",
    "keywords",
    "recipients",
    "attachments",
    "groups",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for c in &t.columns {
            if !c.data_type.is_text_like() {
                continue;
            }
            let words = name_words(&c.name);
            let last = words.last().map(String::as_str).unwrap_or("");
            let is_list = matches!(last, "ids" | "list" | "csv") || LIST_NOUNS.contains(&last);
            if !is_list {
                continue;
            }
            let help = if last == "ids" {
                "Replace the list of ids with a junction table that has a foreign key on each side."
            } else {
                "Use a child table (one row per value), or a text[] column with a GIN index when the values reference nothing."
            };
            out.column(
                t,
                c,
                format!(
                    "{}.{} stores a list of values in one {} column",
                    t.name, c.name, c.data_type
                ),
                help,
                None,
            );
        }
    }
}
