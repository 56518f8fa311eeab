//! Migration rules see one statement at a time, with the schema as it was just before it, and what the
//! migration has done so far: which tables it created (operations on those are safe), whether a
//! transaction is open, whether `lock_timeout` was set.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::sync::Arc;

use dbarch_catalog::{Catalog, QualifiedName, Table};
use dbarch_sql::{NodeEnum, ParsedFile, SourceMap, Statement, Suppression, ast};

use dbarch_report::{HeldLock, LockReport, MigrationLocks, StatementLock};

use crate::config::{Config, Options};
use crate::engine::LintOutput;
use crate::knowledge::Knowledge;
use crate::registry::all_rules;
use crate::rule::{Check, Sink};

/// One migration's up script (and down script, when it has one), parsed with their statements kept.
pub struct MigrationScript {
    /// The migration's version as its file names it (`001`, `2019-02-26-002946`).
    pub version: String,
    pub file: ParsedFile,
    pub down: Option<ParsedFile>,
    /// The down script exists but does not parse: where (its file) and the parser's message.
    pub down_error: Option<(dbarch_sql::FileId, String)>,
    /// The tool wraps the whole script in a transaction.
    pub wrapped: bool,
}

impl MigrationScript {
    /// SHA-256 of the up script's text (computed when asked: only a manifest check needs it).
    pub fn checksum(&self) -> String {
        dbarch_migrate::checksum(&self.file.file.text)
    }
}

pub struct StatementContext<'a> {
    /// The schema before this statement.
    pub catalog: &'a Catalog,
    pub stmt: &'a Statement,
    /// The statements after this one in the same migration.
    pub rest: &'a [Statement],
    /// The migration tool runs the whole file in one transaction.
    pub tool_wraps: bool,
    /// A transaction block is open while this statement runs.
    pub in_transaction: bool,
    /// A transaction block was open before this statement (differs from `in_transaction` for BEGIN and
    /// COMMIT).
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
    pub(crate) fn of(catalog: &Catalog, node: &NodeEnum) -> Self {
        use crate::rules::migration::{dependent_view, fails_against_schema};
        Refusals {
            views: dependent_view::blocked(catalog, node),
            schema: fails_against_schema::fails(catalog, node),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.schema.is_empty()
    }
}

