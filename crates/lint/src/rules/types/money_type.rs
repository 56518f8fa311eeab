use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP002",
    name: "money-type",
    category: Category::Types,
    severity: Severity::Warning,
    summary: "A column uses the `money` type.",
    doc: Doc {
        what: "Columns of type `money`.",
        why: "`money` has a fixed fraction precision taken from the server's `lc_monetary` setting: values are \
              read back differently on a server with another locale, it cannot hold several currencies, and \
              division and rounding are lossy. It is kept for backwards compatibility only.",
        example: "CREATE TABLE payments (id bigint PRIMARY KEY, amount money NOT NULL);",
        use_instead: "CREATE TABLE payments (\n    id bigint PRIMARY KEY,\n    amount numeric(19,4) NOT NULL,\n    currency char(3) NOT NULL\n);",
        fix_safety: Some(
            "money converts to numeric exactly; the change rewrites the table under an ACCESS EXCLUSIVE lock.",
        ),
        references: &[
            "https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_money",
            "https://www.postgresql.org/docs/current/datatype-money.html",
        ],
    },
    fixtures: fixtures!("TYP002"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if c.data_type.name == "money" {
            out.column_or_words(
                t,
                c,
                format!("{}.{} uses the money type", t.name, c.name),
                "Use numeric with an explicit scale (and a currency column when there can be more than one).",
                alter_type_fix(cx, &t.name, &c.name, "numeric(19,4)", Some(&format!("{}::numeric", quote_ident(&c.name)))),
            );
        }
    }
}
