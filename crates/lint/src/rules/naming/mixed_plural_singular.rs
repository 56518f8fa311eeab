use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NAM002",
    name: "mixed-plural-singular",
    category: Category::Naming,
    severity: Severity::Info,
    summary: "Table names in a schema mix plural and singular.",
    doc: Doc {
        what: "In a schema where most table names are plural (`users`, `orders`), a singular one (`invoice`), or \
               the reverse. A name is judged by its head noun: its last word (`order_items`), or in a compound \
               with a preposition the word before it (`bill_of_materials` is one bill); irregular forms \
               (`people`, `children`) are known, and words that read either way (`inventory`, `audit_log`, \
               `metadata`, `sheep`) are not judged. Ties are not reported.",
        why: "A convention lets people and code generators guess names; a schema with `users`, `order` and \
              `product_categories` makes every query a lookup. Pick one and hold it.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TABLE invoice (id bigint PRIMARY KEY);",
        use_instead: "CREATE TABLE invoices (id bigint PRIMARY KEY);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS",
        ],
    },
    fixtures: fixtures!("NAM002"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    let mut by_schema: std::collections::BTreeMap<&str, Vec<&Table>> = Default::default();
    for t in cx.tables() {
        by_schema.entry(t.name.schema.as_str()).or_default().push(t);
    }
    for tables in by_schema.values() {
        let judged: Vec<(&&Table, bool)> = tables
            .iter()
            .filter_map(|t| plurality(&t.name.name).map(|p| (t, p)))
            .collect();
        let plural = judged.iter().filter(|(_, p)| *p).count();
        let singular = judged.len() - plural;
        if plural == 0 || singular == 0 || plural == singular {
            continue;
        }
        let majority_plural = plural > singular;
        for (t, _) in judged.iter().filter(|(_, p)| *p != majority_plural) {
            let (this, most) = if majority_plural {
                ("singular", "plural")
            } else {
                ("plural", "singular")
            };
            out.push(
                t.origin,
                t.name.to_string(),
                format!(
                    "table {} is {this} while {} of {} tables in schema {} are {most}",
                    t.name,
                    plural.max(singular),
                    judged.len(),
                    t.name.schema
                ),
                format!("Name tables consistently ({most}, as most of this schema does)."),
                None,
            );
        }
    }
}
