use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::SchemaChange;

pub static RULE: Rule = Rule {
    code: "MIG001",
    name: "require-concurrent-index-creation",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "CREATE INDEX without CONCURRENTLY on a table that already exists.",
    doc: Doc {
        what: "`CREATE INDEX` (or `CREATE UNIQUE INDEX`) without `CONCURRENTLY` on a table that existed before \
               this migration. Indexes on tables created in the same migration are fine.",
        why: "A plain CREATE INDEX takes a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the \
              table waits, for minutes on a large table. CONCURRENTLY builds the index while writes continue.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- migration\nCREATE INDEX orders_user_id_idx ON orders (user_id);",
        use_instead: "-- dbarch:no-transaction\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
        fix_safety: Some(
            "CONCURRENTLY cannot run in a transaction block: the migration must run without one (see \
                          MIG002). A failed concurrent build leaves an INVALID index to drop before retrying.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
        ],
    },
    fixtures: fixtures!("MIG001"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for change in &cx.changes.changes {
        let SchemaChange::CreateIndex(i) = change else {
            continue;
        };
        if i.concurrently {
            continue;
        }
        let Some(t) = cx.existing(&i.table) else {
            continue;
        };
        // IF NOT EXISTS of a relation that exists (the index behind a constraint of that name, too)
        // builds nothing.
        if i.if_not_exists
            && i.name.as_ref().is_some_and(|n| {
                cx.catalog
                    .relation_exists(&QualifiedName::new(t.name.schema.clone(), n.clone()))
            })
        {
            continue;
        }
        // The same index, built CONCURRENTLY.
        let mut concurrent = i.clone();
        concurrent.concurrently = true;
        out.push(
            cx.stmt.span.into(),
            format!("{}:{}", t.name, i.name.as_deref().unwrap_or("unnamed")),
            format!(
                "CREATE INDEX on existing table {} {} for the whole build",
                t.name,
                cx.knowledge.describe("create-index", cx.pg_version)
            ),
            "Build it with CREATE INDEX CONCURRENTLY, in a migration that runs outside a transaction.",
            crate::rules::fix::sql(&[SchemaChange::CreateIndex(concurrent)]),
        );
    }
}
