//! Replaying PostgreSQL DDL into the catalog.

use dbarch_sql::ast::{self, AlterTableType as At, ConstrType, ObjectType as Ot};
use dbarch_sql::expr::{const_text, deparse_expr, string_value};
use dbarch_sql::{NodeEnum, Statement};

use std::sync::Arc;

use crate::model::*;
use crate::types::data_type;

mod comment;
mod drop;
mod function;
mod grant;
mod index;
mod rename;
mod table;

use comment::*;
use grant::*;

fn at(v: i32) -> At {
    At::try_from(v).unwrap_or(At::Undefined)
}

fn ot(v: i32) -> Ot {
    Ot::try_from(v).unwrap_or(Ot::Undefined)
}

fn strings(nodes: &[ast::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(string_value)
        .map(str::to_string)
        .collect()
}

/// Column names from a list of IndexElem / String nodes.
fn elem_names(nodes: &[ast::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::String(s) => Some(s.sval.clone()),
            NodeEnum::IndexElem(e) if !e.name.is_empty() => Some(e.name.clone()),
            NodeEnum::IndexElem(e) => e.expr.as_ref().map(|x| deparse_expr(x)),
            _ => None,
        })
        .collect()
}

struct Ctx<'a> {
    stmt: &'a Statement,
}

impl Ctx<'_> {
    fn origin(&self, location: i32) -> Origin {
        Origin(Some(self.stmt.ident_span_at(location)))
    }
    fn whole(&self) -> Origin {
        Origin(Some(self.stmt.span))
    }
}

impl Catalog {
    /// Apply one statement. Statements that do not change the schema, or that the model does not cover,
    /// are recorded in [`Catalog::unsupported`] and otherwise ignored.
    pub fn apply(&mut self, stmt: &Statement) {
        let cx = Ctx { stmt };
        self.apply_node(&stmt.node, &cx);
    }

    fn note(&mut self, cx: &Ctx, reason: impl Into<String>) {
        self.unsupported.push(Unsupported {
            kind: cx.stmt.kind().to_string(),
            reason: reason.into(),
            origin: cx.whole(),
        });
    }

    fn qualify(&self, rv: &ast::RangeVar) -> QualifiedName {
        if !rv.schemaname.is_empty() {
            return QualifiedName::new(rv.schemaname.clone(), rv.relname.clone());
        }
        QualifiedName::new(self.creation_schema(), rv.relname.clone())
    }

