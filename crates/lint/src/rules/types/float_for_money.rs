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
            "The fix converts to numeric without a scale, so no digit the float holds is lost (8.875 stays \
                          8.875); choose the scale once the values are checked. The change rewrites the table \
                          under an ACCESS EXCLUSIVE lock.",
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

/// Words of a column name that make it a proportion rather than an amount.
const PROPORTION_WORDS: &[&str] = &[
    "rate",
    "rates",
    "percent",
    "percentage",
    "pct",
    "ratio",
    "factor",
    "multiplier",
    "share",
];

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if !matches!(c.data_type.name.as_str(), "real" | "double precision") {
            continue;
        }
        let words = name_words(&c.name);
        // A rate, a percentage or a ratio of money (`tax_rate`, `discount_percent`) is not money.
        let proportion = words.iter().any(|w| PROPORTION_WORDS.contains(&w.as_str()));
        let money = !proportion
            && words.iter().any(|w| {
                MONEY_WORDS.contains(&w.as_str())
                    || cx.options.monetary_words.iter().any(|m| m == w)
            });
        if money {
            out.column_or_words(
                t,
                c,
                format!("{}.{} holds money in {}", t.name, c.name, c.data_type),
                "Use numeric with an explicit scale for money; floating point cannot represent cents exactly.",
                // numeric without a scale keeps every digit the float has: no rounding in the fix.
                alter_type_fix(cx, &t.name, &c.name, "numeric", None),
            );
        }
    }
}
