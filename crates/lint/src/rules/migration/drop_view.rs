use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG030",
    name: "drop-view",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "DROP VIEW of a view the migration does not create again: clients reading it break.",
    doc: Doc {
        what: "`DROP VIEW` / `DROP MATERIALIZED VIEW` of a view that existed before the migration and that the \
               same migration does not create again (dropping and recreating a view to change it is fine).",
        why: "A view is an interface: application queries, reports and other views read it. Dropping it makes \
              every one of them fail at once, and with CASCADE it silently takes dependent views along. Like a \
              dropped column, it should go only after no deployed code reads it.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\nCREATE VIEW order_totals AS SELECT id, total FROM orders;\n-- migration\nDROP VIEW order_totals;",
        use_instead: "-- 1. deploy code that no longer reads order_totals\n-- 2. then, in a later migration:\nDROP VIEW order_totals;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-dropview.html"],
    },
    fixtures: fixtures!("MIG030"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        let SchemaChange::Drop(d) = c else { continue };
        if !matches!(d.kind, ObjectKind::View | ObjectKind::MaterializedView) {
            continue;
        }
        for o in &d.objects {
            let name = cx.catalog.resolve_name(&o.name);
            if !cx.catalog.views.contains_key(&name) || cx.created_here.contains(&name) {
                continue;
            }
            let recreated = cx.rest.iter().flat_map(|l| &l.changes).any(|c| match c {
                SchemaChange::CreateView { name: n, .. }
                | SchemaChange::CreateTableAs { name: n, .. } => cx.catalog.resolve(n) == name,
                _ => false,
            });
            if recreated {
                continue;
            }
            out.push(
                cx.stmt.span.into(),
                format!("view:{name}"),
                format!("view {name} is dropped and not created again: every query that reads it fails"),
                "Drop a view only after the deployed code stops reading it (or recreate it in the same migration).",
                None,
            );
        }
    }
}
