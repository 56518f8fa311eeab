use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NRM003",
    name: "eav-table",
    category: Category::Normalization,
    severity: Severity::Warning,
    summary: "An entity-attribute-value table stores attributes as rows.",
    doc: Doc {
        what: "A table with an attribute-name column (`attribute`, `attr_name`, `key`, `property`, `field`, \
               `meta_key`) and a generic text value column (`value`, `val`, `meta_value`): the \
               entity-attribute-value pattern.",
        why: "Every attribute loses its type, NOT NULL, CHECK and foreign key; reading one entity takes one row \
              per attribute and a pivot; the planner cannot estimate `attribute = 'color' AND value = 'red'`; \
              and typos in attribute names create new attributes silently.",
        example: "CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE TABLE product_attributes (\n    product_id bigint NOT NULL REFERENCES products (id),\n    attribute text NOT NULL,\n    value text\n);",
        use_instead: "-- real columns for the attributes you know\nALTER TABLE products ADD COLUMN color text, ADD COLUMN weight_grams integer;\n-- and a jsonb column for the truly open-ended rest\nALTER TABLE products ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';",
        fix_safety: None,
        references: &["https://en.wikipedia.org/wiki/Entity%E2%80%93attribute%E2%80%93value_model"],
    },
    fixtures: fixtures!("NRM003"),
    check: Check::Schema(check),
};

const ATTR: &[&str] = &[
    "attribute",
    "attr",
    "attribute_name",
    "attr_name",
    "key",
    "property",
    "property_name",
    "field",
    "field_name",
    "meta_key",
    "param",
    "param_name",
];
const VALUE: &[&str] = &[
    "value",
    "val",
    "attribute_value",
    "attr_value",
    "property_value",
    "field_value",
    "meta_value",
    "param_value",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        if crate::rules::util::bookkeeping(cx, &t.name.name) {
            continue;
        }
        let (Some(a), Some(v)) = (has_column_named(t, ATTR), has_column_named(t, VALUE)) else {
            continue;
        };
        if !a.data_type.is_text_like()
            || !(v.data_type.is_text_like() || v.data_type.name == "jsonb")
        {
            continue;
        }
        out.push(
            t.origin,
            t.name.to_string(),
            format!("{} is an entity-attribute-value table ({} / {})", t.name, a.name, v.name),
            "Model known attributes as typed columns with constraints; keep a jsonb column for the open-ended rest.",
            None,
        );
    }
}
