//! What a migration rule sees: one statement with the schema before it (`StatementContext`), and what
//! a reversibility rule sees (`DownContext`).

use std::collections::HashSet;

use dbarch_catalog::{Catalog, QualifiedName, Table};
use dbarch_sql::{NodeEnum, ParsedFile, Statement, ast};

use crate::config::Options;
use crate::knowledge::Knowledge;

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
    pub(super) fn classify(&self) -> Vec<(&'a crate::knowledge::Operation, QualifiedName)> {
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
                                    .map(|tn| dbarch_sql::change::data_type(tn).0),
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
                        .get(&self.catalog.resolve(&dbarch_sql::change::obj_name(rv)))
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
        let name = self.catalog.resolve(&dbarch_sql::change::obj_name(rv));
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
