//! Which rows of the knowledge table (`data/locks.toml`) a statement performs, and on which tables: asked
//! of the statement's schema changes ([`dbarch_sql::change::SchemaChange`]), with the schema before it.
//! Only tables that existed before the migration count (nobody else uses a table created in it).

use std::collections::HashSet;

use dbarch_catalog::{Catalog, ConstraintKind, ForeignKey, IndexKeyExpr, QualifiedName, Table};
use dbarch_sql::change::{
    AlterTable, ColumnConstraint, ColumnDef, ConstraintDef, ConstraintDefKind, Maintenance,
    ObjName, ObjectKind, SchemaChange, TableElement,
};

use super::StatementContext;
use crate::knowledge::{Knowledge, Operation};

/// Whether a new column gets a value in existing rows (a DEFAULT, an identity, a generated expression or
/// a serial type).
pub(crate) fn fills_existing_rows(c: &ColumnDef) -> bool {
    c.serial
        || c.constraints.iter().any(|k| {
            matches!(
                k,
                ColumnConstraint::Default(_)
                    | ColumnConstraint::Identity(_)
                    | ColumnConstraint::Generated(_)
            )
        })
}

/// Whether a column definition says NOT NULL (or PRIMARY KEY).
pub(crate) fn declares_not_null(c: &ColumnDef) -> bool {
    c.constraints.iter().any(|k| match k {
        ColumnConstraint::NotNull => true,
        ColumnConstraint::Constraint(k) => matches!(k.kind, ConstraintDefKind::PrimaryKey { .. }),
        _ => false,
    })
}

fn foreign_key_target(k: &ConstraintDef) -> Option<&ObjName> {
    match &k.kind {
        ConstraintDefKind::ForeignKey { ref_table, .. } => ref_table.as_ref(),
        _ => None,
    }
}

/// The constraints written on a column.
fn column_constraints(c: &ColumnDef) -> impl Iterator<Item = &ConstraintDef> {
    c.constraints.iter().filter_map(|k| match k {
        ColumnConstraint::Constraint(k) => Some(k),
        _ => None,
    })
}

type Push<'p> = dyn FnMut(&str, &QualifiedName) + 'p;

impl<'a> StatementContext<'a> {
    /// The knowledge-table operations of this statement, with the table each applies to.
    pub(super) fn classify(&self) -> Vec<(&'a Operation, QualifiedName)> {
        self.locks().of(&self.changes.changes)
    }
}

/// The knowledge table asked about schema changes made to a schema: what a migration's statement, a
/// down proposal's step or a fix locks, rewrites and scans.
pub struct Locks<'a> {
    /// The schema the changes are made to.
    pub catalog: &'a Catalog,
    /// Tables created earlier in the same migration (nobody else uses them yet).
    pub created_here: &'a HashSet<QualifiedName>,
    /// The session time zone is UTC (timestamp <-> timestamptz is then binary-coercible).
    pub timezone_utc: bool,
    pub pg_version: u32,
    pub knowledge: &'a Knowledge,
}

impl<'a> Locks<'a> {
    /// The knowledge-table operations of `changes`, with the table each applies to.
    pub fn of(&self, changes: &[SchemaChange]) -> Vec<(&'a Operation, QualifiedName)> {
        let k = self.knowledge;
        let mut out = vec![];
        let mut push = |id: &str, t: &QualifiedName| {
            if let Some(o) = k.get(id) {
                out.push((o, t.clone()));
            }
        };
        for change in changes {
            self.operations_of(change, &mut push);
        }
        out
    }

