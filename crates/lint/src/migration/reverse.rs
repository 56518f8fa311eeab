//! Derive a down migration from an up: each statement's reverse, computed from the schema as it was before
//! the statement (so a dropped index or a changed column type can be put back as it was), in reverse order.
//! Steps that cannot give back what the up destroyed (dropped data, enum values, data changes) are marked
//! irreversible, with the structural part restored where that is possible. The reverse of each statement is
//! a list of schema changes, written as SQL by the DDL emitter.

use dbarch_catalog::*;
use dbarch_sql::Statement;
use dbarch_sql::change::{
    self as ch, AlterTable, ColumnConstraint, ColumnDef, CommentOn, ConstraintDef,
    ConstraintDefKind, CreateIndex, ObjName, ObjectKind, ObjectRef, Rename, SchemaChange, emit,
    lower, type_name,
};

/// The reverse of one up statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReverseStep {
    /// Byte offset of the up statement in its file.
    pub up_offset: usize,
    /// The up statement's first line.
    pub up: String,
    /// SQL that undoes it (empty when nothing needs undoing or nothing can be derived).
    pub sql: Vec<String>,
    /// Why the step cannot fully undo the up statement (data lost, no inverse).
    pub irreversible: Option<String>,
    /// The reverse could not be derived at all.
    pub underived: bool,
}

/// The steps of a down migration for `statements`, applied to `before`, in the order they must run.
pub fn down_steps(before: &Catalog, statements: &[Statement]) -> Vec<ReverseStep> {
    let mut cat = before.clone();
    let mut steps = vec![];
    for stmt in statements {
        let lowered = lower(stmt);
        let mut after = cat.clone();
        after.apply(&lowered);
        let mut step = ReverseStep {
            up_offset: stmt.span.start,
            up: stmt.sql.lines().next().unwrap_or("").trim().to_string(),
            sql: vec![],
            irreversible: None,
            underived: false,
        };
        let mut undo = Undo {
            before: &cat,
            after: &after,
            changes: vec![],
            step: &mut step,
        };
        for change in lowered.changes.iter().rev() {
            undo.change(change);
        }
        let changes = std::mem::take(&mut undo.changes);
        for c in &changes {
            match emit(c) {
                Some(sql) => step.sql.push(format!("{sql};")),
                None => step.underived = true,
            }
        }
        if !step.sql.is_empty() || step.irreversible.is_some() || step.underived {
            steps.push(step);
        }
        cat = after;
    }
    steps.reverse();
    steps
}

fn on(q: &QualifiedName) -> ObjName {
    ObjName::new(Some(&q.schema), &q.name)
}

fn parts(q: &QualifiedName) -> Vec<String> {
    vec![q.schema.clone(), q.name.clone()]
}

fn drop(kind: ObjectKind, name: &QualifiedName) -> SchemaChange {
    SchemaChange::Drop(ch::Drop {
        kind,
        objects: vec![ObjectRef::named(parts(name))],
        cascade: false,
        if_exists: false,
        concurrently: false,
    })
}

fn alter(table: &QualifiedName, command: AlterTable) -> SchemaChange {
    SchemaChange::AlterTable {
        name: on(table),
        kind: ObjectKind::Table,
        if_exists: false,
        commands: vec![command],
    }
}

/// A dropped column as it can be added back: its type, its generation or its default, and NOT NULL only
/// with a default (rows it had would otherwise refuse it).
fn column_back(c: &Column) -> ColumnDef {
    let mut constraints = vec![];
    if let Some(g) = &c.generated {
        constraints.push(ColumnConstraint::Generated(g.clone()));
    } else if let Some(d) = &c.default {
        constraints.push(ColumnConstraint::Default(d.clone()));
        if c.not_null {
            constraints.push(ColumnConstraint::NotNull);
        }
    }
    ColumnDef {
        name: c.name.clone(),
        at: c.origin.0.unwrap_or_default(),
        data_type: Some(c.data_type.clone()),
        serial: false,
        collation: None,
        constraints,
    }
}

