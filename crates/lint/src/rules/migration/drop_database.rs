use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG027",
    name: "drop-database",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "DROP DATABASE in a migration.",
    doc: Doc {
        what: "`DROP DATABASE` in a migration script.",
        why: "A migration runs against every environment, production included; dropping a database destroys \
              all of it, and it cannot run inside the transaction most migration tools wrap a file in. \
              Creating and dropping databases belongs to provisioning, not to schema history.",
        example: "-- migration\nDROP DATABASE analytics;",
        use_instead: "-- provisioning script, run by hand or by infrastructure code:\n-- DROP DATABASE analytics;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-dropdatabase.html"],
    },
    fixtures: fixtures!("MIG027"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        let SchemaChange::Drop(d) = c else { continue };
        if d.kind != ObjectKind::Database {
            continue;
        }
        for o in &d.objects {
            let name = o.name.join(".");
            out.push(
                cx.stmt.span.into(),
                format!("dropdb:{name}"),
                format!("DROP DATABASE {name} in a migration destroys the whole database in every environment it runs in"),
                "Drop databases in provisioning, outside the schema history.",
                None,
            );
        }
    }
}
