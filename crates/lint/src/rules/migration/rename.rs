use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG012",
    name: "rename-column-or-table",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "Renaming a column or table breaks the application code that is running.",
    doc: Doc {
        what: "`ALTER TABLE ... RENAME COLUMN` and `ALTER TABLE ... RENAME TO` on a table that existed before this \
               migration.",
        why: "The rename is instant, and so is the breakage: during a deploy the old application version is still \
              running and every query that names the old column or table fails until the new version is live \
              everywhere. Renames need expand/contract: add the new name, write both, move readers, drop the old.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n-- migration\nALTER TABLE users RENAME COLUMN name TO full_name;",
        use_instead: "-- release 1: add and dual-write\nALTER TABLE users ADD COLUMN full_name text;\n-- (backfill; application writes both, reads full_name)\n-- release 2, once no code reads name:\nALTER TABLE users DROP COLUMN name;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-altertable.html"],
    },
    fixtures: fixtures!("MIG012"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        let SchemaChange::Rename(r) = c else { continue };
        let Some(t) = r.relation.as_ref().and_then(|rel| cx.existing(rel)) else {
            continue;
        };
        let (what, old) = match r.kind {
            ObjectKind::Column => ("column", format!("{}.{}", t.name, r.old)),
            ObjectKind::Table => ("table", t.name.to_string()),
            _ => continue,
        };
        out.push(
            cx.stmt.span.into(),
            format!("{old}->{}", r.new),
            format!("renaming {what} {old} to {} breaks running code that uses the old name", r.new),
            "Use expand/contract: add the new name, write both, move readers, then drop the old one in a later release.",
            None,
        );
    }
}
