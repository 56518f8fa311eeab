use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP005",
    name: "char-n",
    category: Category::Types,
    severity: Severity::Warning,
    summary: "A column uses `char(n)` / `character(n)`.",
    doc: Doc {
        what: "Columns of type `char(n)`, `character(n)` or `bpchar`.",
        why: "`char(n)` pads values with spaces to n characters; trailing spaces are then ignored in some \
              comparisons and not in others (LIKE, regular expressions, concatenation), it takes at least as \
              much space as `varchar`, and it is no faster in PostgreSQL. It does not enforce a fixed length \
              either: shorter values are accepted and padded.",
        example: "CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);",
        use_instead: "CREATE TABLE countries (\n    code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),\n    name text NOT NULL\n);",
        fix_safety: Some(
            "char to text strips the padding; the change rewrites the table under an ACCESS \
                          EXCLUSIVE lock. Add a CHECK if the length is a business rule.",
        ),
        references: &[
            "https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_char.28n.29",
            "https://www.postgresql.org/docs/current/datatype-character.html",
        ],
    },
    fixtures: fixtures!("TYP005"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if c.data_type.name == "char" && !c.data_type.is_array() {
            out.column_or_words(
                t,
                c,
                format!("{}.{} is {}", t.name, c.name, c.data_type),
                "Use text (with a CHECK on the length or pattern when it matters); char(n) pads with spaces.",
                alter_type_fix(cx, &t.name, &c.name, "text", None),
            );
        }
    }
}
