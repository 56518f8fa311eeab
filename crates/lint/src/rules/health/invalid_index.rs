use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB004",
    name: "invalid-index",
    category: Category::Indexes,
    severity: Severity::Error,
    summary: "An index marked invalid: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed.",
    doc: Doc {
        what: "Indexes with `pg_index.indisvalid = false`.",
        why: "A failed concurrent build leaves the index behind: it is maintained on every write but never used by the planner. A unique index left invalid enforces nothing for reads yet still rejects conflicting writes.",
        example: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- ERROR:  could not create unique index \"users_email_key\" (duplicates exist): the index stays, invalid",
        use_instead: "DROP INDEX CONCURRENTLY users_email_key;\n-- fix the data, then build it again:\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
        fix_safety: Some(
            "DROP INDEX CONCURRENTLY does not block reads or writes; REINDEX INDEX CONCURRENTLY is the alternative when the cause is gone.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
        ],
    },
    fixtures: fixtures!("DB004"),
    check: Check::Live,
};
