use super::{adds_rewriting_column, alter_existing, volatile_default_of};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterTable, ColumnConstraint};

pub static RULE: Rule = Rule {
    code: "MIG004",
    name: "add-column-rewrite",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ADD COLUMN that rewrites an existing table (volatile default, identity, serial, stored generated; any default before PostgreSQL 11).",
    doc: Doc {
        what: "`ALTER TABLE ... ADD COLUMN` on an existing table whose new column needs a value computed per row: \
               a volatile default (`gen_random_uuid()`, `clock_timestamp()`, `random()`), an identity or serial \
               column, or a stored generated column. Before PostgreSQL 11, any DEFAULT.",
        why: "The table and all its indexes are rewritten under an ACCESS EXCLUSIVE lock: no reads or writes for \
              the whole rewrite, and twice the disk space meanwhile. Since PostgreSQL 11 a constant (non-volatile) \
              default is stored in the catalog and costs nothing.",
        example: "CREATE TABLE events (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE events ADD COLUMN uid uuid NOT NULL DEFAULT gen_random_uuid();",
        use_instead: "ALTER TABLE events ADD COLUMN uid uuid;                         -- catalog only\nALTER TABLE events ALTER COLUMN uid SET DEFAULT gen_random_uuid(); -- new rows\n-- backfill in batches: UPDATE events SET uid = gen_random_uuid() WHERE id BETWEEN $1 AND $2 AND uid IS NULL;\n-- then add NOT NULL safely (see MIG006)",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES",
            "https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN",
        ],
    },
    fixtures: fixtures!("MIG004"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for (t, commands) in alter_existing(cx) {
        for c in commands {
            let AlterTable::AddColumn { column: d, .. } = c else {
                continue;
            };
            let has_default = d
                .constraints
                .iter()
                .any(|k| matches!(k, ColumnConstraint::Default(_)));
            let why = if let Some(f) = volatile_default_of(d, cx.catalog) {
                format!("its default calls the volatile function {f}()")
            } else if adds_rewriting_column(d, cx.catalog) {
                "identity, serial and stored generated columns are filled row by row".to_string()
            } else if has_default && cx.pg_version < 11 {
                format!(
                    "before PostgreSQL 11 any default is written into every row (target is {})",
                    cx.pg_version
                )
            } else {
                continue;
            };
            out.push(
                d.at.into(),
                format!("{}.{}", t.name, d.name),
                format!("adding {}.{} rewrites the table: {why}", t.name, d.name),
                format!("This {}. Add the column without the default, set the default for new rows, and backfill in batches.", cx.knowledge.describe("add-column-volatile-default", cx.pg_version)),
                None,
            );
        }
    }
}
