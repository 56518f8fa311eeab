use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY003",
    name: "fk-type-mismatch",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A foreign key column's type differs from the column it references.",
    doc: Doc {
        what: "A foreign key column whose type is not the type of the referenced column (`integer` referencing \
               `bigint`, `text` referencing `uuid`-like `varchar`, ...).",
        why: "Comparisons across types need casts: joins and the foreign key checks cannot always use the index, \
              and a narrower referencing type overflows once the referenced key grows past its range \
              (`integer` referencing a `bigint` identity fails at 2,147,483,648).",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id integer REFERENCES users (id)\n);",
        use_instead: "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    user_id bigint REFERENCES users (id)\n);",
        fix_safety: Some(
            "Changing a column's type rewrites the table under an ACCESS EXCLUSIVE lock (except for \
                          binary-coercible changes); plan it for a large table.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
        ],
    },
    fixtures: fixtures!("KEY003"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for (_, fk) in t.foreign_keys() {
            let Some(rt) = cx.catalog.table(&fk.ref_table) else {
                continue;
            };
            let ref_cols = cx.catalog.referenced_columns(fk);
            for (col, rcol) in fk.columns.iter().zip(ref_cols.iter()) {
                let (Some(c), Some(rc)) = (t.column(col), rt.column(rcol)) else {
                    continue;
                };
                let (a, b) = (&c.data_type, &rc.data_type);
                // text and varchar(n) compare without a cast (one storage family): no conversion, no
                // lost index; only a length, which the referenced side already enforces.
                if a.name == "unknown"
                    || b.name == "unknown"
                    || (a.family() == b.family() && a.array_dims == b.array_dims)
                {
                    continue;
                }
                out.column_or_words(
                    t,
                    c,
                    format!(
                        "{}.{} is {a} but references {}.{rcol} of type {b}",
                        t.name, c.name, fk.ref_table
                    ),
                    "Give the referencing column exactly the referenced column's type.",
                    alter_type_fix(cx, &t.name, &c.name, &b.to_string(), None),
                );
            }
        }
    }
}
