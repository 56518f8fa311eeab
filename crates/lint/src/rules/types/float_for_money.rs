use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP003",
    name: "float-for-money",
    category: Category::Types,
    severity: Severity::Error,
    summary: "A monetary column uses a binary floating-point type.",
    doc: Doc {
        what: "`real`, `double precision` or `float` columns whose name marks an amount of money: price, amount, \
               total, subtotal, cost, balance, fee, tax, discount, salary, revenue, refund, charge, payment \
               (extend the list with `options.monetary-words`).",
        why: "Binary floating point cannot represent most decimal fractions: 0.1 + 0.2 is 0.30000000000000004. \
              Sums drift, equality checks fail, and invoices disagree with ledgers by a cent.",
        example: "CREATE TABLE products (id bigint PRIMARY KEY, price double precision NOT NULL);",
        use_instead: "CREATE TABLE products (id bigint PRIMARY KEY, price numeric(12,2) NOT NULL);",
        fix_safety: Some(
            "The values are converted as they are stored, errors included: round them deliberately in \
                          the USING clause. The change rewrites the table under an ACCESS EXCLUSIVE lock.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-FLOAT",
        ],
    },
    fixtures: fixtures!("TYP003"),
    check: Check::Schema(check),
};

pub(crate) const MONEY_WORDS: &[&str] = &[
    "price", "amount", "total", "subtotal", "cost", "balance", "fee", "fees", "tax", "discount",
    "salary", "revenue", "refund", "charge", "payment", "paid", "wage", "budget", "income",
    "spend", "credit", "debit", "tip", "shipping", "msrp",
];

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if !matches!(c.data_type.name.as_str(), "real" | "double precision") {
            continue;
        }
        let words = name_words(&c.name);
        let money = words.iter().any(|w| {
            MONEY_WORDS.contains(&w.as_str()) || cx.options.monetary_words.iter().any(|m| m == w)
        });
        if money {
            out.column(
                t,
                c,
                format!("{}.{} holds money in {}", t.name, c.name, c.data_type),
                "Use numeric with an explicit scale for money; floating point cannot represent cents exactly.",
                alter_type_fix(&t.name, &c.name, "numeric(12,2)", Some(&format!("round({}::numeric, 2)", quote_ident(&c.name)))),
            );
        }
    }
}
