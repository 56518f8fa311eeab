//! Tables: CREATE TABLE (columns, constraints, partitions), CREATE TABLE AS, ALTER TABLE, sequences' options.

use dbarch_sql::Span;
use dbarch_sql::change::{
    AlterTable, ColumnConstraint, ColumnDef, ConstraintDef, ConstraintDefKind, CreateTable,
    ObjName, ObjectKind, SequenceOptions, TableElement,
};

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn create_table(&mut self, s: &CreateTable, cx: &Ctx) {
        let name = self.qualify(&s.name);
        if s.if_not_exists && self.tables.contains_key(&name) {
            return;
        }
        let mut t = Table::new(name.clone());
        t.origin = Origin(Some(s.at));
        t.unlogged = s.unlogged;
        t.temporary = s.temporary;
        t.inherits = s.inherits.iter().map(|r| self.resolve(r)).collect();
        t.partition_by = s.partition_by.clone();
        // Partitions and inheritance children start with the parent's columns.
        let mut parents = t.inherits.clone();
        if let Some(bound) = &s.partition_bound {
            if let Some(parent) = parents.first().cloned() {
                t.partition_of = Some(PartitionOf {
                    parent,
                    bound: bound.clone(),
                });
            }
            t.inherits.clear();
        }
        for p in parents.drain(..) {
            if let Some(pt) = self.tables.get(&p) {
                for c in &pt.columns {
                    if t.column(&c.name).is_none() {
                        t.columns.push(c.clone());
                    }
                }
            }
        }
        if let Some(of) = &s.of_type {
            let tn = self.qualify(of);
            if let Some(UserType {
                kind: TypeKind::Composite { attributes },
                ..
            }) = self.types.get(&tn)
            {
                for (n, dt) in attributes {
                    t.columns.push(Column::new(n.clone(), dt.clone()));
                }
            }
        }
        let mut pending_seqs = vec![];
        // Columns the table has before its own (inherited, of a type): a column definition of one of
        // these refines it. Looked up by name, so a table of many columns is replayed in linear time.
        let before: std::collections::HashSet<String> =
            t.columns.iter().map(|c| c.name.clone()).collect();
        for e in &s.elements {
            match e {
                TableElement::Column(d) => {
                    if before.contains(&d.name) && t.column(&d.name).is_some() {
                        // A partition's column options (WITH OPTIONS ...) refine the inherited column.
                        column_constraints(&name, d, self, &mut t);
                        continue;
                    }
                    self.add_column(&mut t, d, &mut pending_seqs);
                }
                TableElement::Constraint(c) => {
                    if let Some(con) = self.constraint(&name, &mut t, c, &[]) {
                        push_constraint(&mut t, con);
                    }
                }
                TableElement::Like(like) => {
                    let src = self.resolve(like);
                    if let Some(src) = self.tables.get(&src) {
                        for c in &src.columns {
                            let mut c = c.clone();
                            c.origin = cx.whole();
                            t.columns.push(c);
                        }
                    }
                }
            }
        }
        self.tables.insert(name, Arc::new(t));
        for seq in pending_seqs {
            self.sequences.insert(seq.name.clone(), Arc::new(seq));
        }
    }

    pub(super) fn add_column(&mut self, t: &mut Table, d: &ColumnDef, pending: &mut Vec<Sequence>) {
        let dt = d
            .data_type
            .clone()
            .unwrap_or_else(|| DataType::simple("unknown"));
        let mut col = Column::new(d.name.clone(), dt);
        col.origin = Origin(Some(d.at));
        col.collation = d.collation.clone();
        if d.serial {
            col.serial = true;
            col.not_null = true;
            // A name in use gets a number (`t_id_seq1`), as PostgreSQL's ChooseRelationName does.
            let schema = t.name.schema.clone();
            let seq_name = QualifiedName::new(
                schema.clone(),
                crate::choose_name(&t.name.name, std::slice::from_ref(&d.name), "seq", |n| {
                    let q = QualifiedName::new(schema.clone(), n);
                    self.relation_exists(&q) || pending.iter().any(|s| s.name == q)
                }),
            );
            col.default = Some(format!("nextval('{}'::regclass)", seq_name.name));
            pending.push(Sequence {
                name: seq_name,
                data_type: Some(col.data_type.clone()),
                owned_by: Some((t.name.clone(), d.name.clone())),
                origin: col.origin,
            });
        }
        t.columns.push(col);
        let tn = t.name.clone();
        column_constraints(&tn, d, self, t);
    }

    /// The constraint a definition makes on `table`; `col` is the column of a column's own constraint
    /// (its columns when none are written).
    pub(super) fn constraint(
        &self,
        table: &QualifiedName,
        t: &mut Table,
        c: &ConstraintDef,
        col: &[String],
    ) -> Option<Constraint> {
        let keys = |columns: &[String]| {
            if columns.is_empty() {
                col.to_vec()
            } else {
                columns.to_vec()
            }
        };
        let (kind, suffix, name_cols) = match &c.kind {
            ConstraintDefKind::PrimaryKey { columns, include } => {
                let mut columns = keys(columns);
                if let Some(index) = &c.using_index {
                    columns = self.index_columns(table, index);
                }
                for k in &columns {
                    if let Some(cc) = t.column_mut(k) {
                        cc.not_null = true;
                    }
                }
                (
                    ConstraintKind::PrimaryKey {
                        columns,
                        include: include.clone(),
                    },
                    "pkey",
                    vec![],
                )
            }
            ConstraintDefKind::Unique {
                columns,
                include,
                nulls_not_distinct,
            } => {
                let mut columns = keys(columns);
                if let Some(index) = &c.using_index {
                    columns = self.index_columns(table, index);
                }
                let nc = columns.clone();
                (
                    ConstraintKind::Unique {
                        columns,
                        include: include.clone(),
                        nulls_not_distinct: *nulls_not_distinct,
                    },
                    "key",
                    nc,
                )
            }
            ConstraintDefKind::Check { expr, columns } => {
                let nc = if col.is_empty() {
                    columns.first().cloned().into_iter().collect()
                } else {
                    col.to_vec()
                };
                (
                    ConstraintKind::Check {
                        expr: expr.clone(),
                        columns: columns.clone(),
                    },
                    "check",
                    nc,
                )
            }
            ConstraintDefKind::ForeignKey {
                columns,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
                match_full,
            } => {
                let columns = keys(columns);
                let ref_table = ref_table
                    .as_ref()
                    .map(|r| self.resolve(r))
                    .unwrap_or_else(|| table.clone());
                let nc = columns.clone();
                let fk = ForeignKey {
                    columns,
                    ref_table,
                    ref_columns: ref_columns.clone(),
                    on_delete: *on_delete,
                    on_update: *on_update,
                    match_full: *match_full,
                };
                (ConstraintKind::ForeignKey(fk), "fkey", nc)
            }
            ConstraintDefKind::Exclude {
                method,
                elements,
                operators,
                predicate,
            } => (
                ConstraintKind::Exclude {
                    method: method.clone(),
                    elements: elements.clone(),
                    operators: operators.clone(),
                    predicate: predicate.clone(),
                },
                "excl",
                elements.clone(),
            ),
            // PostgreSQL 18's table-level `[CONSTRAINT name] NOT NULL col` (also in ALTER TABLE ... ADD):
            // the column becomes NOT NULL. (The constraint's name is not kept.)
            ConstraintDefKind::NotNull { columns } => {
                for k in keys(columns) {
                    if let Some(cc) = t.column_mut(&k) {
                        cc.not_null = true;
                    }
                }
                return None;
            }
        };
        let name = match &c.name {
            Some(n) => n.clone(),
            // PostgreSQL numbers a default name in use: a key's among the relations of the schema (its
            // index takes the name), another constraint's among the constraints of the schema.
            None => {
                let schema = &table.schema;
                let index_backed = matches!(
                    kind,
                    ConstraintKind::PrimaryKey { .. }
                        | ConstraintKind::Unique { .. }
                        | ConstraintKind::Exclude { .. }
                );
                let own = |n: &str| t.constraints.iter().any(|k| k.name == n);
                crate::choose_name(&table.name, &name_cols, suffix, |n| {
                    own(n)
                        || if index_backed {
                            self.relation_exists(&QualifiedName::new(schema.clone(), n))
                        } else {
                            self.tables
                                .values()
                                .filter(|x| &x.name.schema == schema && &x.name != table)
                                .flat_map(|x| &x.constraints)
                                .any(|k| k.name == n)
                        }
                })
            }
        };
        Some(Constraint {
            name,
            name_given: c.name.is_some(),
            kind,
            deferrable: c.deferrable,
            initially_deferred: c.initially_deferred,
            not_valid: c.not_valid,
            origin: Origin(Some(c.at)),
        })
    }

    pub(super) fn create_table_as(
        &mut self,
        name: &ObjName,
        at: Span,
        columns: &[String],
        columns_known: bool,
        cx: &Ctx,
    ) {
        let name = self.qualify(name);
        let mut t = Table::new(name.clone());
        t.origin = Origin(Some(at));
        if !columns_known {
            t.columns_known = false;
        }
        for c in columns {
            let mut col = Column::new(c.clone(), DataType::simple("unknown"));
            col.origin = t.origin;
            t.columns.push(col);
        }
        self.note(cx, "CREATE TABLE AS: column types are not known");
        self.tables.insert(name, Arc::new(t));
    }

    pub(super) fn alter_table(
        &mut self,
        name: &ObjName,
        kind: ObjectKind,
        if_exists: bool,
        commands: &[AlterTable],
        cx: &Ctx,
    ) {
        let name = self.resolve(name);
        if !self.tables.contains_key(&name) {
            if !if_exists && kind == ObjectKind::Table {
                self.note(cx, format!("ALTER TABLE on unknown table {name}"));
            }
            return;
        }
        for c in commands {
            self.alter_table_cmd(&name, c);
        }
    }

    fn alter_table_cmd(&mut self, name: &QualifiedName, c: &AlterTable) {
        let Some(t) = self.tables.remove(name) else {
            return;
        };
        let mut t = Arc::unwrap_or_clone(t);
        let mut pending = vec![];
        match c {
            AlterTable::AddColumn {
                column,
                if_not_exists,
            } => {
                if !(*if_not_exists && t.column(&column.name).is_some()) {
                    self.add_column(&mut t, column, &mut pending);
                }
            }
            AlterTable::SetDefault { column, default } => {
                if let Some(col) = t.column_mut(column) {
                    col.default = default.clone();
                }
            }
            AlterTable::DropNotNull(column) => {
                if let Some(col) = t.column_mut(column) {
                    col.not_null = false;
                }
            }
            AlterTable::SetNotNull(column) => {
                if let Some(col) = t.column_mut(column) {
                    col.not_null = true;
                }
            }
            AlterTable::DropColumn { column, .. } => {
                t.columns.retain(|col| &col.name != column);
                // A sequence owned by the column (a serial's, or OWNED BY) goes with it.
                self.sequences.retain(|_, s| {
                    s.owned_by
                        .as_ref()
                        .is_none_or(|(tn, c)| !(tn == name && c == column))
                });
                t.constraints.retain(|k| !constraint_uses(k, column));
                self.indexes.retain(|_, i| {
                    !(&i.table == name && i.all_columns().contains(&column.as_str()))
                });
            }
            AlterTable::AddConstraint(k) => {
                if let Some(index) = &k.using_index {
                    // USING INDEX: the index becomes the constraint's.
                    let q = QualifiedName::new(name.schema.clone(), index.clone());
                    if let Some(mut con) = self.constraint(name, &mut t, k, &[]) {
                        self.indexes.remove(&q);
                        con.name = k.name.clone().unwrap_or_else(|| index.clone());
                        push_constraint(&mut t, con);
                    }
                } else if let Some(con) = self.constraint(name, &mut t, k, &[]) {
                    push_constraint(&mut t, con);
                }
            }
            AlterTable::ValidateConstraint(n) => {
                for k in t.constraints.iter_mut().filter(|k| &k.name == n) {
                    k.not_valid = false;
                }
            }
            AlterTable::DropConstraint(n) => {
                t.constraints.retain(|k| &k.name != n);
            }
            AlterTable::AlterConstraint {
                name: n,
                deferrable,
                initially_deferred,
            } => {
                for con in t.constraints.iter_mut().filter(|x| &x.name == n) {
                    con.deferrable = *deferrable;
                    con.initially_deferred = *initially_deferred;
                }
            }
            AlterTable::AlterColumnType {
                column, data_type, ..
            } => {
                if let Some(col) = t.column_mut(column) {
                    col.data_type = data_type.clone();
                }
            }
            AlterTable::AddIdentity { column, identity } => {
                if let Some(col) = t.column_mut(column) {
                    col.identity = Some(*identity);
                    col.not_null = true;
                }
            }
            AlterTable::DropIdentity(column) => {
                if let Some(col) = t.column_mut(column) {
                    col.identity = None;
                }
            }
            AlterTable::DropExpression(column) => {
                if let Some(col) = t.column_mut(column) {
                    col.generated = None;
                }
            }
            AlterTable::RowSecurity(on) => t.rls_enabled = *on,
            AlterTable::ForceRowSecurity(on) => t.rls_forced = *on,
            AlterTable::SetLogged(logged) => t.unlogged = !*logged,
            AlterTable::SetOwner(owner) => t.owner = owner.clone(),
            AlterTable::AttachPartition { partition, bound } => {
                let child = self.resolve(partition);
                if let Some(ct) = self.tables.get_mut(&child).map(Arc::make_mut) {
                    ct.partition_of = Some(PartitionOf {
                        parent: name.clone(),
                        bound: bound.clone(),
                    });
                }
            }
            AlterTable::DetachPartition { partition, .. } => {
                let child = self.resolve(partition);
                if let Some(ct) = self.tables.get_mut(&child).map(Arc::make_mut) {
                    ct.partition_of = None;
                }
            }
            AlterTable::AddInherit(parent) => t.inherits.push(self.resolve(parent)),
            AlterTable::DropInherit(parent) => {
                let p = self.resolve(parent);
                t.inherits.retain(|x| *x != p);
            }
            AlterTable::SetStorage
            | AlterTable::ResetOptions(_)
            | AlterTable::TriggerSwitch
            | AlterTable::Other => {}
        }
        self.tables.insert(name.clone(), Arc::new(t));
        for seq in pending {
            self.sequences.insert(seq.name.clone(), Arc::new(seq));
        }
    }

    pub(super) fn sequence_options(&self, seq: &mut Sequence, options: &SequenceOptions) {
        if let Some(t) = &options.data_type {
            seq.data_type = Some(t.clone());
        }
        if let Some(owned_by) = &options.owned_by {
            seq.owned_by = owned_by
                .as_ref()
                .map(|(table, col)| (self.resolve(table), col.clone()));
        }
    }
}