impl<'a> StatementContext<'a> {
    fn classify(&self) -> Vec<(&'a crate::knowledge::Operation, QualifiedName)> {
        let k = self.knowledge;
        let mut out = vec![];
        let mut push = |id: &str, t: &Table| {
            if let Some(o) = k.get(id) {
                out.push((o, t.name.clone()));
            }
        };
        match &self.stmt.node {
            NodeEnum::IndexStmt(i) => {
                // CREATE INDEX IF NOT EXISTS of an index that exists does nothing.
                let exists = i.if_not_exists
                    && !i.idxname.is_empty()
                    && self.catalog.indexes.keys().any(|k| k.name == i.idxname);
                if let Some(t) = i.relation.as_ref().and_then(|r| self.existing_table(r)) {
                    push(
                        if exists {
                            "create-index-if-not-exists-existing"
                        } else if i.concurrent {
                            "create-index-concurrently"
                        } else {
                            "create-index"
                        },
                        t,
                    );
                }
            }
            NodeEnum::AlterTableStmt(a) => {
                let Some(t) = a.relation.as_ref().and_then(|r| self.existing_table(r)) else {
                    // A table created in this migration: only the tables its new foreign keys reference
                    // are in use.
                    let defs = a.cmds.iter().filter_map(|c| match c.node.as_ref() {
                        Some(NodeEnum::AlterTableCmd(c)) => c.def.as_deref(),
                        _ => None,
                    });
                    for k in crate::rules::migration::foreign_keys_in(defs) {
                        if let Some(p) = k.pktable.as_ref().and_then(|r| self.existing_table(r)) {
                            push("foreign-key-referenced-table", p);
                        }
                    }
                    return out;
                };
                for c in a.cmds.iter().filter_map(|c| match c.node.as_ref() {
                    Some(NodeEnum::AlterTableCmd(c)) => Some(c),
                    _ => None,
                }) {
                    use ast::AlterTableType as At;
                    let id = match At::try_from(c.subtype).unwrap_or(At::Undefined) {
                        At::AtAddColumn => {
                            // Inline constraints do what their ADD CONSTRAINT forms do.
                            if let Some(d) = crate::rules::migration::added_column(c) {
                                for k in
                                    d.constraints.iter().filter_map(|n| match n.node.as_ref() {
                                        Some(NodeEnum::Constraint(k)) => Some(k),
                                        _ => None,
                                    })
                                {
                                    use ast::ConstrType as Ct;
                                    match Ct::try_from(k.contype).unwrap_or(Ct::Undefined) {
                                        Ct::ConstrUnique | Ct::ConstrPrimary => {
                                            push("add-unique", t)
                                        }
                                        Ct::ConstrCheck => push("add-check", t),
                                        Ct::ConstrForeign => {
                                            if crate::rules::migration::fills_existing_rows(d) {
                                                push("add-foreign-key", t);
                                            }
                                            if let Some(p) = k
                                                .pktable
                                                .as_ref()
                                                .and_then(|r| self.existing_table(r))
                                                && p.name != t.name
                                            {
                                                push("foreign-key-referenced-table", p);
                                            }
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            if crate::rules::migration::adds_rewriting_column(c, self.catalog) {
                                "add-column-volatile-default"
                            } else if crate::rules::migration::added_column(c).is_some_and(|d| {
                                crate::rules::migration::declares_not_null(d)
                                    && !crate::rules::migration::fills_existing_rows(d)
                            }) {
                                "add-column-not-null-without-default"
                            } else {
                                "add-column"
                            }
                        }
                        At::AtDropColumn => {
                            for fk in t.constraints.iter().filter_map(|k| k.foreign_key()) {
                                if fk.columns.contains(&c.name) {
                                    self.push_referenced("drop-foreign-key", fk, t, &mut push);
                                }
                            }
                            "drop-column"
                        }
                        At::AtDropConstraint => {
                            if let Some(fk) = t
                                .constraints
                                .iter()
                                .find(|k| k.name == c.name)
                                .and_then(|k| k.foreign_key())
                            {
                                self.push_referenced("drop-foreign-key", fk, t, &mut push);
                            }
                            "drop-constraint"
                        }
                        At::AtSetNotNull => {
                            if t.column(&c.name).is_some_and(|col| col.not_null) {
                                "set-not-null-noop"
                            } else if crate::rules::migration::not_null_proven(t, &c.name) {
                                "set-not-null-proven"
                            } else {
                                "set-not-null"
                            }
                        }
                        At::AtSetStatistics
                        | At::AtSetOptions
                        | At::AtResetOptions
                        | At::AtSetRelOptions
                        | At::AtResetRelOptions
                        | At::AtClusterOn
                        | At::AtDropCluster
                        | At::AtAttachPartition => "alter-table-share-update-exclusive",
                        At::AtEnableTrig
                        | At::AtEnableAlwaysTrig
                        | At::AtEnableReplicaTrig
                        | At::AtDisableTrig
                        | At::AtEnableTrigAll
                        | At::AtDisableTrigAll
                        | At::AtEnableTrigUser
                        | At::AtDisableTrigUser => "enable-disable-trigger",
                        At::AtDropNotNull => "drop-not-null",
                        At::AtColumnDefault => "set-default",
                        At::AtAlterColumnType => {
                            let new = match c.def.as_ref().and_then(|d| d.node.as_ref()) {
                                Some(NodeEnum::ColumnDef(d)) => d
                                    .type_name
                                    .as_ref()
                                    .map(|tn| dbarch_catalog::data_type_of(tn).0),
                                _ => None,
                            };
                            let (coercible, zone_switch) = match (t.column(&c.name), new) {
                                (Some(col), Some(new)) => (
                                    self.type_change_is_catalog_only(&col.data_type, &new),
                                    matches!(
                                        (col.data_type.name.as_str(), new.name.as_str()),
                                        ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                                    ),
                                ),
                                _ => (false, false),
                            };
                            let on_column = |plain: bool| {
                                self.catalog.indexes.values().any(|i| {
                                    i.table == t.name
                                        && i.keys.iter().any(|k| match &k.expr {
                                            dbarch_catalog::IndexKeyExpr::Column(n) => {
                                                plain && *n == c.name
                                            }
                                            dbarch_catalog::IndexKeyExpr::Expression {
                                                columns,
                                                ..
                                            } => columns.contains(&c.name),
                                        })
                                })
                            };
                            let indexed = on_column(true);
                            let expression_indexed = on_column(false);
                            let checked = t.constraints.iter().any(|k| {
                                matches!(&k.kind, dbarch_catalog::ConstraintKind::Check { columns, .. } if columns.contains(&c.name))
                            });
                            if coercible && zone_switch {
                                if indexed || checked {
                                    "alter-column-type-timestamptz-indexed"
                                } else {
                                    "alter-column-type-timestamptz"
                                }
                            } else if coercible && expression_indexed {
                                "alter-column-type-binary-coercible-expression-index"
                            } else if coercible && checked {
                                "alter-column-type-binary-coercible-checked"
                            } else if coercible {
                                "alter-column-type-binary-coercible"
                            } else {
                                "alter-column-type"
                            }
                        }
                        At::AtValidateConstraint => "validate-constraint",
                        At::AtEnableRowSecurity | At::AtForceRowSecurity => "enable-rls",
                        At::AtAddConstraint => match c.def.as_ref().and_then(|d| d.node.as_ref()) {
                            Some(NodeEnum::Constraint(k))
                                if k.contype == ast::ConstrType::ConstrForeign as i32 =>
                            {
                                let id = if k.skip_validation {
                                    "add-foreign-key-not-valid"
                                } else {
                                    "add-foreign-key"
                                };
                                // The referenced table is locked too.
                                if let Some(p) =
                                    k.pktable.as_ref().and_then(|r| self.existing_table(r))
                                    && p.name != t.name
                                {
                                    push("foreign-key-referenced-table", p);
                                }
                                id
                            }
                            Some(NodeEnum::Constraint(k)) if k.skip_validation => {
                                "add-constraint-not-valid"
                            }
                            Some(NodeEnum::Constraint(k))
                                if k.contype == ast::ConstrType::ConstrCheck as i32 =>
                            {
                                "add-check"
                            }
                            Some(NodeEnum::Constraint(k))
                                if (k.contype == ast::ConstrType::ConstrUnique as i32
                                    || k.contype == ast::ConstrType::ConstrPrimary as i32)
                                    && k.indexname.is_empty() =>
                            {
                                "add-unique"
                            }
                            Some(NodeEnum::Constraint(k))
                                if k.contype == ast::ConstrType::ConstrExclusion as i32 =>
                            {
                                "add-exclusion-constraint"
                            }
                            _ => "add-constraint-not-valid",
                        },
                        _ => "alter-table-other",
                    };
                    push(id, t);
                }
            }
            NodeEnum::RenameStmt(r) => {
                if let Some(t) = r.relation.as_ref().and_then(|rv| self.existing_table(rv)) {
                    push("rename", t);
                }
            }
            NodeEnum::DropStmt(d) if d.remove_type == ast::ObjectType::ObjectTable as i32 => {
                for o in &d.objects {
                    if let Some(NodeEnum::List(l)) = o.node.as_ref() {
                        let parts = dbarch_sql::expr::name_list(&l.items);
                        let name = self.catalog.resolve_name(&parts);
                        if !self.created_here.contains(&name)
                            && let Some(t) = self.catalog.tables.get(&name)
                        {
                            push("drop-table", t);
                            for fk in t.constraints.iter().filter_map(|k| k.foreign_key()) {
                                self.push_referenced("drop-foreign-key", fk, t, &mut push);
                            }
                        }
                    }
                }
            }
            NodeEnum::DropStmt(d) if d.remove_type == ast::ObjectType::ObjectIndex as i32 => {
                for o in &d.objects {
                    if let Some(NodeEnum::List(l)) = o.node.as_ref() {
                        let parts = dbarch_sql::expr::name_list(&l.items);
                        let name = self.catalog.resolve_name(&parts);
                        if let Some(t) = self
                            .catalog
                            .indexes
                            .get(&name)
                            .filter(|i| !self.created_here.contains(&i.table))
                            .and_then(|i| self.catalog.table(&i.table))
                        {
                            push(
                                if d.concurrent {
                                    "drop-index-concurrently"
                                } else {
                                    "drop-index"
                                },
                                t,
                            );
                        }
                    }
                }
            }
            NodeEnum::CreateStmt(c) => {
                let mut referenced: Vec<&Table> = vec![];
                for k in crate::rules::migration::foreign_keys_in(
                    c.constraints.iter().chain(&c.table_elts),
                ) {
                    if let Some(p) = k.pktable.as_ref().and_then(|r| self.existing_table(r))
                        && !referenced.iter().any(|r| r.name == p.name)
                    {
                        referenced.push(p);
                    }
                }
                for p in referenced {
                    push("create-table-with-foreign-key", p);
                }
            }
            NodeEnum::DropStmt(d) if d.remove_type == ast::ObjectType::ObjectTrigger as i32 => {
                for o in &d.objects {
                    if let Some(NodeEnum::List(l)) = o.node.as_ref() {
                        let parts = dbarch_sql::expr::name_list(&l.items);
                        if parts.len() < 2 {
                            continue;
                        }
                        let name = self.catalog.resolve_name(&parts[..parts.len() - 1]);
                        let trigger = parts[parts.len() - 1].clone();
                        if !self.created_here.contains(&name)
                            && self.catalog.triggers.contains_key(&(name.clone(), trigger))
                            && let Some(t) = self.catalog.tables.get(&name)
                        {
                            push("drop-trigger", t);
                        }
                    }
                }
            }
            NodeEnum::CommentStmt(c)
                if c.objtype == ast::ObjectType::ObjectColumn as i32
                    || c.objtype == ast::ObjectType::ObjectTable as i32 =>
            {
                if let Some(NodeEnum::List(l)) = c.object.as_ref().and_then(|o| o.node.as_ref()) {
                    let mut parts = dbarch_sql::expr::name_list(&l.items);
                    if c.objtype == ast::ObjectType::ObjectColumn as i32 {
                        parts.pop();
                    }
                    let name = self.catalog.resolve_name(&parts);
                    if !self.created_here.contains(&name)
                        && let Some(t) = self.catalog.tables.get(&name)
                    {
                        push("comment-on", t);
                    }
                }
            }
            NodeEnum::CreateTrigStmt(tr) => {
                if let Some(t) = tr.relation.as_ref().and_then(|r| self.existing_table(r)) {
                    push("create-trigger", t);
                }
            }
            NodeEnum::ReindexStmt(r) => {
                let id = if crate::rules::migration::reindex_is_concurrent(r) {
                    "reindex-concurrently"
                } else {
                    "reindex"
                };
                let Some(rv) = r.relation.as_ref() else {
                    return out;
                };
                let table = if r.kind == ast::ReindexObjectType::ReindexObjectIndex as i32 {
                    self.catalog
                        .indexes
                        .get(&self.catalog.resolve(rv))
                        .filter(|i| !self.created_here.contains(&i.table))
                        .and_then(|i| self.catalog.table(&i.table))
                } else {
                    self.existing_table(rv)
                };
                if let Some(t) = table {
                    push(id, t);
                }
            }
            NodeEnum::ClusterStmt(c) => {
                if let Some(t) = c.relation.as_ref().and_then(|r| self.existing_table(r)) {
                    push("cluster", t);
                }
            }
            NodeEnum::VacuumStmt(v) if !v.is_vacuumcmd => {
                for rv in v.rels.iter().filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::VacuumRelation(r)) => r.relation.as_ref(),
                    _ => None,
                }) {
                    if let Some(t) = self.existing_table(rv) {
                        push("analyze", t);
                    }
                }
            }
            NodeEnum::DropStmt(d)
                if d.behavior == ast::DropBehavior::DropCascade as i32
                    && d.remove_type == ast::ObjectType::ObjectFunction as i32 =>
            {
                // Triggers that call a dropped function go with it.
                for o in &d.objects {
                    let Some(NodeEnum::ObjectWithArgs(f)) = o.node.as_ref() else {
                        continue;
                    };
                    let parts = dbarch_sql::expr::name_list(&f.objname);
                    let Some(fname) = parts.last() else {
                        continue;
                    };
                    let mut tables: Vec<&QualifiedName> = self
                        .catalog
                        .triggers
                        .values()
                        .filter(|tr| tr.function.name == *fname)
                        .map(|tr| &tr.table)
                        .collect();
                    tables.sort();
                    tables.dedup();
                    for name in tables {
                        if !self.created_here.contains(name)
                            && let Some(t) = self.catalog.tables.get(name)
                        {
                            push("drop-trigger", t);
                        }
                    }
                }
            }
            NodeEnum::VacuumStmt(v) if crate::rules::migration::vacuum_is_full(v) => {
                for rv in v.rels.iter().filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::VacuumRelation(r)) => r.relation.as_ref(),
                    _ => None,
                }) {
                    if let Some(t) = self.existing_table(rv) {
                        push("vacuum-full", t);
                    }
                }
            }
            NodeEnum::TruncateStmt(tr) => {
                for r in tr.relations.iter().filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::RangeVar(r)) => Some(r),
                    _ => None,
                }) {
                    if let Some(t) = self.existing_table(r) {
                        push("truncate", t);
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The table a foreign key of `t` references, when it existed before this migration and is not `t`.
    fn push_referenced(
        &self,
        id: &str,
        fk: &dbarch_catalog::ForeignKey,
        t: &Table,
        push: &mut impl FnMut(&str, &Table),
    ) {
        if fk.ref_table != t.name
            && !self.created_here.contains(&fk.ref_table)
            && let Some(p) = self.catalog.tables.get(&fk.ref_table)
        {
            push(id, p);
        }
    }

    /// A column type change PostgreSQL makes in the catalog only (no rewrite): binary-coercible types, and
    /// timestamp <-> timestamptz when the migration set the session time zone to UTC (PostgreSQL 12+).
    pub fn type_change_is_catalog_only(
        &self,
        from: &dbarch_catalog::DataType,
        to: &dbarch_catalog::DataType,
    ) -> bool {
        crate::rules::migration::alter_column_type::binary_coercible(from, to)
            || (self.timezone_utc
                && self.pg_version >= 12
                && from.array_dims == to.array_dims
                && from.modifiers == to.modifiers
                && matches!(
                    (from.name.as_str(), to.name.as_str()),
                    ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                ))
    }

    /// The table a statement names, when it existed before this migration (so other sessions use it).
    pub fn existing_table(&self, rv: &ast::RangeVar) -> Option<&'a Table> {
        let name = self.catalog.resolve(rv);
        if self.created_here.contains(&name) {
            return None;
        }
        self.catalog.tables.get(&name).map(|t| &**t)
    }
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

/// What a history rule sees: every migration, and the manifest of those already applied (if given).
pub struct HistoryContext<'a> {
    pub scripts: &'a [MigrationScript],
    pub manifest: &'a [dbarch_migrate::Applied],
    /// The manifest file, for locating findings about its lines.
    pub manifest_file: Option<&'a dbarch_sql::SourceFile>,
}

