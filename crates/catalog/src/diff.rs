//! The changes that turn one schema into another: `diff(a, b)` is a list of [`SchemaChange`]s in an
//! order PostgreSQL accepts — what depends on an object is dropped before it and created after it — so
//! that applying them to `a` gives `b` (as [`crate::differences`] compares schemas) and emitting them
//! ([`dbarch_sql::change::emit`]) gives a script that does the same on a server.
//!
//! The order: grants, triggers, views (dependents first), policies, indexes, constraints (foreign keys first) and
//! tables go; roles, schemas, extensions, types, sequences and functions come; kept tables change their
//! columns; new tables are created without their foreign keys, which are added once every table exists;
//! then sequence ownership, indexes, views (what they read first), row level security, policies, owners,
//! comments, triggers and grants; what goes last is what others stood on (functions, types, sequences,
//! extensions, schemas, roles).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use dbarch_sql::change::{
    AlterTable, CreateTable, GrantObject, ObjectKind, Privilege, RoleOption, SchemaChange,
    SequenceOptions, TableElement,
};

use crate::make::{
    alter, column as column_def, constraint as constraint_def, drop, name as on, parts, span,
};
use crate::model::*;

/// Added after every table exists: foreign keys (they may reference a table created later) and
/// constraints added NOT VALID (only ALTER TABLE can leave one unvalidated).
fn added_later(c: &Constraint) -> bool {
    c.foreign_key().is_some() || c.not_valid
}

fn create_table(t: &Table) -> CreateTable {
    let mut elements = vec![];
    // A partition has its parent's columns.
    if t.partition_of.is_none() {
        elements.extend(
            t.columns
                .iter()
                .map(|c| TableElement::Column(column_def(c))),
        );
    }
    elements.extend(
        t.constraints
            .iter()
            .filter(|c| !added_later(c))
            .map(|c| TableElement::Constraint(constraint_def(c))),
    );
    let (inherits, partition_bound) = match &t.partition_of {
        Some(p) => (vec![on(&p.parent)], Some(p.bound.clone())),
        None => (t.inherits.iter().map(on).collect(), None),
    };
    CreateTable {
        name: on(&t.name),
        at: span(&t.origin),
        if_not_exists: false,
        unlogged: t.unlogged,
        temporary: t.temporary,
        inherits,
        partition_by: t.partition_by.clone(),
        partition_bound,
        of_type: None,
        elements,
    }
}

fn function_kind(f: &Function) -> ObjectKind {
    if f.is_procedure {
        ObjectKind::Procedure
    } else {
        ObjectKind::Function
    }
}

fn grant(g: &Grant, grant: bool) -> SchemaChange {
    SchemaChange::Grant(dbarch_sql::change::Grant {
        grant,
        privileges: g.privileges.iter().map(|p| Privilege::new(p)).collect(),
        object_kind: g.object_kind.clone(),
        objects: g
            .objects
            .iter()
            .map(|o| GrantObject::Named(o.clone()))
            .collect(),
        grantees: g.grantees.clone(),
        with_grant_option: g.with_grant_option,
    })
}

fn role_options(r: &Role) -> Vec<RoleOption> {
    vec![
        RoleOption::Login(r.login),
        RoleOption::Superuser(r.superuser),
        RoleOption::BypassRls(r.bypass_rls),
    ]
}

/// Whether two constraints are the same but for their validity (whether a name was written is not part of
/// the schema).
fn same_constraint(a: &Constraint, b: &Constraint) -> bool {
    Constraint {
        not_valid: a.not_valid,
        name_given: a.name_given,
        ..b.clone()
    } == *a
}

/// Whether two shared objects differ (a copy of a catalog shares what it did not change).
fn differ<T: PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    !Arc::ptr_eq(a, b) && a != b
}

