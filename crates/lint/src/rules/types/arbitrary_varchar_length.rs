use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP006",
    name: "arbitrary-varchar-length",
    category: Category::Types,
    severity: Severity::Info,
    summary: "A column uses `varchar(n)` with a length that is not a business rule.",
    doc: Doc {
        what: "Columns of type `varchar(n)`.",
        why: "In PostgreSQL `varchar(n)` is `text` with a length check: no faster, no smaller. The limit is \
              usually an arbitrary number (255 is a MySQL habit) that rejects a legitimate long name or email \
              one day, and raising it is a schema change. When a limit is a real rule, a CHECK says so and is \
              easier to change.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(255) NOT NULL);",
        use_instead: "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL CHECK (length(email) <= 320)\n);",
        fix_safety: Some(
            "varchar(n) to text is binary-coercible: no rewrite, no scan, only a brief ACCESS EXCLUSIVE lock.",
        ),
        references: &[
            "https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_varchar.28n.29_by_default",
            "https://www.postgresql.org/docs/current/datatype-character.html",
        ],
    },
    fixtures: fixtures!("TYP006"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if c.data_type.name == "varchar"
            && !c.data_type.modifiers.is_empty()
            && !c.data_type.is_array()
        {
            out.column_or_words(
                t,
                c,
                format!(
                    "{}.{} is {}; the length limit is probably arbitrary",
                    t.name, c.name, c.data_type
                ),
                "Use text; if the length is a business rule, state it as a CHECK constraint.",
                alter_type_fix(cx, &t.name, &c.name, "text", None),
            );
        }
    }
}
