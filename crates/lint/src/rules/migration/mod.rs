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
use dbarch_sql::{NodeEnum, ast};

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

/// The ALTER TABLE subcommands of a statement, with the table they apply to.
pub(crate) fn alter_table(stmt: &NodeEnum) -> Option<(&ast::RangeVar, Vec<&ast::AlterTableCmd>)> {
    let NodeEnum::AlterTableStmt(a) = stmt else {
        return None;
    };
    if a.objtype != ast::ObjectType::ObjectTable as i32 {
        return None;
    }
    let cmds = a
        .cmds
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::AlterTableCmd(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect();
    Some((a.relation.as_ref()?, cmds))
}

pub(crate) fn is(c: &ast::AlterTableCmd, t: ast::AlterTableType) -> bool {
    c.subtype == t as i32
}

/// The column definition of an ADD COLUMN.
pub(crate) fn added_column(c: &ast::AlterTableCmd) -> Option<&ast::ColumnDef> {
    if !is(c, ast::AlterTableType::AtAddColumn) {
        return None;
    }
    match c.def.as_ref()?.node.as_ref()? {
        NodeEnum::ColumnDef(d) => Some(d),
        _ => None,
    }
}

/// The constraints written on a column definition, by type.
pub(crate) fn column_constraint(
    d: &ast::ColumnDef,
    t: ast::ConstrType,
) -> Option<&ast::Constraint> {
    d.constraints.iter().find_map(|n| match n.node.as_ref() {
        Some(NodeEnum::Constraint(c)) if c.contype == t as i32 => Some(c.as_ref()),
        _ => None,
    })
}

/// Whether an ADD COLUMN rewrites the table on any version: a volatile default, an identity, a serial,
/// or a stored generated column.
pub(crate) fn adds_rewriting_column_def(d: &ast::ColumnDef, catalog: &Catalog) -> bool {
    let serial = d
        .type_name
        .as_ref()
        .and_then(|t| t.names.last())
        .and_then(dbarch_sql::expr::string_value)
        .is_some_and(|n| n.to_ascii_lowercase().contains("serial"));
    serial
        || column_constraint(d, ast::ConstrType::ConstrIdentity).is_some()
        || column_constraint(d, ast::ConstrType::ConstrGenerated).is_some()
        || volatile_default(d, catalog).is_some()
}

/// The volatile function a column default calls, if any: a built-in one, or a function the schema defines
/// without STABLE or IMMUTABLE (functions are VOLATILE unless declared otherwise).
pub(crate) fn volatile_default(d: &ast::ColumnDef, catalog: &Catalog) -> Option<String> {
    let expr = column_constraint(d, ast::ConstrType::ConstrDefault)
        .and_then(|c| c.raw_expr.as_deref())
        .or(d.raw_default.as_deref())?;
    volatile_call(dbarch_sql::expr::function_calls(expr), catalog)
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

/// [`volatile_default`] of a column as a schema change describes it.
pub(crate) fn volatile_default_of(
    c: &dbarch_sql::change::ColumnDef,
    catalog: &Catalog,
) -> Option<String> {
    let expr = c.constraints.iter().find_map(|k| match k {
        dbarch_sql::change::ColumnConstraint::Default(e) => Some(e),
        _ => None,
    })?;
    volatile_call(dbarch_sql::expr::function_calls_in(expr)?, catalog)
}

/// An ALTER TABLE on a table that existed before this migration: the table and the subcommands.
pub(crate) fn alter_existing<'a>(
    cx: &crate::migration::StatementContext<'a>,
) -> Option<(&'a dbarch_catalog::Table, Vec<&'a ast::AlterTableCmd>)> {
    let (rv, cmds) = alter_table(&cx.stmt.node)?;
    Some((cx.existing_table(rv)?, cmds))
}

/// Whether a REINDEX says CONCURRENTLY.
pub(crate) fn reindex_is_concurrent(r: &ast::ReindexStmt) -> bool {
    r.params.iter().any(
        |p| matches!(p.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "concurrently"),
    )
}

/// A validated `CHECK (col IS NOT NULL)` on the table proves the column has no NULLs.
pub(crate) fn not_null_proven(t: &dbarch_catalog::Table, column: &str) -> bool {
    t.constraints.iter().any(|k| {
        !k.not_valid
            && matches!(&k.kind, dbarch_catalog::ConstraintKind::Check { expr, .. }
                if expr.replace(['(', ')'], "").eq_ignore_ascii_case(&format!("{column} IS NOT NULL")))
    })
}

/// Whether a VACUUM says FULL.
pub(crate) fn vacuum_is_full(v: &ast::VacuumStmt) -> bool {
    v.options
        .iter()
        .any(|o| matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "full"))
}

/// The columns an ALTER TABLE adds to a table that existed before this migration.
pub(crate) fn columns_added_to_existing<'a>(
    cx: &'a crate::migration::StatementContext,
) -> Option<(&'a dbarch_catalog::Table, Vec<&'a ast::ColumnDef>)> {
    let (t, cmds) = alter_existing(cx)?;
    Some((t, cmds.into_iter().filter_map(added_column).collect()))
}
