//! Derive a down migration from an up: each statement's reverse, computed from the schema as it was before
//! the statement (so a dropped index or a changed column type can be put back as it was), in reverse order.
//! Steps that cannot give back what the up destroyed (dropped data, enum values, data changes) are marked
//! irreversible, with the structural part restored where that is possible. The reverse of each statement is
//! a list of schema changes, written as SQL by the DDL emitter.

use dbarch_catalog::make::{self, name as on, parts};
use dbarch_catalog::*;
use dbarch_sql::Statement;
use dbarch_sql::change::{
    self as ch, AlterTable, ColumnConstraint, ColumnDef, CommentOn, ObjName, ObjectKind, ObjectRef,
    Rename, SchemaChange, emit, lower, type_name,
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
    /// What the step's SQL locks, rewrites and scans (the knowledge table asked about its changes, on the
    /// schema the up left).
    pub locks: Vec<dbarch_report::TableLock>,
}

/// The steps of a down migration for `statements`, applied to `before`, in the order they must run; their
/// locks are those of PostgreSQL `pg_version`.
pub fn down_steps(before: &Catalog, statements: &[Statement], pg_version: u32) -> Vec<ReverseStep> {
    let knowledge = crate::knowledge::Knowledge::shared();
    let nobody = std::collections::HashSet::new();
    let lowered: Vec<_> = statements.iter().map(lower).collect();
    // The schema the whole up leaves: a table neither before nor after it (a temporary or scratch
    // table created and dropped by the up) needs nothing undone.
    let mut end = before.clone();
    for l in &lowered {
        end.apply(l);
    }
    let mut cat = before.clone();
    let mut steps = vec![];
    for (stmt, lowered) in statements.iter().zip(&lowered) {
        let mut after = cat.clone();
        after.apply(lowered);
        let mut step = ReverseStep {
            up_offset: stmt.span.start,
            up: stmt.sql.lines().next().unwrap_or("").trim().to_string(),
            sql: vec![],
            irreversible: None,
            underived: false,
            locks: vec![],
        };
        let mut undo = Undo {
            before: &cat,
            after: &after,
            changes: vec![],
            step: &mut step,
        };
        for change in lowered.changes.iter().rev() {
            let transient =
                |t: &QualifiedName| !before.tables.contains_key(t) && !end.tables.contains_key(t);
            if table_of(&cat, &after, change).is_some_and(|t| transient(&t)) {
                continue;
            }
            undo.change(change);
        }
        let changes = std::mem::take(&mut undo.changes);
        let locks = super::Locks {
            catalog: &after,
            created_here: &nobody,
            timezone_utc: false,
            pg_version,
            knowledge,
        };
        step.locks = locks
            .of(&changes)
            .into_iter()
            .map(|(o, t)| o.on(t, pg_version))
            .collect();
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

/// The table a change creates, alters, indexes or drops (the first, for a drop of several).
fn table_of(before: &Catalog, after: &Catalog, change: &SchemaChange) -> Option<QualifiedName> {
    Some(match change {
        SchemaChange::CreateTable(t) => after.resolve(&t.name),
        SchemaChange::CreateTableAs { name, .. } => after.resolve(name),
        SchemaChange::AlterTable { name, .. } => before.resolve(name),
        SchemaChange::CreateIndex(i) => before.resolve(&i.table),
        SchemaChange::Drop(d) if d.kind == ObjectKind::Table => {
            before.resolve_name(&d.objects.first()?.name)
        }
        _ => return None,
    })
}

fn drop(kind: ObjectKind, name: &QualifiedName) -> SchemaChange {
    make::drop(kind, vec![parts(name)])
}

fn alter(table: &QualifiedName, command: AlterTable) -> SchemaChange {
    make::alter(table, vec![command])
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
            SchemaChange::SetSearchPath(_)
            | SchemaChange::SetSetting { .. }
            | SchemaChange::Transaction(_) => {}
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
                    (Some(old), false) => self.changes.push(make::view(old, true)),
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
                let previous = new.and_then(|n| {
                    before
                        .functions
                        .iter()
                        .find(|o| o.name == n.name && o.arg_types == n.arg_types)
                });
                match (previous, new) {
                    // CREATE OR REPLACE of a function that existed: its previous definition comes back.
                    (Some(old), _) => self.changes.push(make::function(old, true)),
                    (None, Some(n)) => self.changes.push(SchemaChange::Drop(ch::Drop {
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
                    })),
                    (None, None) => {}
                }
            }
            SchemaChange::AlterTable { name, commands, .. } => {
                let name = before.resolve(name);
                let (Some(old), Some(new)) = (before.tables.get(&name), after.tables.get(&name))
                else {
                    self.step.underived = true;
                    return;
                };
                // The constraints the statement adds are dropped once, where its last ADD CONSTRAINT is
                // undone (before the columns they may stand on go).
                let mut constraints_undone = false;
                for c in commands.iter().rev() {
                    if matches!(c, AlterTable::AddConstraint(_))
                        && std::mem::replace(&mut constraints_undone, true)
                    {
                        continue;
                    }
                    self.alter_cmd(old, new, c);
                }
            }
            SchemaChange::AlterSequence { name, options } => {
                let name = before.resolve(name);
                let Some(old) = before.sequences.get(&name) else {
                    self.step.underived = true;
                    return;
                };
                // What the statement set, as it was (a sequence without AS is a bigint one).
                let back = ch::SequenceOptions {
                    data_type: options.data_type.as_ref().map(|_| {
                        old.data_type
                            .clone()
                            .unwrap_or_else(|| DataType::simple("bigint"))
                    }),
                    owned_by: options.owned_by.as_ref().map(|_| {
                        old.owned_by
                            .as_ref()
                            .map(|(t, c)| (on(t), c.clone()))
                    }),
                    max_value: None,
                };
                // The model does not keep a sequence's MAXVALUE: going back cannot set it.
                if options.max_value.is_some() {
                    self.step.underived = true;
                }
                self.changes.push(SchemaChange::AlterSequence {
                    name: on(&name),
                    options: back,
                });
            }
            SchemaChange::AlterFunction {
                function,
                procedure,
                security_definer,
                volatility,
                search_path,
            } => {
                let name = before.resolve(&ObjName::from_parts(&function.name));
                let old: Vec<_> = before
                    .functions
                    .iter()
                    .filter(|f| {
                        f.name == name && function.args.as_ref().is_none_or(|a| *a == f.arg_types)
                    })
                    .collect();
                if old.is_empty() {
                    self.step.underived = true;
                }
                for f in old {
                    self.changes.push(SchemaChange::AlterFunction {
                        function: ObjectRef {
                            name: parts(&f.name),
                            args: Some(f.arg_types.clone()),
                        },
                        procedure: *procedure,
                        security_definer: security_definer.map(|_| f.security_definer),
                        volatility: volatility.as_ref().map(|_| f.volatility.clone()),
                        search_path: search_path.as_ref().map(|_| f.search_path.clone()),
                    });
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
            SchemaChange::WriteRows(_) => self.irreversible(
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
                        .push(alter(t, AlterTable::drop_column(&column.name)));
                }
            }
            AlterTable::DropColumn { column: col, .. } => match old.column(col) {
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
                    // A default is kept through a type change with the type it was written for: it is
                    // dropped first (it may not cast back) and set again as it was.
                    let default_now = new.column(column).is_some_and(|nc| nc.default.is_some());
                    let mut commands = vec![];
                    if default_now {
                        commands.push(AlterTable::SetDefault {
                            column: column.clone(),
                            default: None,
                        });
                    }
                    commands.push(AlterTable::AlterColumnType {
                        column: column.clone(),
                        data_type: oc.data_type.clone(),
                        using: Some(format!(
                            "{}::{}",
                            dbarch_sql::expr::quote_ident(column),
                            type_name(&oc.data_type)
                        )),
                    });
                    if let Some(d) = oc.default.as_ref().filter(|_| default_now) {
                        commands.push(AlterTable::SetDefault {
                            column: column.clone(),
                            default: Some(d.clone()),
                        });
                    }
                    self.changes.push(make::alter(t, commands));
                    // Going back loses nothing when the server makes the change in its catalog only
                    // (varchar(n) back to text, to a longer varchar): else values written since may not fit.
                    let narrowing = new.column(column).is_some_and(|nc| {
                        nc.data_type != oc.data_type
                            && !crate::rules::migration::alter_column_type::binary_coercible(
                                &nc.data_type,
                                &oc.data_type,
                            )
                    });
                    if narrowing {
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
                        .push(alter(t, AlterTable::AddConstraint(make::constraint(k))));
                }
            }
            AlterTable::ValidateConstraint(_) => {}
            AlterTable::AttachPartition { partition, .. } => self.changes.push(alter(
                t,
                AlterTable::DetachPartition {
                    partition: on(&self.after.resolve(partition)),
                    concurrently: false,
                },
            )),
            AlterTable::DetachPartition { partition, .. } => {
                let child = self.before.resolve(partition);
                match self
                    .before
                    .tables
                    .get(&child)
                    .and_then(|c| c.partition_of.as_ref())
                {
                    Some(p) => self.changes.push(alter(
                        t,
                        AlterTable::AttachPartition {
                            partition: on(&child),
                            bound: p.bound.clone(),
                        },
                    )),
                    None => self.step.underived = true,
                }
            }
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
                if_exists: false,
            },
            ObjectKind::Table | ObjectKind::Index | ObjectKind::View | ObjectKind::Sequence => {
                Rename {
                    kind: r.kind,
                    relation: Some(ObjName::new(Some(&rel.schema), &r.new)),
                    object: vec![],
                    old: String::new(),
                    new: rel.name.clone(),
                    if_exists: false,
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
                    Some(i) => self.changes.push(make::index(i, d.concurrently)),
                    None if d.if_exists => {}
                    None => self.step.underived = true,
                },
                ObjectKind::View | ObjectKind::MaterializedView => match before.views.get(&name) {
                    Some(v) => self.changes.push(make::view(v, false)),
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
                ObjectKind::Policy | ObjectKind::Trigger => {
                    let Some((object, table)) = o.name.split_last() else {
                        continue;
                    };
                    let table = before.resolve_name(table);
                    if d.kind == ObjectKind::Policy {
                        match before
                            .tables
                            .get(&table)
                            .and_then(|t| t.policies.iter().find(|p| &p.name == object))
                        {
                            Some(p) => self.changes.push(make::policy(&table, p)),
                            None if d.if_exists => {}
                            None => self.step.underived = true,
                        }
                    } else {
                        match before.triggers.get(&(table.clone(), object.clone())) {
                            Some(t) => self.changes.push(make::trigger(t)),
                            None if d.if_exists => {}
                            None => self.step.underived = true,
                        }
                    }
                }
                ObjectKind::Sequence => match before.sequences.get(&name) {
                    Some(q) => {
                        self.changes.push(SchemaChange::CreateSequence {
                            name: on(&name),
                            at: q.origin.0.unwrap_or_default(),
                            options: ch::SequenceOptions {
                                data_type: q.data_type.clone(),
                                owned_by: None,
                                max_value: None,
                            },
                        });
                        self.irreversible(format!(
                            "sequence {name} comes back at its start: set its value (setval) to what it was"
                        ));
                    }
                    None if d.if_exists => {}
                    None => self.step.underived = true,
                },
                ObjectKind::Schema => {
                    let schema = o.name.first().cloned().unwrap_or_default();
                    if before.schemas.contains_key(&schema) {
                        self.changes.push(SchemaChange::CreateSchema {
                            name: schema,
                            elements: vec![],
                        });
                    } else if !d.if_exists {
                        self.step.underived = true;
                    }
                }
                ObjectKind::Type | ObjectKind::Domain => {
                    let name = before.resolve(&ObjName::from_parts(&o.name));
                    match before.types.get(&name) {
                        Some(t) => self.changes.push(make::user_type(t)),
                        None if d.if_exists => {}
                        None => self.step.underived = true,
                    }
                }
                ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Routine => {
                    let name = before.resolve(&ObjName::from_parts(&o.name));
                    let dropped: Vec<_> = before
                        .functions
                        .iter()
                        .filter(|f| {
                            f.name == name && o.args.as_ref().is_none_or(|a| *a == f.arg_types)
                        })
                        .collect();
                    if dropped.is_empty() && !d.if_exists {
                        self.step.underived = true;
                    }
                    for f in dropped {
                        self.changes.push(make::function(f, false));
                    }
                    // The triggers CASCADE dropped with it come back after it.
                    if d.cascade {
                        for t in before.triggers.values().filter(|t| {
                            t.function == name
                                && !self
                                    .after
                                    .triggers
                                    .contains_key(&(t.table.clone(), t.name.clone()))
                        }) {
                            self.changes.push(make::trigger(t));
                        }
                    }
                }
                ObjectKind::ForeignTable => self.irreversible(format!(
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
