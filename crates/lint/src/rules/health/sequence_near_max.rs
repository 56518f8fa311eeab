use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB010",
    name: "sequence-near-max",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A sequence, or an integer key fed by one, past 75% of its maximum.",
    doc: Doc {
        what: "Sequences whose last value is past 75% of their maximum, and `integer` / `smallint` columns fed by a sequence whose value is past 75% of the column type's maximum.",
        why: "When the sequence reaches its maximum, nextval() fails and every INSERT into the table fails with it. An `integer` key runs out at 2,147,483,647 even when its sequence is `bigint`.",
        example: "-- orders.id integer, orders_id_seq last_value = 1,900,000,000",
        use_instead: "ALTER TABLE orders ALTER COLUMN id TYPE bigint;  -- rewrites the table: plan it\nALTER SEQUENCE orders_id_seq AS bigint MAXVALUE 9223372036854775807;",
        fix_safety: Some(
            "ALTER COLUMN ... TYPE bigint rewrites the table and its indexes under an ACCESS EXCLUSIVE lock; on a large table, add a bigint column, backfill it in batches and switch over instead.",
        ),
        references: &["https://www.postgresql.org/docs/current/sql-altersequence.html"],
    },
    fixtures: fixtures!("DB010"),
    check: Check::Live,
};