fn constraint_back(k: &Constraint) -> ConstraintDef {
    let kind = match &k.kind {
        ConstraintKind::PrimaryKey { columns, include } => ConstraintDefKind::PrimaryKey {
            columns: columns.clone(),
            include: include.clone(),
        },
        ConstraintKind::Unique {
            columns,
            include,
            nulls_not_distinct,
        } => ConstraintDefKind::Unique {
            columns: columns.clone(),
            include: include.clone(),
            nulls_not_distinct: *nulls_not_distinct,
        },
        ConstraintKind::Check { expr, columns } => ConstraintDefKind::Check {
            expr: expr.clone(),
            columns: columns.clone(),
        },
        ConstraintKind::ForeignKey(fk) => ConstraintDefKind::ForeignKey {
            columns: fk.columns.clone(),
            ref_table: Some(on(&fk.ref_table)),
            ref_columns: fk.ref_columns.clone(),
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            match_full: fk.match_full,
        },
        ConstraintKind::Exclude {
            method,
            elements,
            operators,
            predicate,
        } => ConstraintDefKind::Exclude {
            method: method.clone(),
            elements: elements.clone(),
            operators: operators.clone(),
            predicate: predicate.clone(),
        },
    };
    ConstraintDef {
        name: Some(k.name.clone()),
        at: k.origin.0.unwrap_or_default(),
        kind,
        deferrable: k.deferrable,
        initially_deferred: k.initially_deferred,
        not_valid: k.not_valid,
        using_index: None,
    }
}

fn index_back(i: &Index, concurrently: bool) -> SchemaChange {
    SchemaChange::CreateIndex(CreateIndex {
        table: on(&i.table),
        name: Some(i.name.name.clone()),
        if_not_exists: false,
        unique: i.unique,
        primary: false,
        concurrently,
        method: i.method.clone(),
        keys: i.keys.clone(),
        include: i.include.clone(),
        predicate: i.predicate.clone(),
        predicate_columns: i.predicate_columns.clone(),
        nulls_not_distinct: i.nulls_not_distinct,
    })
}

fn view_back(name: &QualifiedName, v: &View, or_replace: bool) -> SchemaChange {
    SchemaChange::CreateView {
        name: on(name),
        at: v.origin.0.unwrap_or_default(),
        or_replace,
        materialized: v.materialized,
        query: v.query.clone(),
        reads: v.depends_on.iter().map(on).collect(),
    }
}

/// The reverse of one statement's changes, worked out last change first.
struct Undo<'a> {
    before: &'a Catalog,
    after: &'a Catalog,
    changes: Vec<SchemaChange>,
    step: &'a mut ReverseStep,
}

