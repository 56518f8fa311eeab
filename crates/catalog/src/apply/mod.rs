//! Replaying schema changes into the catalog. The changes come lowered from a front end
//! ([`dbarch_sql::change`]); here names are resolved against what exists and the model is updated.

use dbarch_sql::Statement;
use dbarch_sql::change::{self as ch, Lowered, ObjName, SchemaChange};

use std::sync::Arc;

use crate::model::*;

mod comment;
mod drop;
mod function;
mod grant;
mod index;
mod rename;
mod table;

/// The statement a change came from: its kind and span, for origins and for what is not modelled.
struct Ctx<'a> {
    kind: &'a str,
    whole: Span,
}

impl Ctx<'_> {
    fn whole(&self) -> Origin {
        Origin(Some(self.whole))
    }
}

use dbarch_sql::Span;

impl Catalog {
    /// Replay one statement: lower it ([`dbarch_sql::change::lower`]) and apply its changes.
    pub fn replay(&mut self, stmt: &Statement) {
        self.apply(&ch::lower(stmt));
    }

    /// Apply one statement's changes. Changes the model does not cover, and statements that do not change
    /// the schema, are recorded in [`Catalog::unsupported`] and otherwise ignored.
    pub fn apply(&mut self, lowered: &Lowered) {
        let cx = Ctx {
            kind: lowered.kind,
            whole: lowered.span,
        };
        for change in &lowered.changes {
            self.apply_change(change, &cx);
        }
    }

    /// Apply changes that come from no statement (a plan, `diff`'s output).
    pub fn apply_changes(&mut self, changes: &[SchemaChange]) {
        let cx = Ctx {
            kind: "SchemaChange",
            whole: Span::default(),
        };
        for change in changes {
            self.apply_change(change, &cx);
        }
    }

    fn note(&mut self, cx: &Ctx, reason: impl Into<String>) {
        self.unsupported.push(Unsupported {
            kind: cx.kind.to_string(),
            reason: reason.into(),
            origin: cx.whole(),
        });
    }

    /// The name a new object gets: its schema as written, else the creation schema.
    fn qualify(&self, name: &ObjName) -> QualifiedName {
        match &name.schema {
            Some(s) => QualifiedName::new(s.clone(), name.name.clone()),
            None => QualifiedName::new(self.creation_schema(), name.name.clone()),
        }
    }

    /// Resolve a relation named in a statement through the search path (falls back to the creation schema).
    pub fn resolve(&self, name: &ObjName) -> QualifiedName {
        match &name.schema {
            Some(s) => QualifiedName::new(s.clone(), name.name.clone()),
            None => self.resolve_name(std::slice::from_ref(&name.name)),
        }
    }

    /// Resolve a dotted name (`[schema.]name`) of a relation through the search path.
    pub fn resolve_name(&self, parts: &[String]) -> QualifiedName {
        match parts {
            [.., s, n] => QualifiedName::new(s.clone(), n.clone()),
            [n] => {
                for s in &self.search_path {
                    let q = QualifiedName::new(s.clone(), n.clone());
                    if self.tables.contains_key(&q)
                        || self.views.contains_key(&q)
                        || self.indexes.contains_key(&q)
                        || self.sequences.contains_key(&q)
                        || self.types.contains_key(&q)
                    {
                        return q;
                    }
                }
                QualifiedName::new(self.creation_schema(), n.clone())
            }
            [] => QualifiedName::new(self.creation_schema(), String::new()),
        }
    }