    /// Resolve a relation named in a statement through the search path (falls back to the creation schema).
    pub fn resolve(&self, rv: &ast::RangeVar) -> QualifiedName {
        if !rv.schemaname.is_empty() {
            return QualifiedName::new(rv.schemaname.clone(), rv.relname.clone());
        }
        self.resolve_name(std::slice::from_ref(&rv.relname))
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

    fn apply_node(&mut self, node: &NodeEnum, cx: &Ctx) {
        match node {
            NodeEnum::CreateStmt(s) => self.create_table(s, cx),
            NodeEnum::AlterTableStmt(s) => self.alter_table(s, cx),
            NodeEnum::IndexStmt(s) => self.create_index(s, cx),
            NodeEnum::DropStmt(s) => self.drop(s, cx),
            NodeEnum::RenameStmt(s) => self.rename(s, cx),
            NodeEnum::ViewStmt(s) => {
                let Some(rv) = &s.view else { return };
                let name = self.qualify(rv);
                let query = ViewQuery::new(&cx.stmt.sql);
                let depends_on = match (&s.query, &cx.stmt.outline) {
                    (Some(q), _) => self.relations_in(q),
                    (None, Some(outline)) => self.resolve_each(outline.reads.iter()),
                    (None, None) => vec![],
                };
                let scope = self.scope_of(&depends_on);
                self.views.insert(
                    name.clone(),
                    Arc::new(View {
                        name,
                        materialized: false,
                        query,
                        depends_on,
                        origin: cx.origin(rv.location),
                        scope,
                    }),
                );
            }
            NodeEnum::CreateTableAsStmt(s) => self.create_table_as(s, cx),
            NodeEnum::CreateSeqStmt(s) => {
                let Some(rv) = &s.sequence else { return };
                let name = self.qualify(rv);
                let mut seq = Sequence {
                    name: name.clone(),
                    data_type: None,
                    owned_by: None,
                    origin: cx.origin(rv.location),
                };
                self.sequence_options(&mut seq, &s.options);
                self.sequences.insert(name, Arc::new(seq));
            }
            NodeEnum::AlterSeqStmt(s) => {
                let Some(rv) = &s.sequence else { return };
                let name = self.resolve(rv);
                let Some(mut seq) = self.sequences.remove(&name) else {
                    return self.note(cx, format!("ALTER SEQUENCE on unknown sequence {name}"));
                };
                self.sequence_options(Arc::make_mut(&mut seq), &s.options);
                self.sequences.insert(name, seq);
            }
            NodeEnum::CreateEnumStmt(s) => {
                let name = self.resolve_type_name(&strings(&s.type_name));
                let values = s
                    .vals
                    .iter()
                    .filter_map(string_value)
                    .map(str::to_string)
                    .collect();
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Enum { values },
                        origin: cx.whole(),
                    },
                );
            }
            NodeEnum::AlterEnumStmt(s) => {
                let name = self.resolve_type_name(&strings(&s.type_name));
                if let Some(UserType {
                    kind: TypeKind::Enum { values },
                    ..
                }) = self.types.get_mut(&name)
                {
                    if !s.old_val.is_empty() {
                        for v in values.iter_mut().filter(|v| **v == s.old_val) {
                            *v = s.new_val.clone();
                        }
                    } else if !values.contains(&s.new_val) {
                        match values.iter().position(|v| *v == s.new_val_neighbor) {
                            Some(p) if s.new_val_is_after => {
                                values.insert(p + 1, s.new_val.clone())
                            }
                            Some(p) => values.insert(p, s.new_val.clone()),
                            None => values.push(s.new_val.clone()),
                        }
                    }
                } else {
                    self.note(cx, format!("ALTER TYPE on unknown enum {name}"));
                }
            }
            NodeEnum::CreateDomainStmt(s) => {
                let name = self.resolve_type_name(&strings(&s.domainname));
                let base = s
                    .type_name
                    .as_ref()
                    .map(|t| data_type(t).0)
                    .unwrap_or_else(|| DataType::simple("unknown"));
                let mut not_null = false;
                let mut checks = vec![];
                for c in s.constraints.iter().filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::Constraint(c)) => Some(c),
                    _ => None,
                }) {
                    if c.contype == ConstrType::ConstrNotnull as i32 {
                        not_null = true;
                    } else if c.contype == ConstrType::ConstrCheck as i32 {
                        checks.push(
                            c.raw_expr
                                .as_ref()
                                .map(|e| deparse_expr(e))
                                .unwrap_or_default(),
                        );
                    }
                }
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Domain {
                            base,
                            not_null,
                            checks,
                        },
                        origin: cx.whole(),
                    },
                );
            }
            NodeEnum::CompositeTypeStmt(s) => {
                let Some(rv) = &s.typevar else { return };
                let name = self.qualify(rv);
                let attributes = s
                    .coldeflist
                    .iter()
                    .filter_map(|n| match n.node.as_ref() {
                        Some(NodeEnum::ColumnDef(d)) => Some((
                            d.colname.clone(),
                            d.type_name.as_ref().map(|t| data_type(t).0)?,
                        )),
                        _ => None,
                    })
                    .collect();
                self.types.insert(
                    name.clone(),
                    UserType {
                        name,
                        kind: TypeKind::Composite { attributes },
                        origin: cx.whole(),
                    },
                );
            }
            NodeEnum::CreatePolicyStmt(s) => {
                let Some(rv) = &s.table else { return };
                let table = self.resolve(rv);
                let policy = Policy {
                    name: s.policy_name.clone(),
                    command: s.cmd_name.to_ascii_uppercase(),
                    permissive: s.permissive,
                    roles: s.roles.iter().filter_map(role_name).collect(),
                    using: s.qual.as_ref().map(|e| deparse_expr(e)),
                    with_check: s.with_check.as_ref().map(|e| deparse_expr(e)),
                    origin: cx.whole(),
                };
                match self.tables.get_mut(&table).map(Arc::make_mut) {
                    Some(t) => t.policies.push(policy),
                    None => self.note(cx, format!("policy on unknown table {table}")),
                }
            }
            NodeEnum::AlterPolicyStmt(s) => {
                let Some(rv) = &s.table else { return };
                let table = self.resolve(rv);
                if let Some(p) = self
                    .tables
                    .get_mut(&table)
                    .map(Arc::make_mut)
                    .and_then(|t| t.policies.iter_mut().find(|p| p.name == s.policy_name))
                {
                    if !s.roles.is_empty() {
                        p.roles = s.roles.iter().filter_map(role_name).collect();
                    }
                    if let Some(q) = &s.qual {
                        p.using = Some(deparse_expr(q));
                    }
                    if let Some(q) = &s.with_check {
                        p.with_check = Some(deparse_expr(q));
                    }
                }
            }
            NodeEnum::CreateRoleStmt(s) => {
                let mut role = Role {
                    name: s.role.clone(),
                    login: s.stmt_type == ast::RoleStmtType::RolestmtUser as i32,
                    superuser: false,
                    bypass_rls: false,
                    has_password: false,
                    member_of: vec![],
                    origin: cx.whole(),
                };
                role_options(&mut role, &s.options);
                self.roles.insert(role.name.clone(), role);
            }
            NodeEnum::AlterRoleStmt(s) => {
                let Some(name) = s.role.as_ref().map(|r| r.rolename.clone()) else {
                    return;
                };
                if let Some(role) = self.roles.get_mut(&name) {
                    role_options(role, &s.options);
                }
            }
            NodeEnum::GrantStmt(s) => self.grant(s, cx),
            NodeEnum::GrantRoleStmt(s) => {
                let granted: Vec<String> = s
                    .granted_roles
                    .iter()
                    .filter_map(|n| match n.node.as_ref() {
                        Some(NodeEnum::AccessPriv(p)) => Some(p.priv_name.clone()),
                        _ => None,
                    })
                    .collect();
                for g in s.grantee_roles.iter().filter_map(role_name) {
                    if let Some(role) = self.roles.get_mut(&g) {
                        if s.is_grant {
                            role.member_of.extend(granted.iter().cloned());
                        } else {
                            role.member_of.retain(|r| !granted.contains(r));
                        }
                    }
                }
            }
            NodeEnum::CreateTrigStmt(s) => {
                let Some(rv) = &s.relation else { return };
                let table = self.resolve(rv);
                let function = self.resolve_function_name(&strings(&s.funcname));
                let timing = if s.timing & 2 != 0 {
                    "BEFORE"
                } else if s.timing & 64 != 0 {
                    "INSTEAD OF"
                } else {
                    "AFTER"
                };
                let mut events = vec![];
                for (bit, ev) in [
                    (4, "INSERT"),
                    (8, "DELETE"),
                    (16, "UPDATE"),
                    (32, "TRUNCATE"),
                ] {
                    if s.events & bit != 0 {
                        events.push(ev.to_string());
                    }
                }
                self.triggers.insert(
                    (table.clone(), s.trigname.clone()),
                    Trigger {
                        name: s.trigname.clone(),
                        table,
                        function,
                        timing: timing.to_string(),
                        events,
                        for_each_row: s.row,
                        origin: cx.whole(),
                    },
                );
            }
            NodeEnum::CreateFunctionStmt(s) => self.create_function(s, cx),
            NodeEnum::CommentStmt(s) => self.comment(s, cx),
            NodeEnum::VariableSetStmt(s) => {
                if s.name.eq_ignore_ascii_case("search_path") {
                    if s.kind == ast::VariableSetKind::VarSetValue as i32 {
                        let path: Vec<String> = s.args.iter().filter_map(const_text).collect();
                        if !path.is_empty() {
                            self.search_path = path;
                        }
                    } else {
                        self.search_path = vec!["public".to_string()];
                    }
                }
            }
            NodeEnum::CreateSchemaStmt(s) => {
                let name = if s.schemaname.is_empty() {
                    s.authrole
                        .as_ref()
                        .map(|r| r.rolename.clone())
                        .unwrap_or_default()
                } else {
                    s.schemaname.clone()
                };
                self.schemas.entry(name.clone()).or_insert(cx.whole());
                // Elements of CREATE SCHEMA ... CREATE TABLE ... go into the new schema.
                let saved = std::mem::replace(&mut self.search_path, vec![name]);
                for e in &s.schema_elts {
                    if let Some(n) = &e.node {
                        self.apply_node(n, cx);
                    }
                }
                self.search_path = saved;
            }
            NodeEnum::CreateExtensionStmt(s) => {
                let schema = s.options.iter().find_map(|o| match o.node.as_ref() {
                    Some(NodeEnum::DefElem(d)) if d.defname == "schema" => {
                        d.arg.as_ref().and_then(|a| const_text(a))
                    }
                    _ => None,
                });
                self.extensions.insert(
                    s.extname.clone(),
                    Extension {
                        name: s.extname.clone(),
                        schema,
                        origin: cx.whole(),
                    },
                );
            }
            NodeEnum::AlterObjectSchemaStmt(s) => {
                if matches!(ot(s.object_type), Ot::ObjectTable) {
                    if let Some(rv) = &s.relation {
                        let old = self.resolve(rv);
                        let new = QualifiedName::new(s.newschema.clone(), old.name.clone());
                        self.rename_table(&old, new);
                    }
                } else {
                    self.note(cx, "SET SCHEMA of this kind of object is not modelled");
                }
            }
            NodeEnum::AlterOwnerStmt(_) => {}
            NodeEnum::TransactionStmt(_) | NodeEnum::VariableShowStmt(_) => {}
            NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::CopyStmt(_)
            | NodeEnum::DoStmt(_)
            | NodeEnum::VacuumStmt(_)
            | NodeEnum::ClusterStmt(_)
            | NodeEnum::ReindexStmt(_)
            | NodeEnum::TruncateStmt(_)
            | NodeEnum::LockStmt(_)
            | NodeEnum::RefreshMatViewStmt(_) => self.note(cx, "no schema effect"),
            other => {
                let kind = dbarch_sql::postgres::node_kind(other);
                self.note(cx, format!("{kind} is not modelled"));
            }
        }
    }

    fn resolve_type_name(&self, parts: &[String]) -> QualifiedName {
        match parts {
            [.., s, n] => QualifiedName::new(s.clone(), n.clone()),
            [n] => QualifiedName::new(self.creation_schema(), n.clone()),
            [] => QualifiedName::new(self.creation_schema(), String::new()),
        }
    }

    fn resolve_function_name(&self, parts: &[String]) -> QualifiedName {
        self.resolve_type_name(parts)
    }

    /// Tables and views a query reads.
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
        }
    }

    /// The relations a query reads (a CTE's name is not one).
    fn relations_in(&self, q: &ast::Node) -> Vec<QualifiedName> {
        let Some(n) = q.node.as_ref() else {
            return vec![];
        };
        let nodes = n.nodes();
        let ctes: Vec<&str> = nodes
            .iter()
            .filter_map(|(r, ..)| match r {
                pg_query::NodeRef::CommonTableExpr(c) => Some(c.ctename.as_str()),
                _ => None,
            })
            .collect();
        self.resolve_each(nodes.iter().filter_map(|(r, ..)| match r {
            pg_query::NodeRef::RangeVar(rv)
                if !(rv.schemaname.is_empty() && ctes.contains(&rv.relname.as_str())) =>
            {
                Some(*rv)
            }
            _ => None,
        }))
    }

    /// The relations named, resolved, each once, in order.
    fn resolve_each<'a>(
        &self,
        relations: impl Iterator<Item = &'a ast::RangeVar>,
    ) -> Vec<QualifiedName> {
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
