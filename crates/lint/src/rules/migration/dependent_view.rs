use super::{Refusal, alter_tables, report_refusals};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_catalog::{Catalog, QualifiedName};
use dbarch_sql::change::{AlterTable, Lowered, ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG032",
    name: "blocked-by-dependent-view",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "Drops or retypes something a view reads: PostgreSQL refuses the statement and the migration fails.",
    doc: Doc {
        what: "`DROP TABLE` / `DROP VIEW` without CASCADE of a relation a view reads, and `ALTER TABLE ... DROP \
               COLUMN` (without CASCADE) or `ALTER COLUMN ... TYPE` of a column a view reads: by name, through \
               `*` as it was expanded when the view was created, or in `JOIN ... USING`.",
        why: "PostgreSQL records which columns each view uses and refuses these statements while the view \
              exists (`cannot drop ... because other objects depend on it`, `cannot alter type of a column \
              used by a view or rule`). The migration fails at deploy time, in the middle of a release. \
              CASCADE is no way out: it silently drops the view that clients read.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, total integer);\nCREATE VIEW order_totals AS SELECT id, total FROM orders;\n-- migration\nALTER TABLE orders ALTER COLUMN total TYPE numeric;",
        use_instead: "-- in one transaction, so readers never see the view missing\nDROP VIEW order_totals;\nALTER TABLE orders ALTER COLUMN total TYPE numeric;\nCREATE VIEW order_totals AS SELECT id, total FROM orders;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/ddl-depend.html",
            "https://www.postgresql.org/docs/current/sql-altertable.html",
        ],
    },
    fixtures: fixtures!("MIG032"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    report_refusals(cx, &cx.refusals.views, out);
}

/// The views that make PostgreSQL refuse a statement's `changes` on the schema `catalog`: a DROP
/// TABLE/VIEW without CASCADE of a relation a view reads, a DROP COLUMN (without CASCADE) or ALTER COLUMN
/// TYPE of a column one reads. Also used on down scripts (a down that fails is reported by MIG021).
pub(crate) fn blocked(catalog: &Catalog, changes: &Lowered) -> Vec<Refusal> {
    let mut out = vec![];
    for c in &changes.changes {
        let SchemaChange::Drop(d) = c else { continue };
        if !matches!(
            d.kind,
            ObjectKind::Table | ObjectKind::View | ObjectKind::MaterializedView
        ) || d.cascade
        {
            continue;
        }
        let dropped: Vec<QualifiedName> = d
            .objects
            .iter()
            .map(|o| catalog.resolve_name(&o.name))
            .collect();
        for name in &dropped {
            for v in catalog.views.values() {
                if v.depends_on.contains(name) && !dropped.contains(&v.name) {
                    out.push(Refusal::new(
                        format!("{name}:{}", v.name),
                        format!(
                            "dropping {name} fails: view {} reads it (PostgreSQL refuses without CASCADE)",
                            v.name
                        ),
                        format!(
                            "Drop view {} first (and create it again after, if it stays), in the same transaction.",
                            v.name
                        ),
                    ));
                }
            }
        }
    }
    for (name, commands) in alter_tables(changes) {
        let table = catalog.resolve(name);
        if !catalog.tables.contains_key(&table) {
            continue;
        }
        for c in commands {
            let (what, column) = match c {
                AlterTable::DropColumn {
                    column,
                    cascade: false,
                    ..
                } => ("dropping", column),
                AlterTable::AlterColumnType { column, .. } => ("changing the type of", column),
                _ => continue,
            };
            for v in catalog.views.values() {
                if v.depends_on.contains(&table) && v.reads_column(catalog, &table, column) {
                    out.push(Refusal::new(
                        format!("{table}.{column}:{}", v.name),
                        format!("{what} column {table}.{column} fails: view {} reads it", v.name),
                        format!(
                            "Drop view {} before this statement and create it again after, in the same transaction.",
                            v.name
                        ),
                    ));
                }
            }
        }
    }
    out
}