/// The changes that turn `a` into `b`, in an order PostgreSQL accepts (see the module's documentation).
pub fn diff(a: &Catalog, b: &Catalog) -> Vec<SchemaChange> {
    let mut out = vec![];
    let kept_tables: Vec<(&Arc<Table>, &Arc<Table>)> = a
        .tables
        .iter()
        .filter_map(|(k, ta)| Some((ta, b.tables.get(k)?)))
        .filter(|(ta, tb)| differ(ta, tb))
        .collect();
    let dropped_tables: BTreeSet<&QualifiedName> = a
        .tables
        .keys()
        .filter(|k| !b.tables.contains_key(*k))
        .collect();
    // Tables whose columns are dropped or retyped: a view reading them is made again around the change.
    let reshaped: BTreeSet<&QualifiedName> = kept_tables
        .iter()
        .filter(|(ta, tb)| {
            ta.columns.iter().any(|c| {
                tb.column(&c.name)
                    .is_none_or(|n| n.data_type != c.data_type || n.collation != c.collation)
            })
        })
        .map(|(ta, _)| &ta.name)
        .collect();

    // Views to drop: gone, changed, or reading a view or a table that is.
    let mut views_out: BTreeSet<QualifiedName> = a
        .views
        .iter()
        .filter(|(k, va)| {
            b.views.get(*k).is_none_or(|vb| differ(va, vb))
                || va
                    .depends_on
                    .iter()
                    .any(|d| dropped_tables.contains(d) || reshaped.contains(d))
        })
        .map(|(k, _)| k.clone())
        .collect();
    loop {
        let more: Vec<QualifiedName> = a
            .views
            .values()
            .filter(|v| !views_out.contains(&v.name))
            .filter(|v| v.depends_on.iter().any(|d| views_out.contains(d)))
            .map(|v| v.name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        views_out.extend(more);
    }

    // 0. Grants that go (while what they are on still exists).
    let grant_key = |g: &Grant| {
        (
            g.privileges.clone(),
            g.object_kind.clone(),
            g.objects.clone(),
            g.grantees.clone(),
            g.with_grant_option,
        )
    };
    let ga: BTreeMap<_, &Grant> = a.grants.iter().map(|g| (grant_key(g), g)).collect();
    let gb: BTreeMap<_, &Grant> = b.grants.iter().map(|g| (grant_key(g), g)).collect();
    for (k, g) in &ga {
        if !gb.contains_key(k) {
            out.push(grant(g, false));
        }
    }
    // 1. Triggers that go or change.
    for (k, t) in &a.triggers {
        if b.triggers.get(k).is_none_or(|n| n != t) && !dropped_tables.contains(&k.0) {
            let mut p = parts(&k.0);
            p.push(k.1.clone());
            out.push(drop(ObjectKind::Trigger, vec![p]));
        }
    }
    // 2. Views, dependents first.
    for v in dependency_order(&a.views, &views_out).into_iter().rev() {
        let kind = if a.views[&v].materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        out.push(drop(kind, vec![parts(&v)]));
    }
    // 3-5. Policies, indexes and constraints of kept tables that go or change (foreign keys first: a key
    // they reference may be among the others).
    let mut constraint_drops = (vec![], vec![]);
    for (ta, tb) in &kept_tables {
        for p in &ta.policies {
            if tb.policies.iter().find(|x| x.name == p.name) != Some(p) {
                let mut o = parts(&ta.name);
                o.push(p.name.clone());
                out.push(drop(ObjectKind::Policy, vec![o]));
            }
        }
        for c in &ta.constraints {
            let same = tb
                .constraints
                .iter()
                .find(|x| x.name == c.name)
                // Kept unless it changes, or a valid one is to become NOT VALID.
                .is_some_and(|x| same_constraint(c, x) && (c.not_valid || !x.not_valid));
            if !same {
                let cmd = alter(&ta.name, vec![AlterTable::DropConstraint(c.name.clone())]);
                if c.foreign_key().is_some() {
                    constraint_drops.0.push(cmd);
                } else {
                    constraint_drops.1.push(cmd);
                }
            }
        }
    }
    for (k, i) in &a.indexes {
        if b.indexes.get(k).is_none_or(|n| differ(i, n)) && !dropped_tables.contains(&i.table) {
            out.push(drop(ObjectKind::Index, vec![parts(k)]));
        }
    }
    out.extend(constraint_drops.0);
    out.extend(constraint_drops.1);
    // 6. Tables: foreign keys between dropped tables first, so the tables go in any order.
    for name in &dropped_tables {
        let t = &a.tables[*name];
        let fks: Vec<AlterTable> = t
            .constraints
            .iter()
            .filter(|c| {
                c.foreign_key().is_some_and(|fk| {
                    dropped_tables.contains(&fk.ref_table) && &fk.ref_table != *name
                })
            })
            .map(|c| AlterTable::DropConstraint(c.name.clone()))
            .collect();
        if !fks.is_empty() {
            out.push(alter(name, fks));
        }
    }
    // Partitions before their parents (dropping a parent drops them).
    let mut tables_out: Vec<&QualifiedName> = dropped_tables
        .iter()
        .copied()
        .filter(|n| {
            a.tables[*n]
                .partition_of
                .as_ref()
                .is_none_or(|p| !dropped_tables.contains(&p.parent))
        })
        .collect();
    tables_out.sort();
    if !tables_out.is_empty() {
        out.push(drop(
            ObjectKind::Table,
            tables_out.iter().map(|n| parts(n)).collect(),
        ));
    }

    // 7. Roles, schemas and extensions that come.
    for (name, r) in &b.roles {
        match a.roles.get(name) {
            None => out.push(SchemaChange::CreateRole {
                name: name.clone(),
                user: false,
                options: role_options(r),
            }),
            Some(old) if role_options(old) != role_options(r) => {
                out.push(SchemaChange::AlterRole {
                    name: name.clone(),
                    options: role_options(r),
                })
            }
            Some(_) => {}
        }
    }
    for (name, r) in &b.roles {
        let before: &[String] = a.roles.get(name).map_or(&[], |o| &o.member_of);
        let added: Vec<String> = r
            .member_of
            .iter()
            .filter(|m| !before.contains(m))
            .cloned()
            .collect();
        let removed: Vec<String> = before
            .iter()
            .filter(|m| !r.member_of.contains(m))
            .cloned()
            .collect();
        for (grant, roles) in [(true, added), (false, removed)] {
            if !roles.is_empty() {
                out.push(SchemaChange::GrantRole {
                    grant,
                    roles,
                    grantees: vec![name.clone()],
                });
            }
        }
    }
    for s in b.schemas.keys().filter(|s| !a.schemas.contains_key(*s)) {
        out.push(SchemaChange::CreateSchema {
            name: s.clone(),
            elements: vec![],
        });
    }
    for (name, e) in b
        .extensions
        .iter()
        .filter(|(k, _)| !a.extensions.contains_key(*k))
    {
        out.push(SchemaChange::CreateExtension {
            name: name.clone(),
            schema: e.schema.clone(),
        });
    }
    // 8. Types (enums and domains before the composite types that may use them), values added to enums.
    let mut composite = vec![];
    for (k, t) in &b.types {
        match a.types.get(k) {
            None => {
                if matches!(t.kind, TypeKind::Composite { .. }) {
                    composite.push(crate::make::user_type(t));
                } else {
                    out.push(crate::make::user_type(t));
                }
            }
            Some(old) if old.kind != t.kind => match enum_additions(old, t) {
                Some(adds) => out.extend(adds),
                None => {
                    out.push(drop(type_kind(old), vec![parts(k)]));
                    out.push(crate::make::user_type(t));
                }
            },
            Some(_) => {}
        }
    }
    out.extend(composite);
    // 9. Sequences (owned once their tables exist), functions.
    let created_tables: BTreeSet<&QualifiedName> = b
        .tables
        .keys()
        .filter(|k| !a.tables.contains_key(*k))
        .collect();
    // A serial column makes its own sequence.
    let serial_of_new = |s: &Sequence| {
        s.owned_by.as_ref().is_some_and(|(t, c)| {
            let serial = |cat: &Catalog| {
                cat.tables
                    .get(t)
                    .and_then(|t| t.column(c))
                    .is_some_and(|c| c.serial)
            };
            serial(b) && !serial(a)
        })
    };
    let mut ownership = vec![];
    for (k, s) in &b.sequences {
        let old = a.sequences.get(k);
        if old.is_some_and(|o| !differ(o, s)) || (old.is_none() && serial_of_new(s)) {
            continue;
        }
        let changed_type = old.is_none_or(|o| o.data_type != s.data_type);
        let options = SequenceOptions {
            data_type: if changed_type {
                s.data_type.clone()
            } else {
                None
            },
            owned_by: None,
            max_value: None,
        };
        match old {
            None => out.push(SchemaChange::CreateSequence {
                name: on(k),
                at: span(&s.origin),
                options,
            }),
            Some(_) if options.data_type.is_some() => out.push(SchemaChange::AlterSequence {
                name: on(k),
                options,
            }),
            Some(_) => {}
        }
        if old.map_or(s.owned_by.is_some(), |o| o.owned_by != s.owned_by) {
            ownership.push(SchemaChange::AlterSequence {
                name: on(k),
                options: SequenceOptions {
                    data_type: None,
                    owned_by: Some(s.owned_by.as_ref().map(|(t, c)| (on(t), c.clone()))),
                    max_value: None,
                },
            });
        }
    }
    let key = |f: &Function| (f.name.clone(), f.arg_types.clone());
    let fa: BTreeMap<_, &Arc<Function>> = a.functions.iter().map(|f| (key(f), f)).collect();
    let fb: BTreeMap<_, &Arc<Function>> = b.functions.iter().map(|f| (key(f), f)).collect();
    for (k, f) in &fb {
        match fa.get(k) {
            None => out.push(crate::make::function(f, false)),
            Some(old) if differ(old, f) => {
                if old.returns != f.returns || old.is_procedure != f.is_procedure {
                    out.push(drop(function_kind(old), vec![parts(&old.name)]));
                    out.push(crate::make::function(f, false));
                } else {
                    out.push(crate::make::function(f, true));
                }
            }
            Some(_) => {}
        }
    }

    // 10. Kept tables: columns; a partition whose bound changes is detached and attached again.
    for (ta, tb) in &kept_tables {
        let cmds = table_changes(ta, tb);
        if !cmds.is_empty() {
            out.push(alter(&ta.name, cmds));
        }
        if ta.partition_of != tb.partition_of {
            if let Some(p) = &ta.partition_of {
                out.push(alter(
                    &p.parent,
                    vec![AlterTable::DetachPartition {
                        partition: on(&ta.name),
                        concurrently: false,
                    }],
                ));
            }
            if let Some(p) = &tb.partition_of {
                out.push(alter(
                    &p.parent,
                    vec![AlterTable::AttachPartition {
                        partition: on(&tb.name),
                        bound: p.bound.clone(),
                    }],
                ));
            }
        }
    }
    // 11. New tables (parents before their partitions and children), then their foreign keys.
    let mut new_tables: Vec<&Arc<Table>> = created_tables.iter().map(|k| &b.tables[*k]).collect();
    new_tables.sort_by_key(|t| {
        let parent = t
            .partition_of
            .as_ref()
            .map(|p| &p.parent)
            .into_iter()
            .chain(&t.inherits)
            .any(|p| created_tables.contains(p));
        (parent, t.name.clone())
    });
    for t in &new_tables {
        out.push(SchemaChange::CreateTable(create_table(t)));
    }
    for (ta, tb) in &kept_tables {
        let old = |c: &Constraint| ta.constraints.iter().find(|x| x.name == c.name);
        let adds = tb
            .constraints
            .iter()
            .filter(|c| {
                old(c).is_none_or(|x| !same_constraint(x, c) || (c.not_valid && !x.not_valid))
            })
            .map(|c| AlterTable::AddConstraint(constraint_def(c)));
        let validated = tb
            .constraints
            .iter()
            .filter(|c| {
                !c.not_valid && old(c).is_some_and(|x| x.not_valid && same_constraint(x, c))
            })
            .map(|c| AlterTable::ValidateConstraint(c.name.clone()));
        let cmds: Vec<AlterTable> = adds.into_iter().chain(validated).collect();
        if !cmds.is_empty() {
            out.push(alter(&tb.name, cmds));
        }
    }
    for t in &new_tables {
        let cmds: Vec<AlterTable> = t
            .constraints
            .iter()
            .filter(|c| added_later(c))
            .map(|c| AlterTable::AddConstraint(constraint_def(c)))
            .collect();
        if !cmds.is_empty() {
            out.push(alter(&t.name, cmds));
        }
    }
    out.extend(ownership);
    // 12. Indexes, then views (what a view reads first).
    for (k, i) in &b.indexes {
        if a.indexes
            .get(k)
            .is_none_or(|o| differ(o, i) || dropped_tables.contains(&o.table))
        {
            out.push(crate::make::index(i, false));
        }
    }
    let views_in: BTreeSet<QualifiedName> = b
        .views
        .keys()
        .filter(|k| !a.views.contains_key(*k) || views_out.contains(*k))
        .cloned()
        .collect();
    for v in dependency_order(&b.views, &views_in) {
        out.push(crate::make::view(&b.views[&v], false));
    }
    // 13. Row level security, policies, owners and comments of new and changed tables.
    for tb in b.tables.values() {
        let ta = a.tables.get(&tb.name);
        if ta.is_some_and(|ta| !differ(ta, tb)) {
            continue;
        }
        let mut cmds = vec![];
        if ta.is_none_or(|ta| ta.rls_enabled != tb.rls_enabled) && (ta.is_some() || tb.rls_enabled)
        {
            cmds.push(AlterTable::RowSecurity(tb.rls_enabled));
        }
        if ta.is_none_or(|ta| ta.rls_forced != tb.rls_forced) && (ta.is_some() || tb.rls_forced) {
            cmds.push(AlterTable::ForceRowSecurity(tb.rls_forced));
        }
        if ta.is_none_or(|ta| ta.owner != tb.owner) && tb.owner.is_some() {
            cmds.push(AlterTable::SetOwner(tb.owner.clone()));
        }
        if !cmds.is_empty() {
            out.push(alter(&tb.name, cmds));
        }
        for p in &tb.policies {
            let old = ta.and_then(|ta| ta.policies.iter().find(|x| x.name == p.name));
            if old != Some(p) {
                out.push(crate::make::policy(&tb.name, p));
            }
        }
        if ta.is_none_or(|ta| ta.comment != tb.comment) && (ta.is_some() || tb.comment.is_some()) {
            out.push(SchemaChange::Comment {
                on: dbarch_sql::change::CommentOn::Table(on(&tb.name)),
                text: tb.comment.clone(),
            });
        }
        for c in &tb.columns {
            let old = ta.and_then(|ta| ta.column(&c.name));
            let was = old.and_then(|o| o.comment.as_ref());
            if was != c.comment.as_ref() && (old.is_some() || c.comment.is_some()) {
                out.push(SchemaChange::Comment {
                    on: dbarch_sql::change::CommentOn::Column {
                        table: on(&tb.name),
                        column: c.name.clone(),
                    },
                    text: c.comment.clone(),
                });
            }
        }
    }
    // 14. Triggers, grants.
    for (k, t) in &b.triggers {
        if a.triggers
            .get(k)
            .is_none_or(|o| o != t || dropped_tables.contains(&k.0))
        {
            out.push(crate::make::trigger(t));
        }
    }
    for (k, g) in &gb {
        if !ga.contains_key(k) {
            out.push(grant(g, true));
        }
    }

    // 15. What others stood on: functions, types, sequences, extensions, schemas, roles.
    for (k, f) in &fa {
        if !fb.contains_key(k) {
            out.push(drop(function_kind(f), vec![parts(&f.name)]));
        }
    }
    for (k, t) in &a.types {
        if !b.types.contains_key(k) {
            out.push(drop(type_kind(t), vec![parts(k)]));
        }
    }
    for (k, s) in &a.sequences {
        let owned_by_dropped = s
            .owned_by
            .as_ref()
            .is_some_and(|(t, _)| dropped_tables.contains(t));
        if !b.sequences.contains_key(k) && !owned_by_dropped {
            out.push(drop(ObjectKind::Sequence, vec![parts(k)]));
        }
    }
    for name in a
        .extensions
        .keys()
        .filter(|k| !b.extensions.contains_key(*k))
    {
        out.push(drop(ObjectKind::Extension, vec![vec![name.clone()]]));
    }
    for s in a.schemas.keys().filter(|s| !b.schemas.contains_key(*s)) {
        out.push(drop(ObjectKind::Schema, vec![vec![s.clone()]]));
    }
    for r in a.roles.keys().filter(|r| !b.roles.contains_key(*r)) {
        out.push(drop(ObjectKind::Role, vec![vec![r.clone()]]));
    }
    out
}

fn type_kind(t: &UserType) -> ObjectKind {
    match t.kind {
        TypeKind::Domain { .. } => ObjectKind::Domain,
        _ => ObjectKind::Type,
    }
}

/// The ALTER TYPE ... ADD VALUE changes that turn enum `a` into `b`, when `b` is `a` with values added.
fn enum_additions(a: &UserType, b: &UserType) -> Option<Vec<SchemaChange>> {
    let (TypeKind::Enum { values: va }, TypeKind::Enum { values: vb }) = (&a.kind, &b.kind) else {
        return None;
    };
    let kept: Vec<&String> = vb.iter().filter(|v| va.contains(v)).collect();
    if kept.len() != va.len() || kept.iter().zip(va).any(|(x, y)| *x != y) {
        return None;
    }
    let mut out = vec![];
    let mut now: Vec<String> = va.clone();
    for (i, v) in vb.iter().enumerate() {
        if now.contains(v) {
            continue;
        }
        // Placed after the value before it in `b` (that one exists by now), or before the first.
        let (neighbor, after) = match i.checked_sub(1).and_then(|p| vb.get(p)) {
            Some(prev) => (prev.clone(), true),
            None => (now.first().cloned().unwrap_or_default(), false),
        };
        let pos = now.iter().position(|x| *x == neighbor);
        match (pos, after) {
            (Some(p), true) => now.insert(p + 1, v.clone()),
            (Some(p), false) => now.insert(p, v.clone()),
            (None, _) => now.push(v.clone()),
        }
        out.push(SchemaChange::AlterEnum {
            name: on(&b.name),
            old_value: None,
            value: v.clone(),
            after: after || neighbor.is_empty(),
            neighbor,
        });
    }
    Some(out)
}

/// The changes to a kept table's columns, persistence and inheritance.
fn table_changes(a: &Table, b: &Table) -> Vec<AlterTable> {
    let mut cmds = vec![];
    for c in &a.columns {
        if b.column(&c.name).is_none() {
            cmds.push(AlterTable::drop_column(&c.name));
        }
    }
    for c in &b.columns {
        let Some(old) = a.column(&c.name) else {
            cmds.push(AlterTable::AddColumn {
                column: column_def(c),
                if_not_exists: false,
            });
            continue;
        };
        if old == c {
            continue;
        }
        if old.generated != c.generated || old.serial != c.serial {
            // A generation expression cannot be added to a column, nor a column made serial: it is made
            // again.
            cmds.push(AlterTable::drop_column(&c.name));
            cmds.push(AlterTable::AddColumn {
                column: column_def(c),
                if_not_exists: false,
            });
            continue;
        }
        let retyped = old.data_type != c.data_type;
        if retyped {
            // The server keeps a default through a type change as it was parsed (`''::varchar` on a
            // column now text), and refuses the change when it cannot cast the old default: the default is
            // dropped first and set again after.
            if old.default.is_some() {
                cmds.push(AlterTable::SetDefault {
                    column: c.name.clone(),
                    default: None,
                });
            }
            cmds.push(AlterTable::AlterColumnType {
                column: c.name.clone(),
                data_type: c.data_type.clone(),
                using: None,
            });
        }
        if old.identity != c.identity {
            if old.identity.is_some() {
                cmds.push(AlterTable::DropIdentity(c.name.clone()));
            }
            if let Some(i) = c.identity {
                cmds.push(AlterTable::AddIdentity {
                    column: c.name.clone(),
                    identity: i,
                });
            }
        }
        if old.default != c.default || (retyped && c.default.is_some()) {
            cmds.push(AlterTable::SetDefault {
                column: c.name.clone(),
                default: c.default.clone(),
            });
        }
        if old.not_null != c.not_null {
            cmds.push(if c.not_null {
                AlterTable::SetNotNull(c.name.clone())
            } else {
                AlterTable::DropNotNull(c.name.clone())
            });
        }
    }
    if a.unlogged != b.unlogged {
        cmds.push(AlterTable::SetLogged(!b.unlogged));
    }
    for p in &a.inherits {
        if !b.inherits.contains(p) {
            cmds.push(AlterTable::DropInherit(on(p)));
        }
    }
    for p in &b.inherits {
        if !a.inherits.contains(p) {
            cmds.push(AlterTable::AddInherit(on(p)));
        }
    }
    cmds
}

/// `names` (keys of `views`) ordered so that a view comes after the views it reads.
fn dependency_order(
    views: &BTreeMap<QualifiedName, Arc<View>>,
    names: &BTreeSet<QualifiedName>,
) -> Vec<QualifiedName> {
    let mut out: Vec<QualifiedName> = vec![];
    let mut placed: BTreeSet<&QualifiedName> = BTreeSet::new();
    let mut left: Vec<&QualifiedName> = names.iter().filter(|n| views.contains_key(*n)).collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|n| {
            let ready = views[*n]
                .depends_on
                .iter()
                .all(|d| !names.contains(d) || placed.contains(d) || d == *n);
            if ready {
                placed.insert(*n);
                out.push((*n).clone());
            }
            !ready
        });
        if left.len() == before {
            // A cycle cannot be made by CREATE VIEW; keep what is left in name order.
            out.extend(left.drain(..).cloned());
        }
    }
    out
}
