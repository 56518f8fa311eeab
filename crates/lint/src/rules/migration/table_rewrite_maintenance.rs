use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{Maintenance, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG015",
    name: "vacuum-full-or-cluster",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "VACUUM FULL or CLUSTER in a migration rewrites tables under an ACCESS EXCLUSIVE lock.",
    doc: Doc {
        what: "`VACUUM FULL` and `CLUSTER` statements.",
        why: "Both rewrite the whole table holding ACCESS EXCLUSIVE: no reads or writes until the copy ends, and \
              twice the disk space meanwhile. In a migration they run at deploy time, on production data size.",
        example: "CREATE TABLE events (id bigint PRIMARY KEY);\n-- migration\nVACUUM FULL events;",
        use_instead: "-- reclaim space online with the pg_repack extension, outside migrations:\n--   pg_repack --table=events\n-- or rely on plain VACUUM (no exclusive lock)\nVACUUM (ANALYZE) events;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-vacuum.html",
            "https://www.postgresql.org/docs/current/sql-cluster.html",
        ],
    },
    fixtures: fixtures!("MIG015"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    let Some(what) = cx.changes.changes.iter().find_map(|c| match c {
        SchemaChange::Maintain(Maintenance::Vacuum { full: true, .. }) => {
            Some(("VACUUM FULL", "vacuum-full"))
        }
        SchemaChange::Maintain(Maintenance::Cluster(_)) => Some(("CLUSTER", "cluster")),
        _ => None,
    }) else {
        return;
    };
    out.push(
        cx.stmt.span.into(),
        format!("{}:{}", what.0, cx.stmt.sql),
        format!(
            "{} {}",
            what.0,
            cx.knowledge.describe(what.1, cx.pg_version)
        ),
        "Do not rewrite tables in a migration; use pg_repack online, or plain VACUUM.",
        None,
    );
}
