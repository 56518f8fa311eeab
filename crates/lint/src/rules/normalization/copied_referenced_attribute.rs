use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NRM005",
    name: "copied-referenced-attribute",
    category: Category::Normalization,
    severity: Severity::Info,
    summary: "A table copies an attribute of the row its foreign key references (a transitive dependency).",
    doc: Doc {
        what: "A column `<prefix>_<attr>` next to a foreign key column `<prefix>_id`, where the referenced table \
               has a column `<attr>` (for example `carts.user_email` beside `carts.user_id` -> `users.email`). \
               Tables that record what was true at a moment — invoices, orders and their lines, receipts, \
               payments, shipments, bookings, histories, audit logs, events, versions — freeze such copies on \
               purpose and are left alone, as are columns with a comment.",
        why: "The copy depends on the foreign key, not on the table's own key: a third normal form violation. \
              When the source changes the copies disagree, and nothing says which one is right. Keep a copy only \
              when it is a deliberate snapshot (the price paid, the address shipped to), and say so in a comment.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE TABLE carts (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id),\n    user_email text NOT NULL\n);",
        use_instead: "CREATE TABLE carts (\n    id bigint PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id)\n);\n-- read the email through the join, or COMMENT ON COLUMN carts.user_email IS 'snapshot';",
        fix_safety: None,
        references: &["https://en.wikipedia.org/wiki/Third_normal_form"],
    },
    fixtures: fixtures!("NRM005"),
    check: Check::Schema(check),
};

/// Words of a table name that mark a record of what was true at the time (an invoice line freezes the
/// product's name and price on purpose): its copies are snapshots, not a design flaw.
const SNAPSHOT_WORDS: &[&str] = &[
    "invoice",
    "invoices",
    "order",
    "orders",
    "receipt",
    "receipts",
    "quote",
    "quotes",
    "quotation",
    "quotations",
    "snapshot",
    "snapshots",
    "history",
    "histories",
    "archive",
    "archived",
    "audit",
    "audits",
    "ledger",
    "ledgers",
    "transaction",
    "transactions",
    "payment",
    "payments",
    "shipment",
    "shipments",
    "booking",
    "bookings",
    "reservation",
    "reservations",
    "purchase",
    "purchases",
    "sale",
    "sales",
    "log",
    "logs",
    "event",
    "events",
    "version",
    "versions",
    "revision",
    "revisions",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let words = name_words(&t.name.name);
        if words.iter().any(|w| SNAPSHOT_WORDS.contains(&w.as_str())) {
            continue;
        }
        for (_, fk) in t.foreign_keys() {
            let [fk_col] = fk.columns.as_slice() else {
                continue;
            };
            let Some(prefix) = fk_col.strip_suffix("_id") else {
                continue;
            };
            let Some(rt) = cx.catalog.table(&fk.ref_table) else {
                continue;
            };
            for c in &t.columns {
                let Some(attr) = c
                    .name
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('_'))
                else {
                    continue;
                };
                if attr == "id" || c.comment.is_some() || rt.column(attr).is_none() {
                    continue;
                }
                out.column(
                    t,
                    c,
                    format!("{}.{} copies {}.{} through {}", t.name, c.name, fk.ref_table, attr, fk_col),
                    "Read it through the foreign key; if the copy is a deliberate snapshot, document it with COMMENT ON COLUMN.",
                    None,
                );
            }
        }
    }
}
