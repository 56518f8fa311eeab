//! DROP of every kind, and what goes with a dropped object.

use dbarch_sql::change::{Drop, ObjName, ObjectKind};

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn drop(&mut self, s: &Drop, cx: &Ctx) {
        for object in &s.objects {
            let parts = &object.name;
            match s.kind {
                ObjectKind::Table | ObjectKind::ForeignTable => {
                    let name = self.resolve_name(parts);
                    self.drop_table(&name);
                }
                ObjectKind::Index => {
                    let name = self.resolve_name(parts);
                    self.indexes.remove(&name);
                }
                ObjectKind::View | ObjectKind::MaterializedView => {
                    let name = self.resolve_name(parts);
                    self.views.remove(&name);
                    self.drop_dependents(&name);
                }
                ObjectKind::Sequence => {
                    let name = self.resolve_name(parts);
                    self.sequences.remove(&name);
                }
                ObjectKind::Type | ObjectKind::Domain => {
                    let name = self.qualify(&ObjName::from_parts(parts));
                    self.types.remove(&name);
                }
                ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Routine => {
                    // With its argument types written, the one function; without, every one so named.
                    let name = self.qualify(&ObjName::from_parts(parts));
                    self.functions.retain(|f| {
                        f.name != name || object.args.as_ref().is_some_and(|a| *a != f.arg_types)
                    });
                    // CASCADE takes the triggers that run it along (without, PostgreSQL refuses).
                    if s.cascade && !self.functions.iter().any(|f| f.name == name) {
                        self.triggers.retain(|_, t| t.function != name);
                    }
                }
                ObjectKind::Trigger => {
                    if let Some((trig, table)) = parts.split_last() {
                        let table = self.resolve_name(table);
                        self.triggers.remove(&(table, trig.clone()));
                    }
                }
                ObjectKind::Policy => {
                    if let Some((pol, table)) = parts.split_last() {
                        let table = self.resolve_name(table);
                        if let Some(t) = self.tables.get_mut(&table).map(Arc::make_mut) {
                            t.policies.retain(|p| &p.name != pol);
                        }
                    }
                }
                ObjectKind::Schema => {
                    let schema = parts[0].clone();
                    self.schemas.remove(&schema);
                    if s.cascade {
                        let doomed: Vec<QualifiedName> = self
                            .tables
                            .keys()
                            .filter(|k| k.schema == schema)
                            .cloned()
                            .collect();
                        for d in doomed {
                            self.drop_table(&d);
                        }
                        self.views.retain(|k, _| k.schema != schema);
                        self.sequences.retain(|k, _| k.schema != schema);
                        self.types.retain(|k, _| k.schema != schema);
                        self.indexes.retain(|k, _| k.schema != schema);
                        self.functions.retain(|f| f.name.schema != schema);
                    }
                }
                ObjectKind::Extension => {
                    self.extensions.remove(&parts[0]);
                }
                _ => self.note(cx, "DROP of this kind of object is not modelled"),
            }
        }
    }

    /// Views that read a dropped relation, and indexes on it, go with it (PostgreSQL requires CASCADE for
    /// dependent views; a migration that ran did say it, or had none).
    pub(super) fn drop_dependents(&mut self, name: &QualifiedName) {
        self.indexes.retain(|_, i| &i.table != name);
        let dependents: Vec<QualifiedName> = self
            .views
            .values()
            .filter(|v| v.depends_on.contains(name))
            .map(|v| v.name.clone())
            .collect();
        for d in dependents {
            if self.views.remove(&d).is_some() {
                self.drop_dependents(&d);
            }
        }
    }

    pub(super) fn drop_table(&mut self, name: &QualifiedName) {
        self.tables.remove(name);
        self.drop_dependents(name);
        self.indexes.retain(|_, i| &i.table != name);
        self.triggers.retain(|(t, _), _| t != name);
        self.sequences
            .retain(|_, s| s.owned_by.as_ref().is_none_or(|(t, _)| t != name));
        let refers = |c: &Constraint| c.foreign_key().is_some_and(|fk| &fk.ref_table == name);
        for t in self
            .tables
            .values_mut()
            .filter(|t| t.constraints.iter().any(refers))
        {
            Arc::make_mut(t).constraints.retain(|c| !refers(c));
        }
        // Dropping a partitioned table drops its partitions.
        let parts: Vec<QualifiedName> = self.partitions_of(name).map(|t| t.name.clone()).collect();
        for p in parts {
            self.drop_table(&p);
        }
    }
}
