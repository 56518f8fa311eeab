//! Migration safety: statements judged against the schema as it was before them, and the locks they take.
pub mod add_check_without_not_valid;
pub mod add_column_not_null_without_default;
pub mod add_column_rewrite;
pub mod add_foreign_key_without_not_valid;
pub mod add_unique_without_index;
pub mod alter_column_type;
pub mod alter_domain_add_constraint;
pub mod backfill_in_ddl_transaction;
pub mod concurrently_in_transaction;
pub mod dependent_view;
pub mod down_does_not_restore;
pub mod drop_column_or_table;
pub mod drop_database;
pub mod drop_not_null_or_default;
pub mod drop_routine_type_or_schema;
pub mod drop_view;
pub mod enum_add_value_in_transaction;
pub mod fails_against_schema;
pub mod identifier_too_long;
pub mod manifest;
pub mod missing_lock_timeout;
pub mod multiple_access_exclusive;
pub mod non_rerunnable_concurrent_index;
pub mod reindex_not_concurrently;
pub mod rename;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod set_not_null;
pub mod table_rewrite_maintenance;
pub mod transaction_nesting;
pub mod truncate_or_cascade;
pub mod validate_in_same_transaction;

use dbarch_catalog::Catalog;
use dbarch_sql::change::{
    AlterTable, ColumnConstraint, ColumnDef, Lowered, ObjName, ObjectKind, SchemaChange,
};

use crate::migration::StatementContext;
use crate::rule::Sink;

/// Why PostgreSQL would refuse a statement (MIG032, MIG033): worked out once per statement in the replay
/// ([`crate::migration::Refusals`]), reported by the rules, and checked on down scripts too.
pub(crate) struct Refusal {
    pub key: String,
    pub message: String,
    pub help: String,
}

impl Refusal {
    pub(crate) fn new(key: String, message: String, help: impl Into<String>) -> Self {
        Refusal {
            key,
            message,
            help: help.into(),
        }
    }
}

/// Report refusals at the statement.
pub(crate) fn report_refusals(cx: &StatementContext, refusals: &[Refusal], out: &mut Sink) {
    for r in refusals {
        out.push(
            cx.stmt.span.into(),
            r.key.clone(),
            r.message.clone(),
            r.help.clone(),
            None,
        );
    }
}

/// Functions whose value differs per row: a column default calling one forces a table rewrite.
const VOLATILE: &[&str] = &[
    "random",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "nextval",
    "txid_current",
    "statement_timestamp",
    "gen_random_bytes",
];

/// The ALTER TABLE commands of a statement's changes, with the table they apply to (as written).
pub(crate) fn alter_tables(changes: &Lowered) -> impl Iterator<Item = (&ObjName, &[AlterTable])> {
    changes.changes.iter().filter_map(|c| match c {
        SchemaChange::AlterTable {
            name,
            kind: ObjectKind::Table,
            commands,
            ..
        } => Some((name, commands.as_slice())),
        _ => None,
    })
}

/// The ALTER TABLE commands of the statement on tables that existed before this migration.
pub(crate) fn alter_existing<'a>(
    cx: &StatementContext<'a>,
) -> Vec<(&'a dbarch_catalog::Table, &'a [AlterTable])> {
    alter_tables(cx.changes)
        .filter_map(|(name, commands)| Some((cx.existing(name)?, commands)))
        .collect()
}

/// Whether an added column is filled row by row, rewriting the table on any version: a volatile
/// default, an identity, a serial, or a stored generated column.
pub(crate) fn adds_rewriting_column(d: &ColumnDef, catalog: &Catalog) -> bool {
    d.serial
        || d.constraints.iter().any(|k| {
            matches!(
                k,
                ColumnConstraint::Identity(_) | ColumnConstraint::Generated(_)
            )
        })
        || volatile_default_of(d, catalog).is_some()
}

/// The first of `calls` that is volatile.
fn volatile_call(calls: Vec<String>, catalog: &Catalog) -> Option<String> {
    calls.into_iter().find(|f| {
        VOLATILE.contains(&f.as_str())
            || catalog
                .functions
                .iter()
                .any(|u| u.name.name == *f && u.volatility == "volatile")
    })
}

/// The volatile function a column's default calls, if any: a built-in one, or a function the schema
/// defines without STABLE or IMMUTABLE (functions are VOLATILE unless declared otherwise).
pub(crate) fn volatile_default_of(c: &ColumnDef, catalog: &Catalog) -> Option<String> {
    let expr = c.constraints.iter().find_map(|k| match k {
        ColumnConstraint::Default(e) => Some(e),
        _ => None,
    })?;
    volatile_call(dbarch_sql::expr::function_calls_in(expr)?, catalog)
}

/// A validated `CHECK (col IS NOT NULL)` on the table proves the column has no NULLs.
pub(crate) fn not_null_proven(t: &dbarch_catalog::Table, column: &str) -> bool {
    t.constraints.iter().any(|k| {
        !k.not_valid
            && matches!(&k.kind, dbarch_catalog::ConstraintKind::Check { expr, .. }
                if expr.replace(['(', ')'], "").eq_ignore_ascii_case(&format!("{column} IS NOT NULL")))
    })
}