    fn apply_change(&mut self, change: &SchemaChange, cx: &Ctx) {
        match change {
            SchemaChange::CreateTable(s) => self.create_table(s, cx),
            SchemaChange::CreateTableAs {
                name,
                at,
                columns,
                columns_known,
            } => self.create_table_as(name, *at, columns, *columns_known, cx),
            SchemaChange::AlterTable {
                name,
                kind,
                if_exists,
                commands,
            } => self.alter_table(name, *kind, *if_exists, commands, cx),
            SchemaChange::SetSchema { table, schema } => {
                let old = self.resolve(table);
                let new = QualifiedName::new(schema.clone(), old.name.clone());
                self.rename_table(&old, new);
            }
            SchemaChange::CreateIndex(s) => self.create_index(s, cx),
            SchemaChange::Drop(s) => self.drop(s, cx),
            SchemaChange::Rename(s) => self.rename(s, cx),
            SchemaChange::CreateView {
                name,
                at,
                materialized,
                or_replace: _,
                query,
                reads,
            } => {
                let name = self.qualify(name);
                let depends_on = self.resolve_each(reads);
                let scope = self.scope_of(&depends_on);
                self.views.insert(
                    name.clone(),
                    Arc::new(View {
                        name,
                        materialized: *materialized,
                        query: query.clone(),
                        depends_on,
                        origin: Origin(Some(*at)),
                        scope,
                    }),
                );
            }
            SchemaChange::CreateSequence { name, at, options } => {
                let name = self.qualify(name);
                let mut seq = Sequence {
                    name: name.clone(),
                    data_type: None,
                    owned_by: None,
                    origin: Origin(Some(*at)),
                };
                self.sequence_options(&mut seq, options);
                self.sequences.insert(name, Arc::new(seq));
            }
            SchemaChange::AlterSequence { name, options } => {
                let name = self.resolve(name);
                let Some(mut seq) = self.sequences.remove(&name) else {
                    return self.note(cx, format!("ALTER SEQUENCE on unknown sequence {name}"));
                };
                self.sequence_options(Arc::make_mut(&mut seq), options);
                self.sequences.insert(name, seq);
            }
            SchemaChange::CreateEnum { name, values } => {
                let name = self.qualify(name);
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Enum {
                            values: values.clone(),
                        },
                        origin: cx.whole(),
                    },
                );
            }
            SchemaChange::AlterEnum {
                name,
                old_value,
                value,
                neighbor,
                after,
            } => {
                let name = self.qualify(name);
                if let Some(UserType {
                    kind: TypeKind::Enum { values },
                    ..
                }) = self.types.get_mut(&name)
                {
                    if let Some(old) = old_value {
                        for v in values.iter_mut().filter(|v| *v == old) {
                            *v = value.clone();
                        }
                    } else if !values.contains(value) {
                        match values.iter().position(|v| v == neighbor) {
                            Some(p) if *after => values.insert(p + 1, value.clone()),
                            Some(p) => values.insert(p, value.clone()),
                            None => values.push(value.clone()),
                        }
                    }
                } else {
                    self.note(cx, format!("ALTER TYPE on unknown enum {name}"));
                }
            }
            SchemaChange::CreateDomain {
                name,
                base,
                not_null,
                checks,
            } => {
                let name = self.qualify(name);
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Domain {
                            base: base.clone().unwrap_or_else(|| DataType::simple("unknown")),
                            not_null: *not_null,
                            checks: checks.clone(),
                        },
                        origin: cx.whole(),
                    },
                );
            }
            SchemaChange::CreateCompositeType { name, attributes } => {
                let name = self.qualify(name);
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Composite {
                            attributes: attributes.clone(),
                        },
                        origin: cx.whole(),
                    },
                );
            }
            SchemaChange::CreatePolicy {
                table,
                name,
                command,
                permissive,
                roles,
                using,
                with_check,
            } => {
                let table = self.resolve(table);
                let policy = Policy {
                    name: name.clone(),
                    command: command.clone(),
                    permissive: *permissive,
                    roles: roles.clone(),
                    using: using.clone(),
                    with_check: with_check.clone(),
                    origin: cx.whole(),
                };
                match self.tables.get_mut(&table).map(Arc::make_mut) {
                    Some(t) => t.policies.push(policy),
                    None => self.note(cx, format!("policy on unknown table {table}")),
                }
            }
            SchemaChange::AlterPolicy {
                table,
                name,
                roles,
                using,
                with_check,
            } => {
                let table = self.resolve(table);
                if let Some(p) = self
                    .tables
                    .get_mut(&table)
                    .map(Arc::make_mut)
                    .and_then(|t| t.policies.iter_mut().find(|p| &p.name == name))
                {
                    if let Some(r) = roles {
                        p.roles = r.clone();
                    }
                    if let Some(q) = using {
                        p.using = Some(q.clone());
                    }
                    if let Some(q) = with_check {
                        p.with_check = Some(q.clone());
                    }
                }
            }
            SchemaChange::CreateRole {
                name,
                user,
                options,
            } => {
                let mut role = Role {
                    name: name.clone(),
                    login: *user,
                    superuser: false,
                    bypass_rls: false,
                    has_password: false,
                    member_of: vec![],
                    origin: cx.whole(),
                };
                grant::role_options(&mut role, options);
                self.roles.insert(role.name.clone(), role);
            }
            SchemaChange::AlterRole { name, options } => {
                if let Some(role) = self.roles.get_mut(name) {
                    grant::role_options(role, options);
                }
            }
            SchemaChange::Grant(g) => self.grant(g, cx),
            SchemaChange::GrantRole {
                grant,
                roles,
                grantees,
            } => {
                for g in grantees {
                    if let Some(role) = self.roles.get_mut(g) {
                        if *grant {
                            role.member_of.extend(roles.iter().cloned());
                        } else {
                            role.member_of.retain(|r| !roles.contains(r));
                        }
                    }
                }
            }
            SchemaChange::CreateTrigger {
                table,
                name,
                function,
                timing,
                events,
                update_of,
                for_each_row,
                when,
                args,
            } => {
                let table = self.resolve(table);
                let function = self.qualify(function);
                self.triggers.insert(
                    (table.clone(), name.clone()),
                    Trigger {
                        name: name.clone(),
                        table,
                        function,
                        timing: timing.to_string(),
                        events: events.iter().map(|e| e.to_string()).collect(),
                        update_of: update_of.clone(),
                        for_each_row: *for_each_row,
                        when: when.clone(),
                        args: args.clone(),
                        origin: cx.whole(),
                    },
                );
            }
            SchemaChange::CreateFunction(f) => self.create_function(f, cx),
            SchemaChange::AlterFunction {
                function,
                security_definer,
                volatility,
                search_path,
                ..
            } => {
                let name = self.qualify(&ObjName::from_parts(&function.name));
                for f in self.functions.iter_mut().filter(|f| {
                    f.name == name && function.args.as_ref().is_none_or(|a| *a == f.arg_types)
                }) {
                    let f = Arc::make_mut(f);
                    if let Some(s) = security_definer {
                        f.security_definer = *s;
                    }
                    if let Some(v) = volatility {
                        f.volatility = v.clone();
                    }
                    if let Some(p) = search_path {
                        f.search_path = p.clone();
                    }
                    // The defining statement no longer says what the function is.
                    f.definition = Default::default();
                }
            }
            SchemaChange::Comment { on, text } => self.comment(on, text),
            SchemaChange::SetSearchPath(path) => {
                self.search_path = path.clone().unwrap_or_else(|| vec!["public".to_string()]);
            }
            SchemaChange::CreateSchema { name, elements } => {
                self.schemas.entry(name.clone()).or_insert(cx.whole());
                // Elements of CREATE SCHEMA ... CREATE TABLE ... go into the new schema.
                let saved = std::mem::replace(&mut self.search_path, vec![name.clone()]);
                for e in elements {
                    self.apply_change(e, cx);
                }
                self.search_path = saved;
            }
            SchemaChange::CreateExtension { name, schema } => {
                self.extensions.insert(
                    name.clone(),
                    Extension {
                        name: name.clone(),
                        schema: schema.clone(),
                        origin: cx.whole(),
                    },
                );
            }
            SchemaChange::Maintain(_) | SchemaChange::NoEffect | SchemaChange::WriteRows(_) => {
                self.note(cx, "no schema effect")
            }
            SchemaChange::Transaction(_) | SchemaChange::SetSetting { .. } => {}
            SchemaChange::AlterDomain { .. } => self.note(cx, "ALTER DOMAIN is not modelled"),
            SchemaChange::Opaque { reason, .. } => self.note(cx, reason.clone()),
        }
    }

    /// The columns of the tables a new view reads, as they are now.
    fn scope_of(&self, relations: &[QualifiedName]) -> ViewScope {
        ViewScope {
            relations: Arc::new(
                relations
                    .iter()
                    .filter_map(|r| {
                        let t = self.tables.get(r)?;
                        Some(ScopeRelation {
                            now: r.clone(),
                            then: r.clone(),
                            columns: t
                                .columns
                                .iter()
                                .map(|c| (c.name.clone(), c.name.clone()))
                                .collect(),
                        })
                    })
                    .collect(),
            ),
            reads: Arc::default(),
            expanded: Arc::default(),
            bound: Arc::default(),
        }
    }

    /// The relations named, resolved, each once, in order.
    fn resolve_each(&self, relations: &[ObjName]) -> Vec<QualifiedName> {
        let mut out: Vec<QualifiedName> = vec![];
        for rv in relations {
            let name = self.resolve(rv);
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }
}
