//! What a migration rule sees: one statement with the schema before it (`StatementContext`), and what
//! a reversibility rule sees (`DownContext`).

use std::collections::HashSet;

use dbarch_catalog::{Catalog, QualifiedName, Table};
use dbarch_sql::{ParsedFile, Statement};

use crate::config::Options;
use crate::knowledge::Knowledge;

pub struct StatementContext<'a> {
    /// The schema before this statement.
    pub catalog: &'a Catalog,
    pub stmt: &'a Statement,
    /// The statement's schema changes.
    pub changes: &'a dbarch_sql::change::Lowered,
    /// The changes of the statements after this one in the same migration.
    pub rest: &'a [dbarch_sql::change::Lowered],
    /// The migration tool runs the whole file in one transaction.
    pub tool_wraps: bool,
    /// How the tool runs the file (wrapped, one multi-statement query, statement by statement).
    pub mode: dbarch_migrate::Transaction,
    /// A transaction block (explicit, the tool's, or the implicit one of a multi-statement query) is open
    /// while this statement runs.
    pub in_transaction: bool,
    /// An explicit transaction block (the script's BEGIN, or the tool's) was open before this statement.
    pub open_before: bool,
    /// Tables created earlier in this same migration: nobody else can be using them yet.
    pub created_here: &'a HashSet<QualifiedName>,
    /// `SET lock_timeout` ran earlier in this migration.
    pub lock_timeout_set: bool,
    /// `SET timezone = 'UTC'` ran earlier in this migration (timestamp <-> timestamptz is then
    /// binary-coercible, PostgreSQL 12+).
    pub timezone_utc: bool,
    /// An earlier statement of this migration took ACCESS EXCLUSIVE on a table that existed before it.
    pub access_exclusive_before: bool,
    /// Existing tables on which the open transaction already holds ACCESS EXCLUSIVE.
    pub locked_exclusive: &'a HashSet<QualifiedName>,
    /// Constraints added NOT VALID earlier in this migration: (table, constraint name).
    pub added_not_valid: &'a HashSet<(QualifiedName, String)>,
    pub pg_version: u32,
    pub options: &'a Options,
    pub knowledge: &'a Knowledge,
    /// The statement is in a down script, and this is the up script it undoes: what that up made (its
    /// tables, columns, views) is the down's to remove, and nobody used it before the migration.
    pub undoing: Option<dbarch_sql::FileId>,
    /// The statement is one a DO block (or a routine the migration calls) runs, and `stmt.span` is the
    /// block's.
    pub in_routine: bool,
    /// The knowledge-table operations this statement performs on tables that existed before this
    /// migration, with the table each applies to (classified once, before the rules run).
    pub operations: Vec<(&'a crate::knowledge::Operation, QualifiedName)>,
    /// Why PostgreSQL would refuse this statement on the schema before it (worked out once: MIG032 and
    /// MIG033 report it, and the replay then leaves the schema as it was).
    pub refusals: Refusals,
}

/// Why PostgreSQL would refuse a statement, by the rule that says so.
#[derive(Default)]
pub struct Refusals {
    /// A view reads what the statement drops or retypes (MIG032).
    pub(crate) views: Vec<crate::rules::migration::Refusal>,
    /// The statement does not fit the schema (MIG033).
    pub(crate) schema: Vec<crate::rules::migration::Refusal>,
}

impl Refusals {
    /// `relations_known`: every relation of the schema is in the model (no statement it does not follow
    /// may have created one), so a DROP of one it lacks is refused.
    pub(crate) fn of(
        catalog: &Catalog,
        changes: &dbarch_sql::change::Lowered,
        relations_known: bool,
    ) -> Self {
        use crate::rules::migration::{dependent_view, fails_against_schema};
        Refusals {
            views: dependent_view::blocked(catalog, changes),
            schema: fails_against_schema::fails(catalog, changes, relations_known),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.schema.is_empty()
    }
}

impl<'a> StatementContext<'a> {
    /// A column type change PostgreSQL makes in the catalog only (no rewrite): binary-coercible types, and
    /// timestamp <-> timestamptz when the migration set the session time zone to UTC (PostgreSQL 12+).
    pub fn type_change_is_catalog_only(
        &self,
        from: &dbarch_catalog::DataType,
        to: &dbarch_catalog::DataType,
    ) -> bool {
        catalog_only_type_change(from, to, self.timezone_utc, self.pg_version)
    }

    /// The knowledge table asked about changes made to the schema before this statement.
    pub fn locks(&self) -> super::Locks<'a> {
        super::Locks {
            catalog: self.catalog,
            created_here: self.created_here,
            timezone_utc: self.timezone_utc,
            pg_version: self.pg_version,
            knowledge: self.knowledge,
        }
    }

    /// The table a schema change names, when it existed before this migration (so other sessions use it).
    pub fn existing(&self, name: &dbarch_sql::change::ObjName) -> Option<&'a Table> {
        self.locks().existing(name)
    }
}

/// [`StatementContext::type_change_is_catalog_only`] given the session's time zone and the version.
pub(crate) fn catalog_only_type_change(
    from: &dbarch_catalog::DataType,
    to: &dbarch_catalog::DataType,
    timezone_utc: bool,
    pg_version: u32,
) -> bool {
    crate::rules::migration::alter_column_type::binary_coercible(from, to)
        || (timezone_utc
            && pg_version >= 12
            && from.array_dims == to.array_dims
            && from.modifiers == to.modifiers
            && matches!(
                (from.name.as_str(), to.name.as_str()),
                ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
            ))
}

/// What a reversibility rule sees: the down script and what replaying it after the up left different from
/// the schema before the up.
pub struct DownContext<'a> {
    pub up: &'a ParsedFile,
    /// The down script's file.
    pub down_file: dbarch_sql::FileId,
    /// Where to report: the down script's first statement, or its start.
    pub at: dbarch_sql::Span,
    pub differences: &'a [dbarch_catalog::Change],
    /// Statements of the down PostgreSQL would refuse on the schema the up left, and why.
    pub failures: &'a [(dbarch_sql::Span, String)],
    /// The down script does not parse (then `differences` is empty).
    pub parse_error: Option<&'a str>,
}