impl Undo<'_> {
    fn irreversible(&mut self, why: String) {
        self.step.irreversible = Some(why);
    }

    fn change(&mut self, change: &SchemaChange) {
        let (before, after) = (self.before, self.after);
        match change {
            SchemaChange::SetSearchPath(_) => {}
            SchemaChange::CreateTable(t) => {
                let name = after.resolve(&t.name);
                if !before.tables.contains_key(&name) {
                    self.changes.push(drop(ObjectKind::Table, &name));
                }
            }
            SchemaChange::CreateTableAs { name, .. } => {
                let name = after.resolve(name);
                if !before.tables.contains_key(&name) {
                    self.changes.push(drop(ObjectKind::Table, &name));
                }
            }
            SchemaChange::CreateIndex(i) => {
                for name in after
                    .indexes
                    .keys()
                    .filter(|k| !before.indexes.contains_key(*k))
                {
                    self.changes.push(SchemaChange::Drop(ch::Drop {
                        kind: ObjectKind::Index,
                        objects: vec![ObjectRef::named(parts(name))],
                        cascade: false,
                        if_exists: true,
                        concurrently: i.concurrently,
                    }));
                }
            }
            SchemaChange::CreateView {
                name, materialized, ..
            } => {
                let name = after.resolve(name);
                match (before.views.get(&name), materialized) {
                    (Some(old), false) => self.changes.push(view_back(&name, old, true)),
                    (_, true) => self
                        .changes
                        .push(drop(ObjectKind::MaterializedView, &name)),
                    (None, false) => self.changes.push(drop(ObjectKind::View, &name)),
                }
            }
            SchemaChange::CreateSequence { name, .. } => {
                self.changes
                    .push(drop(ObjectKind::Sequence, &after.resolve(name)));
            }
            SchemaChange::CreateEnum { name, .. }
            | SchemaChange::CreateCompositeType { name, .. } => {
                self.changes.push(drop(ObjectKind::Type, &after.resolve(name)));
            }
            SchemaChange::CreateDomain { name, .. } => {
                self.changes
                    .push(drop(ObjectKind::Domain, &after.resolve(name)));
            }
            SchemaChange::CreateExtension { name, .. } => {
                self.changes.push(SchemaChange::Drop(ch::Drop {
                    kind: ObjectKind::Extension,
                    objects: vec![ObjectRef::named(vec![name.clone()])],
                    cascade: false,
                    if_exists: true,
                    concurrently: false,
                }));
            }
            SchemaChange::CreateSchema { name, .. } => {
                if name.is_empty() {
                    // `CREATE SCHEMA AUTHORIZATION CURRENT_USER` names the schema after the role running it.
                    self.irreversible(
                        "the schema is named after the role running the migration (CURRENT_USER): \
                         drop it by that name"
                            .to_string(),
                    );
                } else {
                    self.changes.push(SchemaChange::Drop(ch::Drop {
                        kind: ObjectKind::Schema,
                        objects: vec![ObjectRef::named(vec![name.clone()])],
                        cascade: false,
                        if_exists: false,
                        concurrently: false,
                    }));
                }
            }
            SchemaChange::CreateTrigger { table, name, .. } => {
                let mut p = parts(&after.resolve(table));
                p.push(name.clone());
                self.changes.push(SchemaChange::Drop(ch::Drop {
                    kind: ObjectKind::Trigger,
                    objects: vec![ObjectRef::named(p)],
                    cascade: false,
                    if_exists: false,
                    concurrently: false,
                }));
            }
            SchemaChange::CreatePolicy { table, name, .. } => {
                let mut p = parts(&after.resolve(table));
                p.push(name.clone());
                self.changes.push(SchemaChange::Drop(ch::Drop {
                    kind: ObjectKind::Policy,
                    objects: vec![ObjectRef::named(p)],
                    cascade: false,
                    if_exists: false,
                    concurrently: false,
                }));
            }
            SchemaChange::CreateFunction(f) => {
                let name = after.resolve(&f.name);
                let new = after.functions.iter().rev().find(|x| x.name == name);
                let existed = new.is_some_and(|n| {
                    before
                        .functions
                        .iter()
                        .any(|o| o.name == n.name && o.arg_types == n.arg_types)
                });
                if existed {
                    self.irreversible(format!(
                        "the previous definition of {name} is replaced; restore it from the migration that created it"
                    ));
                } else if let Some(n) = new {
                    self.changes.push(SchemaChange::Drop(ch::Drop {
                        kind: if n.is_procedure {
                            ObjectKind::Procedure
                        } else {
                            ObjectKind::Function
                        },
                        objects: vec![ObjectRef {
                            name: parts(&name),
                            args: Some(n.arg_types.clone()),
                        }],
                        cascade: false,
                        if_exists: false,
                        concurrently: false,
                    }));
                }
            }
            SchemaChange::AlterTable { name, commands, .. } => {
                let name = before.resolve(name);
                let (Some(old), Some(new)) = (before.tables.get(&name), after.tables.get(&name))
                else {
                    self.step.underived = true;
                    return;
                };
                for c in commands.iter().rev() {
                    self.alter_cmd(old, new, c);
                }
            }
            SchemaChange::Rename(r) => self.rename(r),
            SchemaChange::Drop(d) => self.drop(d),
            SchemaChange::AlterEnum {
                old_value: None,
                value,
                ..
            } => self.irreversible(format!(
                "PostgreSQL cannot remove the enum value '{value}' once added (recreate the type to drop it)"
            )),
            SchemaChange::NoEffect { writes_rows: true } => self.irreversible(
                "a data change: the rows as they were are not recorded".to_string(),
            ),
            SchemaChange::Grant(g) => {
                // GRANT ... WITH GRANT OPTION is undone by a plain REVOKE (privilege and option);
                // REVOKE GRANT OPTION FOR by GRANT ... WITH GRANT OPTION.
                let mut g = g.clone();
                g.with_grant_option = !g.grant && g.with_grant_option;
                g.grant = !g.grant;
                self.changes.push(SchemaChange::Grant(g));
            }
            SchemaChange::Comment { on, .. } => {
                // The previous comment is not tracked for every object kind: clearing it is the reverse of
                // setting one where none was.
                if matches!(on, CommentOn::Other) {
                    self.step.underived = true;
                } else {
                    self.changes.push(SchemaChange::Comment {
                        on: on.clone(),
                        text: None,
                    });
                }
            }
            _ => self.step.underived = true,
        }
    }

    fn alter_cmd(&mut self, old: &Table, new: &Table, c: &AlterTable) {
        let t = &old.name;
        match c {
            AlterTable::AddColumn { column, .. } => {
                if old.column(&column.name).is_none() {
                    self.changes
                        .push(alter(t, AlterTable::DropColumn(column.name.clone())));
                }
            }
            AlterTable::DropColumn(col) => match old.column(col) {
                Some(oc) => {
                    self.changes.push(alter(
                        t,
                        AlterTable::AddColumn {
                            column: column_back(oc),
                            if_not_exists: false,
                        },
                    ));
                    self.irreversible(format!(
                        "the data in {t}.{col} is lost: the column comes back empty{}",
                        if oc.not_null && oc.default.is_none() {
                            " and without its NOT NULL"
                        } else {
                            ""
                        }
                    ));
                }
                None => self.step.underived = true,
            },
            AlterTable::AlterColumnType { column, .. } => match old.column(column) {
                Some(oc) => {
                    self.changes.push(alter(
                        t,
                        AlterTable::AlterColumnType {
                            column: column.clone(),
                            data_type: oc.data_type.clone(),
                            using: Some(format!(
                                "{}::{}",
                                dbarch_sql::expr::quote_ident(column),
                                type_name(&oc.data_type)
                            )),
                        },
                    ));
                    let widened = new
                        .column(column)
                        .is_some_and(|nc| nc.data_type != oc.data_type);
                    if widened {
                        self.step.irreversible.get_or_insert_with(|| {
                            format!(
                                "values written since that do not fit {} make the reverse fail or lose precision",
                                oc.data_type
                            )
                        });
                    }
                }
                None => self.step.underived = true,
            },
            AlterTable::SetNotNull(col) => {
                if !old.column(col).is_some_and(|oc| oc.not_null) {
                    self.changes
                        .push(alter(t, AlterTable::DropNotNull(col.clone())));
                }
            }
            AlterTable::DropNotNull(col) => {
                if old.column(col).is_some_and(|oc| oc.not_null) {
                    self.changes
                        .push(alter(t, AlterTable::SetNotNull(col.clone())));
                }
            }
            AlterTable::SetDefault { column, .. } => self.changes.push(alter(
                t,
                AlterTable::SetDefault {
                    column: column.clone(),
                    default: old.column(column).and_then(|oc| oc.default.clone()),
                },
            )),
            AlterTable::AddConstraint(_) => {
                for k in new
                    .constraints
                    .iter()
                    .filter(|k| !old.constraints.iter().any(|o| o.name == k.name))
                {
                    self.changes
                        .push(alter(t, AlterTable::DropConstraint(k.name.clone())));
                }
            }
            AlterTable::DropConstraint(name) => {
                if let Some(k) = old.constraints.iter().find(|k| &k.name == name) {
                    self.changes
                        .push(alter(t, AlterTable::AddConstraint(constraint_back(k))));
                }
            }
            AlterTable::ValidateConstraint(_) => {}
            AlterTable::RowSecurity(on) => {
                self.changes.push(alter(t, AlterTable::RowSecurity(!on)));
            }
            _ => self.step.underived = true,
        }
    }

    fn rename(&mut self, r: &Rename) {
        let Some(rel) = r.relation.as_ref().map(|rel| self.before.resolve(rel)) else {
            self.step.underived = true;
            return;
        };
        let back = match r.kind {
            ObjectKind::Column | ObjectKind::TableConstraint => Rename {
                kind: r.kind,
                relation: Some(on(&rel)),
                object: vec![],
                old: r.new.clone(),
                new: r.old.clone(),
            },
            ObjectKind::Table | ObjectKind::Index | ObjectKind::View | ObjectKind::Sequence => {
                Rename {
                    kind: r.kind,
                    relation: Some(ObjName::new(Some(&rel.schema), &r.new)),
                    object: vec![],
                    old: String::new(),
                    new: rel.name.clone(),
                }
            }
            _ => {
                self.step.underived = true;
                return;
            }
        };
        self.changes.push(SchemaChange::Rename(back));
    }

    fn drop(&mut self, d: &ch::Drop) {
        let before = self.before;
        for o in &d.objects {
            let name = before.resolve_name(&o.name);
            match d.kind {
                ObjectKind::Index => match before.indexes.get(&name) {
                    Some(i) => self.changes.push(index_back(i, d.concurrently)),
                    None if d.if_exists => {}
                    None => self.step.underived = true,
                },
                ObjectKind::View | ObjectKind::MaterializedView => match before.views.get(&name) {
                    Some(v) => self.changes.push(view_back(&name, v, false)),
                    None if d.if_exists => {}
                    None => self.step.underived = true,
                },
                ObjectKind::Table => {
                    if before.tables.contains_key(&name) {
                        self.irreversible(format!(
                            "table {name} and its rows are gone; recreate it from the migrations that built it"
                        ));
                    }
                }
                ObjectKind::ForeignTable
                | ObjectKind::Sequence
                | ObjectKind::Trigger
                | ObjectKind::Policy => self.irreversible(format!(
                    "{name} is dropped; recreate it from the migration that created it"
                )),
                _ => self.irreversible(
                    "the dropped object is gone; recreate it from the migration that created it"
                        .into(),
                ),
            }
        }
    }
}
