//! Renames of relations and columns, and what follows them (views, indexes, constraints).

use dbarch_sql::change::{ObjName, ObjectKind as K, Rename};

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn rename(&mut self, s: &Rename, cx: &Ctx) {
        let rel = s.relation.as_ref().map(|r| self.resolve(r));
        match s.kind {
            K::Table | K::ForeignTable => {
                if let Some(old) = rel {
                    let new = QualifiedName::new(old.schema.clone(), s.new.clone());
                    if self.tables.contains_key(&old) {
                        self.rename_table(&old, new);
                    } else if let Some(mut v) = self.views.remove(&old) {
                        Arc::make_mut(&mut v).name = new.clone();
                        self.views.insert(new.clone(), v);
                        self.relation_renamed(&old, &new);
                    } else if let Some(mut i) = self.indexes.remove(&old) {
                        Arc::make_mut(&mut i).name = new.clone();
                        self.indexes.insert(new, i);
                    } else if let Some(mut q) = self.sequences.remove(&old) {
                        Arc::make_mut(&mut q).name = new.clone();
                        self.sequences.insert(new, q);
                    } else {
                        self.note(cx, format!("rename of unknown relation {old}"));
                    }
                }
            }
            K::View | K::MaterializedView => {
                if let Some(old) = rel
                    && let Some(mut v) = self.views.remove(&old)
                {
                    let new = QualifiedName::new(old.schema.clone(), s.new.clone());
                    Arc::make_mut(&mut v).name = new.clone();
                    self.views.insert(new.clone(), v);
                    self.relation_renamed(&old, &new);
                }
            }
            K::Index => {
                if let Some(old) = rel {
                    let new = QualifiedName::new(old.schema.clone(), s.new.clone());
                    if let Some(mut i) = self.indexes.remove(&old) {
                        Arc::make_mut(&mut i).name = new.clone();
                        self.indexes.insert(new, i);
                    } else {
                        // An index backing a constraint is renamed with it.
                        for t in self
                            .tables
                            .values_mut()
                            .filter(|t| t.constraints.iter().any(|c| c.name == old.name))
                        {
                            let t = Arc::make_mut(t);
                            for c in t.constraints.iter_mut().filter(|c| c.name == old.name) {
                                c.name = s.new.clone();
                                c.name_given = true;
                            }
                        }
                    }
                }
            }
            K::Sequence => {
                if let Some(old) = rel
                    && let Some(mut q) = self.sequences.remove(&old)
                {
                    let new = QualifiedName::new(old.schema.clone(), s.new.clone());
                    Arc::make_mut(&mut q).name = new.clone();
                    self.sequences.insert(new, q);
                }
            }
            K::Column => {
                if let Some(table) = rel {
                    self.rename_column(&table, &s.old, &s.new);
                }
            }
            K::TableConstraint => {
                if let Some(t) = rel.and_then(|r| self.tables.get_mut(&r).map(Arc::make_mut)) {
                    for c in t.constraints.iter_mut().filter(|c| c.name == s.old) {
                        c.name = s.new.clone();
                        c.name_given = true;
                    }
                }
            }
            K::Schema => {
                let old = s.old.clone();
                if let Some(o) = self.schemas.remove(&old) {
                    self.schemas.insert(s.new.clone(), o);
                }
                let doomed: Vec<QualifiedName> = self
                    .tables
                    .keys()
                    .filter(|k| k.schema == old)
                    .cloned()
                    .collect();
                for d in doomed {
                    let new = QualifiedName::new(s.new.clone(), d.name.clone());
                    self.rename_table(&d, new);
                }
            }
            K::Type | K::Domain => {
                if !s.object.is_empty() {
                    let old = self.qualify(&ObjName::from_parts(&s.object));
                    if let Some(mut ty) = self.types.remove(&old) {
                        let new = QualifiedName::new(old.schema.clone(), s.new.clone());
                        ty.name = new.clone();
                        self.types.insert(new, ty);
                    }
                }
            }
            K::Trigger => {
                if let Some(table) = rel
                    && let Some(mut t) = self.triggers.remove(&(table.clone(), s.old.clone()))
                {
                    t.name = s.new.clone();
                    self.triggers.insert((table, s.new.clone()), t);
                }
            }
            K::Policy => {
                if let Some(t) = rel.and_then(|r| self.tables.get_mut(&r).map(Arc::make_mut)) {
                    for p in t.policies.iter_mut().filter(|p| p.name == s.old) {
                        p.name = s.new.clone();
                    }
                }
            }
            K::Role => {
                if let Some(mut r) = self.roles.remove(&s.old) {
                    r.name = s.new.clone();
                    self.roles.insert(s.new.clone(), r);
                }
            }
            _ => self.note(cx, "RENAME of this kind of object is not modelled"),
        }
    }

    pub(super) fn rename_table(&mut self, old: &QualifiedName, new: QualifiedName) {
        let Some(t) = self.tables.remove(old) else {
            return;
        };
        let mut t = Arc::unwrap_or_clone(t);
        t.name = new.clone();
        // A self-reference moves with the table.
        for c in t.constraints.iter_mut() {
            if let ConstraintKind::ForeignKey(fk) = &mut c.kind
                && &fk.ref_table == old
            {
                fk.ref_table = new.clone();
            }
        }
        self.tables.insert(new.clone(), Arc::new(t));
        self.relation_renamed(old, &new);
        for i in self.indexes.values_mut().filter(|i| &i.table == old) {
            Arc::make_mut(i).table = new.clone();
        }
        if old.schema != new.schema {
            let moved: Vec<QualifiedName> = self
                .indexes
                .iter()
                .filter(|(_, i)| i.table == new)
                .map(|(k, _)| k.clone())
                .collect();
            for k in moved {
                if let Some(mut i) = self.indexes.remove(&k) {
                    Arc::make_mut(&mut i).name.schema = new.schema.clone();
                    self.indexes.insert(i.name.clone(), i);
                }
            }
        }
        let moved: Vec<(QualifiedName, String)> = self
            .triggers
            .keys()
            .filter(|(t, _)| t == old)
            .cloned()
            .collect();
        for key in moved {
            if let Some(mut tr) = self.triggers.remove(&key) {
                tr.table = new.clone();
                self.triggers.insert((new.clone(), key.1), tr);
            }
        }
        for s in self
            .sequences
            .values_mut()
            .filter(|s| s.owned_by.as_ref().is_some_and(|(t, _)| t == old))
        {
            if let Some((t, _)) = &mut Arc::make_mut(s).owned_by
                && t == old
            {
                *t = new.clone();
            }
        }
        let affected = |t: &Table| {
            t.constraints
                .iter()
                .any(|c| c.foreign_key().is_some_and(|fk| &fk.ref_table == old))
                || t.partition_of.as_ref().is_some_and(|p| &p.parent == old)
        };
        for t in self.tables.values_mut().filter(|t| affected(t)) {
            let t = Arc::make_mut(t);
            for c in t.constraints.iter_mut() {
                if let ConstraintKind::ForeignKey(fk) = &mut c.kind
                    && &fk.ref_table == old
                {
                    fk.ref_table = new.clone();
                }
            }
            if let Some(p) = &mut t.partition_of
                && &p.parent == old
            {
                p.parent = new.clone();
            }
        }
    }

    pub(super) fn rename_column(&mut self, table: &QualifiedName, old: &str, new: &str) {
        self.column_renamed(table, old, new);
        let ren = |v: &mut Vec<String>| {
            for c in v.iter_mut().filter(|c| c.as_str() == old) {
                *c = new.to_string();
            }
        };
        if let Some(t) = self.tables.get_mut(table).map(Arc::make_mut) {
            if let Some(c) = t.column_mut(old) {
                c.name = new.to_string();
            }
            for k in t.constraints.iter_mut() {
                match &mut k.kind {
                    ConstraintKind::PrimaryKey { columns, include }
                    | ConstraintKind::Unique {
                        columns, include, ..
                    } => {
                        ren(columns);
                        ren(include);
                    }
                    ConstraintKind::Check { columns, .. } => ren(columns),
                    ConstraintKind::ForeignKey(fk) => {
                        ren(&mut fk.columns);
                        if &fk.ref_table == table {
                            ren(&mut fk.ref_columns);
                        }
                    }
                    ConstraintKind::Exclude { elements, .. } => ren(elements),
                }
            }
        }
        for i in self.indexes.values_mut().filter(|i| &i.table == table) {
            let i = Arc::make_mut(i);
            for k in i.keys.iter_mut() {
                match &mut k.expr {
                    IndexKeyExpr::Column(c) if c.as_str() == old => *c = new.to_string(),
                    IndexKeyExpr::Expression { columns, .. } => ren(columns),
                    _ => {}
                }
            }
            ren(&mut i.include);
            ren(&mut i.predicate_columns);
        }
        for t in self.tables.values_mut().filter(|t| {
            &t.name != table
                && t.constraints
                    .iter()
                    .any(|c| c.foreign_key().is_some_and(|fk| &fk.ref_table == table))
        }) {
            let t = Arc::make_mut(t);
            for c in t.constraints.iter_mut() {
                if let ConstraintKind::ForeignKey(fk) = &mut c.kind
                    && &fk.ref_table == table
                {
                    ren(&mut fk.ref_columns);
                }
            }
        }
        for s in self.sequences.values_mut().filter(|s| {
            s.owned_by
                .as_ref()
                .is_some_and(|(t, c)| t == table && c == old)
        }) {
            if let Some((t, c)) = &mut Arc::make_mut(s).owned_by
                && t == table
                && c == old
            {
                *c = new.to_string();
            }
        }
    }

    /// Views follow a relation they read when it is renamed (PostgreSQL keeps them bound to it).
    pub(super) fn relation_renamed(&mut self, old: &QualifiedName, new: &QualifiedName) {
        for v in self
            .views
            .values_mut()
            .filter(|v| v.depends_on.contains(old))
        {
            let v = Arc::make_mut(v);
            for d in v.depends_on.iter_mut().filter(|d| *d == old) {
                *d = new.clone();
            }
            v.scope.expanded = Arc::default();
            v.scope.bound = Arc::default();
            let scope = Arc::make_mut(&mut v.scope.relations);
            for r in scope.iter_mut().filter(|r| &r.now == old) {
                r.now = new.clone();
            }
        }
    }

    /// Views follow a column they read when it is renamed.
    pub(super) fn column_renamed(&mut self, table: &QualifiedName, old: &str, new: &str) {
        for v in self
            .views
            .values_mut()
            .filter(|v| v.depends_on.contains(table))
        {
            let v = Arc::make_mut(v);
            v.scope.expanded = Arc::default();
            v.scope.bound = Arc::default();
            let scope = Arc::make_mut(&mut v.scope.relations);
            for r in scope.iter_mut().filter(|r| &r.now == table) {
                for c in r.columns.iter_mut().filter(|c| c.0 == old) {
                    c.0 = new.to_string();
                }
            }
        }
    }
}