/// Run the history rules (manifest checks).
pub fn run_history(
    scripts: &[MigrationScript],
    manifest: &[dbarch_migrate::Applied],
    manifest_file: Option<&dbarch_sql::SourceFile>,
    sources: &SourceMap,
    config: &Config,
) -> LintOutput {
    let mut out = LintOutput::default();
    let cx = HistoryContext {
        scripts,
        manifest,
        manifest_file,
    };
    for rule in all_rules().iter().filter(|r| config.enabled(r)) {
        let Check::History(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(&cx, &mut sink);
        out.add(rule, sink.into_items(), sources, &[], config);
    }
    out
}

/// Run the enabled migration rules over a history, in order. The catalog is replayed as it goes; it
/// starts from `base` (the schema before the first script).
/// What replaying a history produced: findings, the final schema, and the locks each statement takes.
pub struct MigrationRun {
    pub lint: LintOutput,
    pub catalog: Catalog,
    pub locks: LockReport,
}

/// Schema rules about a column's or key's own definition: run on the objects each migration creates.
const NEW_OBJECT_RULES: [&str; 9] = [
    "TYP001", "TYP002", "TYP003", "TYP004", "TYP005", "TYP006", "TYP007", "KEY006", "KEY007",
];

/// The reversibility rules on one down script.
fn run_down_rules(
    rules: &[&crate::rule::Rule],
    dcx: &DownContext,
    out: &mut LintOutput,
    sources: &SourceMap,
    suppressions: &[&Suppression],
    config: &Config,
) {
    for rule in rules {
        let Check::Reversibility(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(dcx, &mut sink);
        out.add(rule, sink.into_items(), sources, suppressions, config);
    }
}

/// A down replayed on the schema its up left: (the migration's position, what differs from the schema
/// before the up, the down's statements PostgreSQL would refuse and why).
type DownReplay = (
    usize,
    Vec<dbarch_catalog::Change>,
    Vec<(dbarch_sql::Span, String)>,
);

/// How many migrations' downs are checked together (in parallel); bounds the copies of the schema held.
const DOWN_BATCH: usize = 64;

/// Apply each down to the schema its up left, and compare with the schema before the up.
fn revert_and_compare<S: ScriptHandle>(
    scripts: &[S],
    batch: Vec<(usize, Arc<Catalog>, Arc<Catalog>)>,
) -> Vec<DownReplay> {
    use rayon::prelude::*;
    batch
        .into_par_iter()
        .map(|(at, before, after)| {
            let script: &MigrationScript = scripts[at].borrow();
            let mut reverted = Catalog::clone(&after);
            let mut failures = vec![];
            for stmt in script.down.iter().flat_map(|d| &d.statements) {
                let refusals = Refusals::of(&reverted, &stmt.node);
                if refusals.is_empty() {
                    reverted.apply(stmt);
                }
                let all = refusals.views.into_iter().chain(refusals.schema);
                failures.extend(all.map(|b| (stmt.span, b.message)));
            }
            let differences = dbarch_catalog::diff(&before, &reverted);
            (at, differences, failures)
        })
        .collect()
}

/// The inline suppressions of a migration (its up and its down).
fn suppressions_of(script: &MigrationScript) -> Vec<&Suppression> {
    script
        .file
        .suppressions
        .iter()
        .chain(script.down.iter().flat_map(|d| &d.suppressions))
        .collect()
}

pub fn run_migrations(
    base: Catalog,
    scripts: &[MigrationScript],
    sources: &SourceMap,
    config: &Config,
    pg_version: u32,
) -> MigrationRun {
    run_migrations_from(base, scripts.iter(), sources, config, pg_version).0
}

/// A migration script as `run_migrations_from` holds it: borrowed, or owned (then its up script's parse
/// trees are dropped once the migration has been judged, which keeps a long history's memory small).
pub trait ScriptHandle: Borrow<MigrationScript> + Sync {
    fn release_up_trees(&mut self) {}
}

impl ScriptHandle for &MigrationScript {}

impl ScriptHandle for MigrationScript {
    fn release_up_trees(&mut self) {
        self.file.statements = Vec::new();
    }
}

/// `run_migrations` over scripts that arrive in order (from a parser still at work on the later ones);
/// gives the scripts back (owned ones without their up scripts' parse trees; `statement_count` stays).
pub fn run_migrations_from<S: ScriptHandle>(
    base: Catalog,
    incoming: impl Iterator<Item = S>,
    sources: &SourceMap,
    config: &Config,
    pg_version: u32,
) -> (MigrationRun, Vec<S>) {
    let mut scripts: Vec<S> = vec![];
    let knowledge = Knowledge::builtin();
    let rules: Vec<_> = all_rules()
        .iter()
        .filter(|r| r.is_migration_rule() && config.enabled(r))
        .collect();
    let mut out = LintOutput::default();
    let mut locks = LockReport {
        pg_version,
        migrations: vec![],
    };
    let mut catalog = base;
    // The schema rules about a column's own definition, run on what each migration creates (as a reviewer
    // of that migration would), within the user's selection.
    let mut new_object_config = config.clone();
    new_object_config.select = NEW_OBJECT_RULES
        .iter()
        .filter(|code| crate::registry::find_rule(code).is_some_and(|r| config.enabled(r)))
        .map(|c| c.to_string())
        .collect();
    let down_rules: Vec<_> = rules
        .iter()
        .filter(|r| matches!(r.check, Check::Reversibility(_)))
        .map(|r| **r)
        .collect();
    let mut pending_downs = vec![];
    let mut compared = vec![];
    // The schema as the last up left it, shared with that migration's pending down check: it is also
    // the schema before the next migration, so one copy a migration is enough.
    let mut snapshot: Option<Arc<Catalog>> = None;
    for incoming_script in incoming {
        let position = scripts.len();
        scripts.push(incoming_script);
        let script: &MigrationScript = scripts[position].borrow();
        let suppressions = suppressions_of(script);
        let current = snapshot.take();
        let before = (script.down.is_some() && !down_rules.is_empty())
            .then(|| current.unwrap_or_else(|| Arc::new(catalog.clone())));
        let mut taken: Vec<(StatementLock, crate::knowledge::LockLevel, usize)> = vec![];
        let mut index = 0usize;
        let mut created = HashSet::new();
        let mut in_tx = script.wrapped;
        let mut lock_timeout = false;
        let mut timezone_utc = false;
        let mut access_exclusive = false;
        let mut not_valid = HashSet::new();
        let mut locked: HashSet<QualifiedName> = HashSet::new();
        for (at, stmt) in script.file.statements.iter().enumerate() {
            let in_tx_before = in_tx;
            match &stmt.node {
                NodeEnum::TransactionStmt(t) if !script.wrapped => {
                    use ast::TransactionStmtKind as K;
                    match K::try_from(t.kind).unwrap_or(K::Undefined) {
                        K::TransStmtBegin | K::TransStmtStart => in_tx = true,
                        K::TransStmtCommit
                        | K::TransStmtRollback
                        | K::TransStmtCommitPrepared
                        | K::TransStmtRollbackPrepared => {
                            in_tx = false;
                            locked.clear();
                        }
                        _ => {}
                    }
                }
                NodeEnum::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("lock_timeout") => {
                    lock_timeout = true
                }
                NodeEnum::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("timezone") => {
                    timezone_utc = v
                        .args
                        .first()
                        .and_then(dbarch_sql::expr::const_text)
                        .is_some_and(|z| {
                            matches!(
                                z.to_ascii_uppercase().as_str(),
                                "UTC" | "ETC/UTC" | "GMT" | "Z" | "UCT"
                            )
                        });
                }
                _ => {}
            }
            let mut cx = StatementContext {
                catalog: &catalog,
                stmt,
                rest: &script.file.statements[at + 1..],
                tool_wraps: script.wrapped,
                in_transaction: in_tx,
                open_before: in_tx_before,
                created_here: &created,
                lock_timeout_set: lock_timeout,
                timezone_utc,
                access_exclusive_before: access_exclusive,
                locked_exclusive: &locked,
                added_not_valid: &not_valid,
                pg_version,
                options: &config.options,
                knowledge: &knowledge,
                operations: Vec::new(),
                refusals: Refusals::of(&catalog, &stmt.node),
            };
            cx.operations = cx.classify();
            for rule in &rules {
                let Check::Migration(check) = rule.check else {
                    continue;
                };
                let mut sink = Sink::default();
                check(&cx, &mut sink);
                out.add(rule, sink.into_items(), sources, &suppressions, config);
            }
            let refused = !cx.refusals.is_empty();
            let lc = script.file.file.line_col(stmt.span.start);
            for (o, t) in &cx.operations {
                let entry = StatementLock {
                    line: lc.line,
                    column: lc.column,
                    statement: stmt
                        .sql
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(80)
                        .collect(),
                    table: t.to_string(),
                    operation: o.id.clone(),
                    lock: o.lock.sql().to_string(),
                    blocks: o.lock.blocks().to_string(),
                    rewrite: o.rewrite.holds(pg_version),
                    scan: o.scan.holds(pg_version),
                    in_transaction: in_tx,
                };
                taken.push((entry, o.lock, index));
            }
            index += 1;
            let exclusive: Vec<QualifiedName> = cx
                .operations
                .iter()
                .filter(|(o, _)| o.lock == crate::knowledge::LockLevel::AccessExclusive)
                .map(|(_, t)| t.clone())
                .collect();
            if !exclusive.is_empty() {
                access_exclusive = true;
                if in_tx {
                    locked.extend(exclusive);
                }
            }
            if let Some((rv, cmds)) = crate::rules::migration::alter_table(&stmt.node) {
                for c in cmds {
                    if let Some(NodeEnum::Constraint(k)) =
                        c.def.as_ref().and_then(|d| d.node.as_ref())
                        && k.skip_validation
                        && !k.conname.is_empty()
                    {
                        not_valid.insert((catalog.resolve(rv), k.conname.clone()));
                    }
                }
            }
            // A statement PostgreSQL would refuse (MIG032, MIG033 report it) leaves the schema as it was.
            if refused {
                continue;
            }
            match &stmt.node {
                NodeEnum::CreateStmt(c) => {
                    if let Some(rv) = &c.relation {
                        created.insert(catalog.resolve(rv));
                    }
                }
                NodeEnum::CreateTableAsStmt(c) => {
                    if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                        created.insert(catalog.resolve(rv));
                    }
                }
                // Routines, types and schemas created here are recorded by name too (schemas with an empty name).
                NodeEnum::CreateFunctionStmt(f) => {
                    created.insert(qualified(
                        &catalog,
                        &dbarch_sql::expr::name_list(&f.funcname),
                    ));
                }
                NodeEnum::CreateEnumStmt(e) => {
                    created.insert(qualified(
                        &catalog,
                        &dbarch_sql::expr::name_list(&e.type_name),
                    ));
                }
                NodeEnum::CreateDomainStmt(d) => {
                    created.insert(qualified(
                        &catalog,
                        &dbarch_sql::expr::name_list(&d.domainname),
                    ));
                }
                NodeEnum::CreateSchemaStmt(s) => {
                    created.insert(QualifiedName::new(s.schemaname.clone(), ""));
                }
                _ => {}
            }
            catalog.apply(stmt);
        }
        if let Some(before) = before {
            // The down is checked later, in parallel with others, on a copy (cheap: copies share the
            // objects neither script touched).
            let after = Arc::new(catalog.clone());
            pending_downs.push((position, before, after.clone()));
            snapshot = Some(after);
            if pending_downs.len() >= DOWN_BATCH {
                compared.extend(revert_and_compare(
                    &scripts,
                    std::mem::take(&mut pending_downs),
                ));
            }
        }
        if let Some((file, message)) = &script.down_error {
            let dcx = DownContext {
                up: &script.file,
                down_file: *file,
                at: dbarch_sql::Span::new(*file, 0, 0),
                differences: &[],
                failures: &[],
                parse_error: Some(message),
            };
            run_down_rules(&down_rules, &dcx, &mut out, sources, &suppressions, config);
        }
        // The longest-held lock: in a wrapped script every lock lasts to the end; otherwise a lock taken
        // inside BEGIN ... COMMIT lasts to the end of that block (approximated by the end of the script).
        let total = index;
        let longest = taken
            .iter()
            .filter(|(e, _, _)| e.in_transaction)
            .max_by_key(|(_, level, at)| (*level, total - at))
            .map(|(e, _, at)| HeldLock {
                table: e.table.clone(),
                lock: e.lock.clone(),
                taken_at_line: e.line,
                held_through_statements: total - at,
            });
        // Only the tables with a column this migration defined are judged (a small catalog keeps this
        // cheap on long histories).
        let file_id = script.file.file.id;
        let touched: std::collections::BTreeMap<QualifiedName, std::sync::Arc<Table>> = catalog
            .tables
            .iter()
            .filter(|(_, t)| {
                t.columns
                    .iter()
                    .any(|c| c.origin.span().is_some_and(|sp| sp.file == file_id))
            })
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        if !new_object_config.select.is_empty() && !touched.is_empty() {
            let here = script.file.file.path.display().to_string();
            let mut small = Catalog::new();
            small.tables = touched;
            small.types = catalog.types.clone();
            small.search_path = catalog.search_path.clone();
            let judged = crate::engine::run(&crate::engine::LintInput {
                catalog: &small,
                files: std::slice::from_ref(&script.file),
                sources,
                config: &new_object_config,
                pg_version,
            });
            out.findings
                .extend(judged.findings.into_iter().filter(|f| f.file == here));
            out.suppressed += judged.suppressed;
        }
        locks.migrations.push(MigrationLocks {
            file: script.file.file.path.display().to_string(),
            transaction: if script.wrapped {
                "wrapped".into()
            } else {
                "per-statement".into()
            },
            statements: taken.into_iter().map(|(e, _, _)| e).collect(),
            longest_held: longest.into_iter().collect(),
        });
        scripts[position].release_up_trees();
    }
    compared.extend(revert_and_compare(&scripts, pending_downs));
    for (at, differences, failures) in compared {
        let script: &MigrationScript = scripts[at].borrow();
        let suppressions = suppressions_of(script);
        let Some(down) = &script.down else { continue };
        let at = down
            .statements
            .first()
            .map(|s| s.span)
            .unwrap_or(dbarch_sql::Span::new(down.file.id, 0, 0));
        let dcx = DownContext {
            up: &script.file,
            down_file: down.file.id,
            at,
            differences: &differences,
            failures: &failures,
            parse_error: None,
        };
        run_down_rules(&down_rules, &dcx, &mut out, sources, &suppressions, config);
    }
    (
        MigrationRun {
            lint: out,
            catalog,
            locks,
        },
        scripts,
    )
}

/// A possibly qualified routine or type name, unqualified ones in the schema new objects go to.
pub(crate) fn qualified(catalog: &Catalog, parts: &[String]) -> QualifiedName {
    match parts {
        [.., s, n] => QualifiedName::new(s.clone(), n.clone()),
        [n] => QualifiedName::new(catalog.creation_schema(), n.clone()),
        [] => QualifiedName::new(catalog.creation_schema(), String::new()),
    }
}

/// Lint a fixture or a single migration text: everything before a line `-- migration` is the existing
/// schema, the rest is one migration run in a transaction (unless it says `-- dbarch:no-transaction`);
/// a line `-- down` starts its down script; a line `-- pg-version: N` sets the target version; lines
/// `-- manifest: VERSION SHA256|current` list applied migrations (the text's migration is version 1).
pub fn lint_migration_text(
    path: &str,
    sql: &str,
    config: &Config,
) -> Result<Vec<dbarch_report::Finding>, dbarch_sql::SyntaxError> {
    let (setup, rest) = match sql.find("-- migration\n") {
        Some(i) => (&sql[..i], &sql[i..]),
        None => ("", sql),
    };
    let (migration, down) = match rest.find("-- down\n") {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let mut sources = SourceMap::new();
    // Both parts keep the fixture's line numbers: each is the whole text with the other part blanked.
    let blank = |s: &str| {
        s.chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect::<String>()
    };
    let down_text = down.unwrap_or("");
    let setup_file = sources.add(
        path,
        format!("{setup}{}{}", blank(migration), blank(down_text)),
    );
    let migration_file = sources.add(
        path,
        format!("{}{migration}{}", blank(setup), blank(down_text)),
    );
    let down_file =
        down.map(|d| sources.add(path, format!("{}{}{d}", blank(setup), blank(migration))));
    let base = Catalog::from_files([&dbarch_sql::parse_file(&setup_file)?]);
    let parsed = dbarch_sql::parse_file(&migration_file)?;
    let wrapped = !dbarch_migrate::declares_no_transaction(migration);
    let down = match down_file {
        Some(f) => Some(dbarch_sql::parse_file(&f)?),
        None => None,
    };
    let scripts = vec![MigrationScript {
        version: "1".into(),
        file: parsed,
        down,
        down_error: None,
        wrapped,
    }];
    // A fixture may pin the target version: `-- pg-version: 11`.
    let pinned = sql.lines().find_map(|l| {
        l.trim()
            .strip_prefix("-- pg-version:")
            .and_then(|v| v.trim().parse().ok())
    });
    let run = run_migrations(
        base,
        &scripts,
        &sources,
        config,
        pinned.or(config.pg_version).unwrap_or(16),
    );
    // `-- manifest: VERSION SHA256|current` lines give the applied migrations (the fixture's migration is
    // version 1; `current` stands for its own checksum).
    let manifest: Vec<dbarch_migrate::Applied> = sql
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let rest = l.trim().strip_prefix("-- manifest:")?;
            let mut p = rest.split_whitespace();
            let (v, c) = (p.next()?, p.next()?);
            let checksum = if c == "current" {
                scripts[0].checksum()
            } else {
                c.to_string()
            };
            Some(dbarch_migrate::Applied {
                version: v.to_string(),
                checksum,
                line: i + 1,
            })
        })
        .collect();
    let mut findings = run.lint.findings;
    if !manifest.is_empty() {
        findings.extend(run_history(&scripts, &manifest, None, &sources, config).findings);
    }
    Ok(findings)
}