    /// The table a change names, when it existed before this migration (so other sessions use it).
    pub fn existing(&self, name: &ObjName) -> Option<&'a Table> {
        let name = self.catalog.resolve(name);
        self.existing_named(&name)
    }

    fn existing_named(&self, name: &QualifiedName) -> Option<&'a Table> {
        if self.created_here.contains(name) {
            return None;
        }
        self.catalog.tables.get(name).map(|t| &**t)
    }

    /// The table a foreign key of `t` references, when it existed before this migration and is not `t`.
    fn push_referenced(&self, id: &str, fk: &ForeignKey, t: &Table, push: &mut Push<'_>) {
        if fk.ref_table != t.name
            && let Some(p) = self.existing_named(&fk.ref_table)
        {
            push(id, &p.name);
        }
    }

    fn operations_of(&self, change: &SchemaChange, push: &mut Push<'_>) {
        match change {
            SchemaChange::CreateIndex(i) => {
                // CREATE INDEX IF NOT EXISTS of an index that exists does nothing.
                let exists = i.if_not_exists
                    && i.name.as_ref().is_some_and(|n| {
                        let table = self.catalog.resolve(&i.table);
                        self.catalog
                            .relation_exists(&QualifiedName::new(table.schema, n.clone()))
                    });
                if let Some(t) = self.existing(&i.table) {
                    push(
                        if exists {
                            "create-index-if-not-exists-existing"
                        } else if i.only && t.partition_by.is_some() {
                            "create-index-on-only"
                        } else if i.concurrently {
                            "create-index-concurrently"
                        } else {
                            "create-index"
                        },
                        &t.name,
                    );
                }
            }
            SchemaChange::AlterTable { name, commands, .. } => {
                let Some(t) = self.existing(name) else {
                    // A table created in this migration: only the tables its new foreign keys reference
                    // are in use.
                    for c in commands {
                        let keys: Vec<&ConstraintDef> = match c {
                            AlterTable::AddColumn { column, .. } => {
                                column_constraints(column).collect()
                            }
                            AlterTable::AddConstraint(k) => vec![k],
                            _ => vec![],
                        };
                        for p in keys
                            .into_iter()
                            .filter_map(foreign_key_target)
                            .filter_map(|r| self.existing(r))
                        {
                            push("foreign-key-referenced-table", &p.name);
                        }
                    }
                    return;
                };
                for c in commands {
                    self.alter_table_operation(t, c, push);
                }
            }
            SchemaChange::Rename(r) => {
                if let Some(t) = r.relation.as_ref().and_then(|rel| self.existing(rel)) {
                    push("rename", &t.name);
                }
            }
            SchemaChange::Drop(d) => self.drop_operations(d, push),
            SchemaChange::CreateTable(c) => {
                let mut referenced: Vec<&Table> = vec![];
                let keys = c.elements.iter().flat_map(|e| match e {
                    TableElement::Column(col) => column_constraints(col).collect::<Vec<_>>(),
                    TableElement::Constraint(k) => vec![k],
                    TableElement::Like(_) => vec![],
                });
                for p in keys
                    .filter_map(foreign_key_target)
                    .filter_map(|r| self.existing(r))
                {
                    if !referenced.iter().any(|r| r.name == p.name) {
                        referenced.push(p);
                    }
                }
                for p in referenced {
                    push("create-table-with-foreign-key", &p.name);
                }
            }
            SchemaChange::Comment { on, .. } => {
                let table = match on {
                    dbarch_sql::change::CommentOn::Table(t) => Some(t),
                    dbarch_sql::change::CommentOn::Column { table, .. } => Some(table),
                    _ => None,
                };
                if let Some(t) = table.and_then(|t| self.existing(t)) {
                    push("comment-on", &t.name);
                }
            }
            // ACCESS SHARE on each table since PostgreSQL 18; no table lock before.
            SchemaChange::Grant(g) if self.pg_version >= 18 && g.object_kind == "TABLE" => {
                for o in &g.objects {
                    if let dbarch_sql::change::GrantObject::Relation(r) = o
                        && let Some(t) = self.existing(r)
                    {
                        push(if g.grant { "grant" } else { "revoke" }, &t.name);
                    }
                }
            }
            SchemaChange::CreatePolicy { table, .. } | SchemaChange::AlterPolicy { table, .. } => {
                if let Some(t) = self.existing(table) {
                    push("create-policy", &t.name);
                }
            }
            SchemaChange::CreateTrigger { table, .. } => {
                if let Some(t) = self.existing(table) {
                    push("create-trigger", &t.name);
                }
            }
            SchemaChange::Maintain(m) => self.maintenance_operations(m, push),
            _ => {}
        }
    }

    fn alter_table_operation(&self, t: &'a Table, c: &AlterTable, push: &mut Push<'_>) {
        let id = match c {
            AlterTable::AddColumn { column: d, .. } => {
                // Inline constraints do what their ADD CONSTRAINT forms do.
                for k in column_constraints(d) {
                    match &k.kind {
                        ConstraintDefKind::Unique { .. } | ConstraintDefKind::PrimaryKey { .. } => {
                            push("add-unique", &t.name)
                        }
                        ConstraintDefKind::Check { .. } => push("add-check", &t.name),
                        ConstraintDefKind::ForeignKey { ref_table, .. } => {
                            if fills_existing_rows(d) {
                                push("add-foreign-key", &t.name);
                            }
                            if let Some(p) = ref_table.as_ref().and_then(|r| self.existing(r))
                                && p.name != t.name
                            {
                                push("foreign-key-referenced-table", &p.name);
                            }
                        }
                        _ => {}
                    }
                }
                if crate::rules::migration::adds_rewriting_column(d, self.catalog) {
                    "add-column-volatile-default"
                } else if declares_not_null(d) && !fills_existing_rows(d) {
                    "add-column-not-null-without-default"
                } else {
                    "add-column"
                }
            }
            AlterTable::DropColumn { column: col, .. } => {
                for fk in t.constraints.iter().filter_map(|k| k.foreign_key()) {
                    if fk.columns.contains(col) {
                        self.push_referenced("drop-foreign-key", fk, t, push);
                    }
                }
                "drop-column"
            }
            AlterTable::DropConstraint(name) => {
                if let Some(fk) = t
                    .constraints
                    .iter()
                    .find(|k| &k.name == name)
                    .and_then(|k| k.foreign_key())
                {
                    self.push_referenced("drop-foreign-key", fk, t, push);
                }
                "drop-constraint"
            }
            AlterTable::SetNotNull(col) => {
                if t.column(col).is_some_and(|c| c.not_null) {
                    "set-not-null-noop"
                } else if crate::rules::migration::not_null_proven(t, col) {
                    "set-not-null-proven"
                } else {
                    "set-not-null"
                }
            }
            AlterTable::AttachPartition { partition, .. } => {
                // The table attached is read in full under ACCESS EXCLUSIVE to check its rows fit the
                // bound (unless a CHECK constraint already proves it).
                if let Some(p) = self.existing(partition)
                    && p.name != t.name
                {
                    push("attach-partition-validated", &p.name);
                }
                "alter-table-share-update-exclusive"
            }
            AlterTable::DetachPartition {
                partition,
                concurrently,
            } => {
                // The partition detached is locked ACCESS EXCLUSIVE; the parent too, unless
                // CONCURRENTLY (PostgreSQL 14+), which takes SHARE UPDATE EXCLUSIVE on it.
                if let Some(p) = self.existing(partition)
                    && p.name != t.name
                {
                    push(
                        if *concurrently {
                            "detach-partition-concurrently-partition"
                        } else {
                            "detach-partition-partition"
                        },
                        &p.name,
                    );
                }
                if *concurrently {
                    "detach-partition-concurrently"
                } else {
                    "detach-partition"
                }
            }
            AlterTable::SetStorage | AlterTable::ResetOptions(_) => {
                "alter-table-share-update-exclusive"
            }
            AlterTable::TriggerSwitch => "enable-disable-trigger",
            AlterTable::DropNotNull(_) => "drop-not-null",
            AlterTable::SetDefault { .. } => "set-default",
            AlterTable::AlterColumnType {
                column, data_type, ..
            } => self.type_change_operation(t, column, data_type),
            AlterTable::ValidateConstraint(_) => "validate-constraint",
            AlterTable::RowSecurity(true) | AlterTable::ForceRowSecurity(true) => "enable-rls",
            AlterTable::AddConstraint(k) => match &k.kind {
                ConstraintDefKind::ForeignKey { ref_table, .. } => {
                    // The referenced table is locked too.
                    if let Some(p) = ref_table.as_ref().and_then(|r| self.existing(r))
                        && p.name != t.name
                    {
                        push("foreign-key-referenced-table", &p.name);
                    }
                    if k.not_valid {
                        "add-foreign-key-not-valid"
                    } else {
                        "add-foreign-key"
                    }
                }
                _ if k.not_valid => "add-constraint-not-valid",
                ConstraintDefKind::Check { .. } => "add-check",
                ConstraintDefKind::Unique { .. } | ConstraintDefKind::PrimaryKey { .. }
                    if k.using_index.is_none() =>
                {
                    "add-unique"
                }
                ConstraintDefKind::Exclude { .. } => "add-exclusion-constraint",
                ConstraintDefKind::PrimaryKey { .. } if k.using_index.is_some() => {
                    // A primary key makes its columns NOT NULL: a scan, unless they are already.
                    let index = k.using_index.as_deref().and_then(|n| {
                        self.catalog
                            .indexes
                            .get(&QualifiedName::new(t.name.schema.clone(), n))
                    });
                    let nullable = index.is_none_or(|i| {
                        i.key_columns().iter().any(|c| {
                            !t.column(c).is_some_and(|col| col.not_null)
                                && !crate::rules::migration::not_null_proven(t, c)
                        })
                    });
                    if nullable {
                        "add-primary-key-using-index-nullable"
                    } else {
                        "add-constraint-using-index"
                    }
                }
                ConstraintDefKind::Unique { .. } => "add-constraint-using-index",
                _ => "add-constraint-not-valid",
            },
            _ => "alter-table-other",
        };
        push(id, &t.name);
    }

    fn type_change_operation(
        &self,
        t: &Table,
        column: &str,
        new: &dbarch_catalog::DataType,
    ) -> &'static str {
        let (coercible, zone_switch) = match t.column(column) {
            Some(col) => (
                super::context::catalog_only_type_change(
                    &col.data_type,
                    new,
                    self.timezone_utc,
                    self.pg_version,
                ),
                matches!(
                    (col.data_type.name.as_str(), new.name.as_str()),
                    ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                ),
            ),
            None => (false, false),
        };
        let on_column = |plain: bool| {
            self.catalog.indexes.values().any(|i| {
                i.table == t.name
                    && i.keys.iter().any(|k| match &k.expr {
                        IndexKeyExpr::Column(n) => plain && n == column,
                        IndexKeyExpr::Expression { columns, .. } => {
                            columns.iter().any(|c| c == column)
                        }
                    })
            })
        };
        let indexed = on_column(true);
        let expression_indexed = on_column(false);
        let checked = t.constraints.iter().any(|k| {
            matches!(&k.kind, ConstraintKind::Check { columns, .. } if columns.iter().any(|c| c == column))
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

    fn drop_operations(&self, d: &dbarch_sql::change::Drop, push: &mut Push<'_>) {
        for o in &d.objects {
            match d.kind {
                ObjectKind::Table => {
                    let name = self.catalog.resolve_name(&o.name);
                    if let Some(t) = self.existing_named(&name) {
                        push("drop-table", &t.name);
                        for fk in t.constraints.iter().filter_map(|k| k.foreign_key()) {
                            self.push_referenced("drop-foreign-key", fk, t, push);
                        }
                    }
                }
                ObjectKind::Index => {
                    let name = self.catalog.resolve_name(&o.name);
                    if let Some(t) = self
                        .catalog
                        .indexes
                        .get(&name)
                        .and_then(|i| self.existing_named(&i.table))
                    {
                        push(
                            if d.concurrently {
                                "drop-index-concurrently"
                            } else {
                                "drop-index"
                            },
                            &t.name,
                        );
                    }
                }
                ObjectKind::Policy => {
                    if let Some((_, table)) = o.name.split_last()
                        && !table.is_empty()
                        && let Some(t) = self.existing_named(&self.catalog.resolve_name(table))
                    {
                        push("create-policy", &t.name);
                    }
                }
                ObjectKind::Trigger => {
                    let Some((trigger, table)) = o.name.split_last() else {
                        continue;
                    };
                    if table.is_empty() {
                        continue;
                    }
                    let name = self.catalog.resolve_name(table);
                    if self
                        .catalog
                        .triggers
                        .contains_key(&(name.clone(), trigger.clone()))
                        && let Some(t) = self.existing_named(&name)
                    {
                        push("drop-trigger", &t.name);
                    }
                }
                // Triggers that call a dropped function go with it.
                ObjectKind::Function if d.cascade => {
                    let Some(fname) = o.name.last() else {
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
                        if let Some(t) = self.existing_named(name) {
                            push("drop-trigger", &t.name);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn maintenance_operations(&self, m: &Maintenance, push: &mut Push<'_>) {
        match m {
            Maintenance::Reindex {
                target,
                index,
                concurrently,
            } => {
                let id = if *concurrently {
                    "reindex-concurrently"
                } else {
                    "reindex"
                };
                let table = if *index {
                    self.catalog
                        .indexes
                        .get(&self.catalog.resolve(target))
                        .and_then(|i| self.existing_named(&i.table))
                } else {
                    self.existing(target)
                };
                if let Some(t) = table {
                    push(id, &t.name);
                }
            }
            Maintenance::Cluster(Some(table)) => {
                if let Some(t) = self.existing(table) {
                    push("cluster", &t.name);
                }
            }
            Maintenance::Cluster(None) => {}
            // A materialized view is a relation of its own (not among the tables).
            Maintenance::Refresh {
                view, concurrently, ..
            } => {
                let name = self.catalog.resolve(view);
                if !self.created_here.contains(&name)
                    && self
                        .catalog
                        .views
                        .get(&name)
                        .is_some_and(|v| v.materialized)
                {
                    push(
                        if *concurrently {
                            "refresh-materialized-view-concurrently"
                        } else {
                            "refresh-materialized-view"
                        },
                        &name,
                    );
                }
            }
            Maintenance::Lock { tables, mode } => {
                let Some(name) = dbarch_sql::change::lock_mode_name(*mode) else {
                    return;
                };
                let id = format!("lock-table-{}", name.to_lowercase().replace(' ', "-"));
                for t in tables.iter().filter_map(|t| self.existing(t)) {
                    push(&id, &t.name);
                }
            }
            Maintenance::Vacuum {
                tables,
                full,
                analyze_only,
                ..
            } => {
                let id = if *analyze_only {
                    "analyze"
                } else if *full {
                    "vacuum-full"
                } else {
                    return;
                };
                for t in tables.iter().filter_map(|t| self.existing(t)) {
                    push(id, &t.name);
                }
            }
            Maintenance::Truncate(tables) => {
                for t in tables.iter().filter_map(|t| self.existing(t)) {
                    push("truncate", &t.name);
                }
            }
        }
    }
}