pub(super) fn constraint_uses(c: &Constraint, col: &str) -> bool {
    let has = |v: &[String]| v.iter().any(|x| x == col);
    match &c.kind {
        ConstraintKind::PrimaryKey { columns, include }
        | ConstraintKind::Unique {
            columns, include, ..
        } => has(columns) || has(include),
        ConstraintKind::Check { columns, .. } => has(columns),
        ConstraintKind::ForeignKey(fk) => has(&fk.columns),
        ConstraintKind::Exclude { elements, .. } => has(elements),
    }
}

pub(super) fn push_constraint(t: &mut Table, c: Constraint) {
    // A second unnamed constraint with the same default name gets a number, as PostgreSQL does.
    let mut c = c;
    if !c.name_given {
        let base = c.name.clone();
        let mut n = 1;
        while t.constraints.iter().any(|x| x.name == c.name) {
            c.name = format!("{base}{n}");
            n += 1;
        }
    }
    t.constraints.push(c);
}

/// Column-level constraints of a column definition (NOT NULL, DEFAULT, PRIMARY KEY, REFERENCES, ...).
pub(super) fn column_constraints(
    table: &QualifiedName,
    d: &ColumnDef,
    cat: &Catalog,
    t: &mut Table,
) {
    let col = vec![d.name.clone()];
    for c in &d.constraints {
        match c {
            ColumnConstraint::NotNull => {
                if let Some(cc) = t.column_mut(&d.name) {
                    cc.not_null = true;
                }
            }
            ColumnConstraint::Null => {
                if let Some(cc) = t.column_mut(&d.name) {
                    cc.not_null = false;
                }
            }
            ColumnConstraint::Default(e) => {
                if let Some(cc) = t.column_mut(&d.name) {
                    cc.default = Some(e.clone());
                }
            }
            ColumnConstraint::Identity(i) => {
                if let Some(cc) = t.column_mut(&d.name) {
                    cc.identity = Some(*i);
                    cc.not_null = true;
                }
            }
            ColumnConstraint::Generated(e) => {
                if let Some(cc) = t.column_mut(&d.name) {
                    cc.generated = Some(e.clone());
                }
            }
            ColumnConstraint::Constraint(c) => {
                if let Some(con) = cat.constraint(table, t, c, &col) {
                    push_constraint(t, con);
                }
            }
        }
    }
}
