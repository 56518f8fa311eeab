use std::collections::BTreeMap;

use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NRM001",
    name: "repeating-group",
    category: Category::Normalization,
    severity: Severity::Warning,
    summary: "Numbered columns (`phone1`, `phone2`, `phone3`) form a repeating group.",
    doc: Doc {
        what: "Two or more columns of one table that share a stem and differ by a trailing number \
               (`phone1, phone2`, `tag_1, tag_2, tag_3`), a violation of first normal form. Address lines \
               (`address_line1`, `line2`) are accepted as a presentation convention.",
        why: "The number of values is fixed by the schema: the fourth phone needs a migration. Queries must test \
              every column (`WHERE phone1 = $1 OR phone2 = $1 OR ...`), no index serves them, and the slots \
              fill unevenly.",
        example: "CREATE TABLE customers (\n    id bigint PRIMARY KEY,\n    phone1 text,\n    phone2 text,\n    phone3 text\n);",
        use_instead: "CREATE TABLE customer_phones (\n    customer_id bigint NOT NULL REFERENCES customers (id),\n    phone text NOT NULL,\n    kind text NOT NULL DEFAULT 'mobile',\n    PRIMARY KEY (customer_id, phone)\n);",
        fix_safety: None,
        references: &["https://en.wikipedia.org/wiki/First_normal_form"],
    },
    fixtures: fixtures!("NRM001"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let mut groups: BTreeMap<String, Vec<&Column>> = BTreeMap::new();
        for c in &t.columns {
            let stem = c.name.trim_end_matches(|ch: char| ch.is_ascii_digit());
            if stem.len() == c.name.len() || stem.is_empty() {
                continue;
            }
            let stem = stem.trim_end_matches('_').to_ascii_lowercase();
            // `address_line1, address_line2` are parts of one value; `cvss_v2, cvss_v3` and `sha1,
            // sha256` are different standards' values, not a list.
            let versioned = stem.ends_with("_v")
                || stem == "v"
                || stem.ends_with("sha")
                || stem.ends_with("ipv");
            if stem.is_empty() || stem.ends_with("line") || versioned {
                continue;
            }
            groups.entry(stem).or_default().push(c);
        }
        for (stem, cols) in groups {
            if cols.len() < 2 {
                continue;
            }
            let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
            out.column(
                t,
                cols[0],
                format!("{} has a repeating group: {}", t.name, names.join(", ")),
                format!("Move the {stem} values to a child table with one row per value, keyed by {}'s key.", t.name),
                None,
            );
        }
    }
}
