//! Replaying PostgreSQL DDL into the catalog.

use dbarch_sql::ast::{self, AlterTableType as At, ConstrType, ObjectType as Ot};
use dbarch_sql::expr::{
    column_refs, const_text, deparse_expr, deparse_stmt, name_list, string_value,
};
use dbarch_sql::{NodeEnum, Statement};

use std::sync::Arc;

use crate::model::*;
use crate::names::default_name;
use crate::types::data_type;

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

    /// Views follow a relation they read when it is renamed (PostgreSQL keeps them bound to it).
    fn relation_renamed(&mut self, old: &QualifiedName, new: &QualifiedName) {
        for v in self
            .views
            .values_mut()
            .filter(|v| v.depends_on.contains(old))
        {
            let v = Arc::make_mut(v);
            for d in v.depends_on.iter_mut().filter(|d| *d == old) {
                *d = new.clone();
            }
            let scope = Arc::make_mut(&mut v.scope.relations);
            for r in scope.iter_mut().filter(|r| &r.now == old) {
                r.now = new.clone();
            }
        }
    }

    /// Views follow a column they read when it is renamed.
    fn column_renamed(&mut self, table: &QualifiedName, old: &str, new: &str) {
        for v in self
            .views
            .values_mut()
            .filter(|v| v.depends_on.contains(table))
        {
            let v = Arc::make_mut(v);
            let scope = Arc::make_mut(&mut v.scope.relations);
            for r in scope.iter_mut().filter(|r| &r.now == table) {
                for c in r.columns.iter_mut().filter(|c| c.0 == old) {
                    c.0 = new.to_string();
                }
            }
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

    fn sequence_options(&self, seq: &mut Sequence, options: &[ast::Node]) {
        for o in options {
            let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                continue;
            };
            match d.defname.as_str() {
                "as" => {
                    if let Some(NodeEnum::TypeName(t)) =
                        d.arg.as_ref().and_then(|a| a.node.as_ref())
                    {
                        seq.data_type = Some(data_type(t).0);
                    }
                }
                "owned_by" => {
                    if let Some(NodeEnum::List(l)) = d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                        let parts = strings(&l.items);
                        if let Some((col, table)) = parts.split_last() {
                            if !table.is_empty() {
                                seq.owned_by = Some((self.resolve_name(table), col.clone()));
                            } else {
                                seq.owned_by = None;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn create_table(&mut self, s: &ast::CreateStmt, cx: &Ctx) {
        let Some(rv) = &s.relation else { return };
        let name = self.qualify(rv);
        if s.if_not_exists && self.tables.contains_key(&name) {
            return;
        }
        let mut t = Table::new(name.clone());
        t.origin = cx.origin(rv.location);
        t.unlogged = rv.relpersistence == "u";
        t.temporary = rv.relpersistence == "t";
        t.inherits = s
            .inh_relations
            .iter()
            .filter_map(|n| match n.node.as_ref() {
                Some(NodeEnum::RangeVar(r)) => Some(self.resolve(r)),
                _ => None,
            })
            .collect();
        if let Some(ps) = &s.partspec {
            let strategy = match ps.strategy {
                x if x == ast::PartitionStrategy::List as i32 => PartitionStrategy::List,
                x if x == ast::PartitionStrategy::Hash as i32 => PartitionStrategy::Hash,
                _ => PartitionStrategy::Range,
            };
            let keys = ps
                .part_params
                .iter()
                .filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::PartitionElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                    Some(NodeEnum::PartitionElem(e)) => e.expr.as_ref().map(|x| deparse_expr(x)),
                    _ => None,
                })
                .collect();
            t.partition_by = Some(PartitionSpec { strategy, keys });
        }
        // Partitions and inheritance children start with the parent's columns.
        let mut parents = t.inherits.clone();
        if s.partbound.is_some() {
            if let Some(parent) = parents.first().cloned() {
                let bound = partition_bound_text(s.partbound.as_ref());
                t.partition_of = Some(PartitionOf { parent, bound });
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
        if let Some(of) = &s.of_typename {
            let tn = self.resolve_type_name(&strings(&of.names));
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
        for e in &s.table_elts {
            match e.node.as_ref() {
                Some(NodeEnum::ColumnDef(d)) => {
                    if let Some(existing) = before
                        .contains(&d.colname)
                        .then(|| t.columns.iter().position(|c| c.name == d.colname))
                        .flatten()
                    {
                        // A partition's column options (WITH OPTIONS ...) refine the inherited column.
                        let col = &mut t.columns[existing];
                        if d.is_not_null {
                            col.not_null = true;
                        }
                        let table_name = name.clone();
                        column_constraints(&table_name, d, self, &mut t, cx);
                        continue;
                    }
                    self.add_column(&mut t, d, cx, &mut pending_seqs);
                }
                Some(NodeEnum::Constraint(c)) => {
                    if let Some(con) = self.constraint(&name, &mut t, c, &[], cx) {
                        push_constraint(&mut t, con);
                    }
                }
                Some(NodeEnum::TableLikeClause(l)) => {
                    if let Some(src) = l
                        .relation
                        .as_ref()
                        .map(|r| self.resolve(r))
                        .and_then(|n| self.tables.get(&n))
                    {
                        for c in &src.columns {
                            let mut c = c.clone();
                            c.origin = cx.whole();
                            t.columns.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
        for c in &s.constraints {
            if let Some(NodeEnum::Constraint(c)) = c.node.as_ref()
                && let Some(con) = self.constraint(&name, &mut t, c, &[], cx)
            {
                push_constraint(&mut t, con);
            }
        }
        self.tables.insert(name, Arc::new(t));
        for seq in pending_seqs {
            self.sequences.insert(seq.name.clone(), Arc::new(seq));
        }
    }

    fn add_column(
        &mut self,
        t: &mut Table,
        d: &ast::ColumnDef,
        cx: &Ctx,
        pending: &mut Vec<Sequence>,
    ) {
        let (dt, serial) = d
            .type_name
            .as_ref()
            .map(data_type)
            .unwrap_or_else(|| (DataType::simple("unknown"), false));
        let mut col = Column::new(d.colname.clone(), dt);
        col.origin = cx.origin(d.location);
        col.not_null = d.is_not_null;
        if let Some(def) = &d.raw_default {
            col.default = Some(deparse_expr(def));
        }
        if let Some(cc) = &d.coll_clause {
            col.collation = Some(strings(&cc.collname).join("."));
        }
        if serial {
            col.serial = true;
            col.not_null = true;
            let seq_name = QualifiedName::new(
                t.name.schema.clone(),
                default_name(&t.name.name, std::slice::from_ref(&d.colname), "seq"),
            );
            col.default = Some(format!("nextval('{}'::regclass)", seq_name.name));
            pending.push(Sequence {
                name: seq_name,
                data_type: Some(col.data_type.clone()),
                owned_by: Some((t.name.clone(), d.colname.clone())),
                origin: col.origin,
            });
        }
        t.columns.push(col);
        let tn = t.name.clone();
        column_constraints(&tn, d, self, t, cx);
    }

    fn constraint(
        &self,
        table: &QualifiedName,
        t: &mut Table,
        c: &ast::Constraint,
        col: &[String],
        cx: &Ctx,
    ) -> Option<Constraint> {
        let ct = ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined);
        let keys = |nodes: &[ast::Node]| {
            if nodes.is_empty() {
                col.to_vec()
            } else {
                elem_names(nodes)
            }
        };
        let (kind, suffix, name_cols) = match ct {
            ConstrType::ConstrPrimary => {
                let mut columns = keys(&c.keys);
                if !c.indexname.is_empty() {
                    columns = self.index_columns(table, &c.indexname);
                }
                for k in &columns {
                    if let Some(cc) = t.column_mut(k) {
                        cc.not_null = true;
                    }
                }
                (
                    ConstraintKind::PrimaryKey {
                        columns,
                        include: elem_names(&c.including),
                    },
                    "pkey",
                    vec![],
                )
            }
            ConstrType::ConstrUnique => {
                let mut columns = keys(&c.keys);
                if !c.indexname.is_empty() {
                    columns = self.index_columns(table, &c.indexname);
                }
                let nc = columns.clone();
                (
                    ConstraintKind::Unique {
                        columns,
                        include: elem_names(&c.including),
                        nulls_not_distinct: c.nulls_not_distinct,
                    },
                    "key",
                    nc,
                )
            }
            ConstrType::ConstrCheck => {
                let expr = c
                    .raw_expr
                    .as_ref()
                    .map(|e| deparse_expr(e))
                    .unwrap_or_default();
                let columns = c
                    .raw_expr
                    .as_ref()
                    .map(|e| column_refs(e))
                    .unwrap_or_default();
                let nc = if col.is_empty() {
                    columns.first().cloned().into_iter().collect()
                } else {
                    col.to_vec()
                };
                (ConstraintKind::Check { expr, columns }, "check", nc)
            }
            ConstrType::ConstrForeign => {
                let columns = if c.fk_attrs.is_empty() {
                    col.to_vec()
                } else {
                    strings(&c.fk_attrs)
                };
                let ref_table = c
                    .pktable
                    .as_ref()
                    .map(|r| self.resolve(r))
                    .unwrap_or_else(|| table.clone());
                let nc = columns.clone();
                let fk = ForeignKey {
                    columns,
                    ref_table,
                    ref_columns: strings(&c.pk_attrs),
                    on_delete: ReferentialAction::from_code(&c.fk_del_action),
                    on_update: ReferentialAction::from_code(&c.fk_upd_action),
                    match_full: c.fk_matchtype == "f",
                };
                (ConstraintKind::ForeignKey(fk), "fkey", nc)
            }
            ConstrType::ConstrExclusion => {
                let elements =
                    c.exclusions
                        .iter()
                        .filter_map(|n| match n.node.as_ref() {
                            Some(NodeEnum::List(l)) => l.items.first().and_then(|e| {
                                elem_names(std::slice::from_ref(e)).into_iter().next()
                            }),
                            _ => None,
                        })
                        .collect::<Vec<_>>();
                let nc = elements.clone();
                (
                    ConstraintKind::Exclude {
                        method: if c.access_method.is_empty() {
                            "btree".into()
                        } else {
                            c.access_method.clone()
                        },
                        elements,
                        predicate: c.where_clause.as_ref().map(|w| deparse_expr(w)),
                    },
                    "excl",
                    nc,
                )
            }
            // PostgreSQL 18's table-level `[CONSTRAINT name] NOT NULL col` (also in ALTER TABLE ... ADD):
            // the column becomes NOT NULL. (The constraint's name is not kept.)
            ConstrType::ConstrNotnull => {
                for k in keys(&c.keys) {
                    if let Some(cc) = t.column_mut(&k) {
                        cc.not_null = true;
                    }
                }
                return None;
            }
            _ => return None,
        };
        let name_given = !c.conname.is_empty();
        let name = if name_given {
            c.conname.clone()
        } else {
            default_name(&table.name, &name_cols, suffix)
        };
        Some(Constraint {
            name,
            name_given,
            kind,
            deferrable: c.deferrable,
            initially_deferred: c.initdeferred,
            not_valid: c.skip_validation,
            origin: cx.origin(c.location),
        })
    }

    fn index_columns(&self, table: &QualifiedName, index: &str) -> Vec<String> {
        let q = QualifiedName::new(table.schema.clone(), index.to_string());
        self.indexes
            .get(&q)
            .map(|i| i.key_columns().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    }

    fn create_table_as(&mut self, s: &ast::CreateTableAsStmt, cx: &Ctx) {
        let Some(into) = &s.into else { return };
        let Some(rv) = &into.rel else { return };
        let name = self.qualify(rv);
        let query_node = s.query.as_ref().and_then(|q| q.node.as_ref());
        if s.objtype == Ot::ObjectMatview as i32 {
            let query = ViewQuery::new(&cx.stmt.sql);
            let depends_on = s
                .query
                .as_ref()
                .map(|q| self.relations_in(q))
                .unwrap_or_default();
            let scope = self.scope_of(&depends_on);
            self.views.insert(
                name.clone(),
                Arc::new(View {
                    name,
                    materialized: true,
                    query,
                    depends_on,
                    origin: cx.origin(rv.location),
                    scope,
                }),
            );
            return;
        }
        let mut t = Table::new(name.clone());
        t.origin = cx.origin(rv.location);
        let mut cols = strings(&into.col_names);
        if cols.is_empty()
            && let Some(NodeEnum::SelectStmt(first)) = query_node
        {
            // A UNION (INTERSECT, EXCEPT) takes its column names from its first branch.
            let mut sel: &ast::SelectStmt = first;
            while sel.op != ast::SetOperation::SetopNone as i32
                && let Some(left) = sel.larg.as_deref()
            {
                sel = left;
            }
            for tl in &sel.target_list {
                if let Some(NodeEnum::ResTarget(r)) = tl.node.as_ref() {
                    if !r.name.is_empty() {
                        cols.push(r.name.clone());
                    } else if let Some(v) = &r.val
                        && !matches!(v.node.as_ref(), Some(NodeEnum::ColumnRef(c))
                            if c.fields.iter().any(|f| matches!(f.node, Some(NodeEnum::AStar(_)))))
                        && let Some(c) = column_refs(v).last()
                    {
                        cols.push(c.clone());
                    } else {
                        t.columns_known = false;
                    }
                }
            }
        }
        for c in cols {
            let mut col = Column::new(c, DataType::simple("unknown"));
            col.origin = t.origin;
            t.columns.push(col);
        }
        self.note(cx, "CREATE TABLE AS: column types are not known");
        self.tables.insert(name, Arc::new(t));
    }

    fn create_index(&mut self, s: &ast::IndexStmt, cx: &Ctx) {
        let Some(rv) = &s.relation else { return };
        let table = self.resolve(rv);
        let mut keys = vec![];
        for p in &s.index_params {
            let Some(NodeEnum::IndexElem(e)) = p.node.as_ref() else {
                continue;
            };
            let expr = if !e.name.is_empty() {
                IndexKeyExpr::Column(e.name.clone())
            } else if let Some(x) = &e.expr {
                match x.node.as_ref() {
                    Some(NodeEnum::ColumnRef(_)) => {
                        IndexKeyExpr::Column(column_refs(x).pop().unwrap_or_default())
                    }
                    _ => IndexKeyExpr::Expression {
                        sql: deparse_expr(x),
                        columns: column_refs(x),
                    },
                }
            } else {
                continue;
            };
            let opclass = {
                let o = strings(&e.opclass);
                if o.is_empty() {
                    None
                } else {
                    Some(o.join("."))
                }
            };
            let collation = {
                let c = strings(&e.collation);
                if c.is_empty() {
                    None
                } else {
                    Some(c.join("."))
                }
            };
            keys.push(IndexKey {
                expr,
                opclass,
                collation,
                descending: e.ordering == ast::SortByDir::SortbyDesc as i32,
                nulls_first: match e.nulls_ordering {
                    x if x == ast::SortByNulls::SortbyNullsFirst as i32 => Some(true),
                    x if x == ast::SortByNulls::SortbyNullsLast as i32 => Some(false),
                    _ => None,
                },
            });
        }
        let name = if s.idxname.is_empty() {
            let parts: Vec<String> = keys
                .iter()
                .map(|k| match &k.expr {
                    IndexKeyExpr::Column(c) => c.clone(),
                    IndexKeyExpr::Expression { sql, .. } => {
                        sql.split('(').next().unwrap_or("expr").trim().to_string()
                    }
                })
                .collect();
            let base = default_name(&table.name, &parts, "idx");
            // PostgreSQL takes the base, else the first free `base1`, `base2`, ...: the numbers in use
            // are read in one pass over the names that start with the base (the index map is ordered),
            // so 10,000 unnamed indexes on one column replay in well under a second.
            let mut used = vec![];
            for k in self
                .indexes
                .range(QualifiedName::new(table.schema.clone(), base.clone())..)
                .map(|(k, _)| k)
                .take_while(|k| k.schema == table.schema && k.name.starts_with(&base))
            {
                let rest = &k.name[base.len()..];
                let n = if rest.is_empty() {
                    Some(0)
                } else if rest.bytes().all(|b| b.is_ascii_digit()) && !rest.starts_with('0') {
                    rest.parse::<usize>().ok()
                } else {
                    None
                };
                // Only numbers up to the count can be the first free one.
                if let Some(n) = n.filter(|&n| n <= self.indexes.len()) {
                    if used.len() <= n {
                        used.resize(n + 1, false);
                    }
                    used[n] = true;
                }
            }
            match used.iter().position(|u| !u).unwrap_or(used.len()) {
                0 => base,
                n => format!("{base}{n}"),
            }
        } else {
            s.idxname.clone()
        };
        let qname = QualifiedName::new(table.schema.clone(), name);
        if s.if_not_exists && self.indexes.contains_key(&qname) {
            return;
        }
        if !self.tables.contains_key(&table) && !self.views.contains_key(&table) {
            self.note(cx, format!("index on unknown table {table}"));
        }
        let origin = cx.whole();
        let idx = Index {
            name: qname.clone(),
            table,
            unique: s.unique,
            primary: s.primary,
            method: if s.access_method.is_empty() {
                "btree".into()
            } else {
                s.access_method.to_ascii_lowercase()
            },
            keys,
            include: elem_names(&s.index_including_params),
            predicate: s.where_clause.as_ref().map(|w| deparse_expr(w)),
            predicate_columns: s
                .where_clause
                .as_ref()
                .map(|w| column_refs(w))
                .unwrap_or_default(),
            nulls_not_distinct: s.nulls_not_distinct,
            source: IndexSource::CreateIndex,
            origin,
        };
        self.indexes.insert(qname, Arc::new(idx));
    }

    fn alter_table(&mut self, s: &ast::AlterTableStmt, cx: &Ctx) {
        let Some(rv) = &s.relation else { return };
        let name = self.resolve(rv);
        if !self.tables.contains_key(&name) {
            if !s.missing_ok && matches!(ot(s.objtype), Ot::ObjectTable) {
                self.note(cx, format!("ALTER TABLE on unknown table {name}"));
            }
            return;
        }
        for cmd in &s.cmds {
            let Some(NodeEnum::AlterTableCmd(c)) = cmd.node.as_ref() else {
                continue;
            };
            self.alter_table_cmd(&name, c, cx);
        }
    }

    fn alter_table_cmd(&mut self, name: &QualifiedName, c: &ast::AlterTableCmd, cx: &Ctx) {
        let Some(t) = self.tables.remove(name) else {
            return;
        };
        let mut t = Arc::unwrap_or_clone(t);
        let def = c.def.as_ref().and_then(|d| d.node.as_ref());
        let mut pending = vec![];
        match at(c.subtype) {
            At::AtAddColumn => {
                if let Some(NodeEnum::ColumnDef(d)) = def
                    && !(c.missing_ok && t.column(&d.colname).is_some())
                {
                    self.add_column(&mut t, d, cx, &mut pending);
                }
            }
            At::AtColumnDefault => {
                if let Some(col) = t.column_mut(&c.name) {
                    col.default = c.def.as_ref().map(|d| deparse_expr(d));
                }
            }
            At::AtDropNotNull => {
                if let Some(col) = t.column_mut(&c.name) {
                    col.not_null = false;
                }
            }
            At::AtSetNotNull => {
                if let Some(col) = t.column_mut(&c.name) {
                    col.not_null = true;
                }
            }
            At::AtDropColumn => {
                t.columns.retain(|col| col.name != c.name);
                t.constraints.retain(|k| !constraint_uses(k, &c.name));
                self.indexes.retain(|_, i| {
                    !(&i.table == name && i.all_columns().contains(&c.name.as_str()))
                });
            }
            At::AtAddConstraint => {
                if let Some(NodeEnum::Constraint(k)) = def {
                    if !k.indexname.is_empty() {
                        // USING INDEX: the index becomes the constraint's.
                        let q = QualifiedName::new(name.schema.clone(), k.indexname.clone());
                        if let Some(con) = self.constraint(name, &mut t, k, &[], cx) {
                            self.indexes.remove(&q);
                            let mut con = con;
                            if !k.conname.is_empty() {
                                con.name = k.conname.clone();
                            } else {
                                con.name = k.indexname.clone();
                            }
                            push_constraint(&mut t, con);
                        }
                    } else if let Some(con) = self.constraint(name, &mut t, k, &[], cx) {
                        push_constraint(&mut t, con);
                    }
                }
            }
            At::AtValidateConstraint => {
                for k in t.constraints.iter_mut().filter(|k| k.name == c.name) {
                    k.not_valid = false;
                }
            }
            At::AtDropConstraint => {
                t.constraints.retain(|k| k.name != c.name);
            }
            At::AtAlterConstraint => {
                if let Some(NodeEnum::Constraint(k)) = def {
                    for con in t.constraints.iter_mut().filter(|x| x.name == k.conname) {
                        con.deferrable = k.deferrable;
                        con.initially_deferred = k.initdeferred;
                    }
                }
            }
            At::AtAlterColumnType => {
                if let Some(NodeEnum::ColumnDef(d)) = def
                    && let (Some(col), Some(tn)) = (t.column_mut(&c.name), d.type_name.as_ref())
                {
                    col.data_type = data_type(tn).0;
                }
            }
            At::AtAddIdentity => {
                if let Some(NodeEnum::Constraint(k)) = def
                    && let Some(col) = t.column_mut(&c.name)
                {
                    col.identity = Some(Identity::from_generated_when(&k.generated_when));
                    col.not_null = true;
                }
            }
            At::AtDropIdentity => {
                if let Some(col) = t.column_mut(&c.name) {
                    col.identity = None;
                }
            }
            At::AtDropExpression => {
                if let Some(col) = t.column_mut(&c.name) {
                    col.generated = None;
                }
            }
            At::AtEnableRowSecurity => t.rls_enabled = true,
            At::AtDisableRowSecurity => t.rls_enabled = false,
            At::AtForceRowSecurity => t.rls_forced = true,
            At::AtNoForceRowSecurity => t.rls_forced = false,
            At::AtSetLogged => t.unlogged = false,
            At::AtSetUnLogged => t.unlogged = true,
            At::AtChangeOwner => t.owner = c.newowner.as_ref().map(|r| r.rolename.clone()),
            At::AtAttachPartition => {
                if let Some(NodeEnum::PartitionCmd(p)) = def
                    && let Some(child) = p.name.as_ref().map(|r| self.resolve(r))
                {
                    let bound = partition_bound_text(p.bound.as_ref());
                    if let Some(ct) = self.tables.get_mut(&child).map(Arc::make_mut) {
                        ct.partition_of = Some(PartitionOf {
                            parent: name.clone(),
                            bound,
                        });
                    }
                }
            }
            At::AtDetachPartition => {
                if let Some(NodeEnum::PartitionCmd(p)) = def
                    && let Some(child) = p.name.as_ref().map(|r| self.resolve(r))
                    && let Some(ct) = self.tables.get_mut(&child).map(Arc::make_mut)
                {
                    ct.partition_of = None;
                }
            }
            At::AtAddInherit => {
                if let Some(NodeEnum::RangeVar(r)) = def {
                    t.inherits.push(self.resolve(r));
                }
            }
            At::AtDropInherit => {
                if let Some(NodeEnum::RangeVar(r)) = def {
                    let p = self.resolve(r);
                    t.inherits.retain(|x| *x != p);
                }
            }
            _ => {}
        }
        self.tables.insert(name.clone(), Arc::new(t));
        for seq in pending {
            self.sequences.insert(seq.name.clone(), Arc::new(seq));
        }
    }

    fn drop(&mut self, s: &ast::DropStmt, cx: &Ctx) {
        let cascade = s.behavior == ast::DropBehavior::DropCascade as i32;
        for obj in &s.objects {
            let parts: Vec<String> = match obj.node.as_ref() {
                Some(NodeEnum::List(l)) => strings(&l.items),
                Some(NodeEnum::String(st)) => vec![st.sval.clone()],
                Some(NodeEnum::TypeName(t)) => strings(&t.names),
                Some(NodeEnum::ObjectWithArgs(o)) => strings(&o.objname),
                _ => vec![],
            };
            if parts.is_empty() {
                continue;
            }
            match ot(s.remove_type) {
                Ot::ObjectTable | Ot::ObjectForeignTable => {
                    let name = self.resolve_name(&parts);
                    self.drop_table(&name);
                }
                Ot::ObjectIndex => {
                    let name = self.resolve_name(&parts);
                    self.indexes.remove(&name);
                }
                Ot::ObjectView | Ot::ObjectMatview => {
                    let name = self.resolve_name(&parts);
                    self.views.remove(&name);
                    self.drop_dependents(&name);
                }
                Ot::ObjectSequence => {
                    let name = self.resolve_name(&parts);
                    self.sequences.remove(&name);
                }
                Ot::ObjectType | Ot::ObjectDomain => {
                    let name = self.resolve_type_name(&parts);
                    self.types.remove(&name);
                }
                Ot::ObjectFunction | Ot::ObjectProcedure | Ot::ObjectRoutine => {
                    let name = self.resolve_function_name(&parts);
                    self.functions.retain(|f| f.name != name);
                }
                Ot::ObjectTrigger => {
                    if let Some((trig, table)) = parts.split_last() {
                        let table = self.resolve_name(table);
                        self.triggers.remove(&(table, trig.clone()));
                    }
                }
                Ot::ObjectPolicy => {
                    if let Some((pol, table)) = parts.split_last() {
                        let table = self.resolve_name(table);
                        if let Some(t) = self.tables.get_mut(&table).map(Arc::make_mut) {
                            t.policies.retain(|p| &p.name != pol);
                        }
                    }
                }
                Ot::ObjectSchema => {
                    let schema = parts[0].clone();
                    self.schemas.remove(&schema);
                    if cascade {
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
                Ot::ObjectExtension => {
                    self.extensions.remove(&parts[0]);
                }
                _ => self.note(cx, "DROP of this kind of object is not modelled"),
            }
        }
    }

    /// Views that read a dropped relation, and indexes on it, go with it (PostgreSQL requires CASCADE for
    /// dependent views; a migration that ran did say it, or had none).
    fn drop_dependents(&mut self, name: &QualifiedName) {
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

    fn drop_table(&mut self, name: &QualifiedName) {
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
        let parts: Vec<QualifiedName> = self
            .tables
            .values()
            .filter(|t| t.partition_of.as_ref().is_some_and(|p| &p.parent == name))
            .map(|t| t.name.clone())
            .collect();
        for p in parts {
            self.drop_table(&p);
        }
    }

    fn rename(&mut self, s: &ast::RenameStmt, cx: &Ctx) {
        let rel = s.relation.as_ref().map(|r| self.resolve(r));
        match ot(s.rename_type) {
            Ot::ObjectTable | Ot::ObjectForeignTable => {
                if let Some(old) = rel {
                    let new = QualifiedName::new(old.schema.clone(), s.newname.clone());
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
            Ot::ObjectView | Ot::ObjectMatview => {
                if let Some(old) = rel
                    && let Some(mut v) = self.views.remove(&old)
                {
                    let new = QualifiedName::new(old.schema.clone(), s.newname.clone());
                    Arc::make_mut(&mut v).name = new.clone();
                    self.views.insert(new.clone(), v);
                    self.relation_renamed(&old, &new);
                }
            }
            Ot::ObjectIndex => {
                if let Some(old) = rel {
                    let new = QualifiedName::new(old.schema.clone(), s.newname.clone());
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
                                c.name = s.newname.clone();
                                c.name_given = true;
                            }
                        }
                    }
                }
            }
            Ot::ObjectSequence => {
                if let Some(old) = rel
                    && let Some(mut q) = self.sequences.remove(&old)
                {
                    let new = QualifiedName::new(old.schema.clone(), s.newname.clone());
                    Arc::make_mut(&mut q).name = new.clone();
                    self.sequences.insert(new, q);
                }
            }
            Ot::ObjectColumn => {
                if let Some(table) = rel {
                    self.rename_column(&table, &s.subname, &s.newname);
                }
            }
            Ot::ObjectTabconstraint => {
                if let Some(t) = rel.and_then(|r| self.tables.get_mut(&r).map(Arc::make_mut)) {
                    for c in t.constraints.iter_mut().filter(|c| c.name == s.subname) {
                        c.name = s.newname.clone();
                        c.name_given = true;
                    }
                }
            }
            Ot::ObjectSchema => {
                let old = s.subname.clone();
                if let Some(o) = self.schemas.remove(&old) {
                    self.schemas.insert(s.newname.clone(), o);
                }
                let doomed: Vec<QualifiedName> = self
                    .tables
                    .keys()
                    .filter(|k| k.schema == old)
                    .cloned()
                    .collect();
                for d in doomed {
                    let new = QualifiedName::new(s.newname.clone(), d.name.clone());
                    self.rename_table(&d, new);
                }
            }
            Ot::ObjectType | Ot::ObjectDomain => {
                if let Some(NodeEnum::List(l)) = s.object.as_ref().and_then(|o| o.node.as_ref()) {
                    let old = self.resolve_type_name(&strings(&l.items));
                    if let Some(mut ty) = self.types.remove(&old) {
                        let new = QualifiedName::new(old.schema.clone(), s.newname.clone());
                        ty.name = new.clone();
                        self.types.insert(new, ty);
                    }
                }
            }
            Ot::ObjectTrigger => {
                if let Some(table) = rel
                    && let Some(mut t) = self.triggers.remove(&(table.clone(), s.subname.clone()))
                {
                    t.name = s.newname.clone();
                    self.triggers.insert((table, s.newname.clone()), t);
                }
            }
            Ot::ObjectPolicy => {
                if let Some(t) = rel.and_then(|r| self.tables.get_mut(&r).map(Arc::make_mut)) {
                    for p in t.policies.iter_mut().filter(|p| p.name == s.subname) {
                        p.name = s.newname.clone();
                    }
                }
            }
            Ot::ObjectRole => {
                if let Some(mut r) = self.roles.remove(&s.subname) {
                    r.name = s.newname.clone();
                    self.roles.insert(s.newname.clone(), r);
                }
            }
            _ => self.note(cx, "RENAME of this kind of object is not modelled"),
        }
    }

    fn rename_table(&mut self, old: &QualifiedName, new: QualifiedName) {
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

    fn rename_column(&mut self, table: &QualifiedName, old: &str, new: &str) {
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

    fn grant(&mut self, s: &ast::GrantStmt, cx: &Ctx) {
        let object_kind = match (s.targtype, ot(s.objtype)) {
            (t, o) if t == ast::GrantTargetType::AclTargetAllInSchema as i32 => {
                format!("ALL {}S IN SCHEMA", object_word(o))
            }
            (t, o) if t == ast::GrantTargetType::AclTargetDefaults as i32 => {
                format!("DEFAULT {}", object_word(o))
            }
            (_, o) => object_word(o).to_string(),
        };
        let objects: Vec<String> = s
            .objects
            .iter()
            .filter_map(|n| match n.node.as_ref()? {
                NodeEnum::RangeVar(r) => Some(self.resolve(r).to_string()),
                NodeEnum::String(st) => Some(st.sval.clone()),
                NodeEnum::ObjectWithArgs(o) => Some(name_list(&o.objname).join(".")),
                NodeEnum::List(l) => Some(strings(&l.items).join(".")),
                _ => None,
            })
            .collect();
        let mut privileges: Vec<String> = s
            .privileges
            .iter()
            .filter_map(|n| match n.node.as_ref()? {
                NodeEnum::AccessPriv(p) => Some(p.priv_name.to_ascii_uppercase()),
                _ => None,
            })
            .collect();
        if privileges.is_empty() {
            privileges.push("ALL".into());
        }
        let grantees: Vec<String> = s.grantees.iter().filter_map(role_name).collect();
        if s.is_grant {
            self.grants.push(Grant {
                privileges,
                object_kind,
                objects,
                grantees,
                with_grant_option: s.grant_option,
                origin: cx.whole(),
            });
        } else {
            for g in self.grants.iter_mut() {
                if g.object_kind == object_kind && g.objects.iter().any(|o| objects.contains(o)) {
                    g.grantees.retain(|r| {
                        !grantees.contains(r)
                            || !(privileges.contains(&"ALL".into())
                                || g.privileges.iter().all(|p| privileges.contains(p)))
                    });
                    if !privileges.contains(&"ALL".into())
                        && g.grantees.iter().any(|r| grantees.contains(r))
                    {
                        g.privileges.retain(|p| !privileges.contains(p));
                    }
                }
            }
            self.grants
                .retain(|g| !g.grantees.is_empty() && !g.privileges.is_empty());
        }
    }

    fn create_function(&mut self, s: &ast::CreateFunctionStmt, cx: &Ctx) {
        let name = self.resolve_function_name(&strings(&s.funcname));
        let arg_types: Vec<String> = s
            .parameters
            .iter()
            .filter_map(|p| match p.node.as_ref()? {
                NodeEnum::FunctionParameter(fp)
                    if fp.mode != ast::FunctionParameterMode::FuncParamOut as i32
                        && fp.mode != ast::FunctionParameterMode::FuncParamTable as i32 =>
                {
                    fp.arg_type.as_ref().map(|t| data_type(t).0.to_string())
                }
                _ => None,
            })
            .collect();
        let mut f = Function {
            name: name.clone(),
            arg_types,
            returns: s.return_type.as_ref().map(|t| data_type(t).0.to_string()),
            language: "sql".into(),
            body: None,
            security_definer: false,
            volatility: "volatile".into(),
            search_path: None,
            is_procedure: s.is_procedure,
            origin: cx.whole(),
        };
        for o in &s.options {
            let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                continue;
            };
            let arg = d.arg.as_ref().and_then(|a| a.node.as_ref());
            match (d.defname.as_str(), arg) {
                ("language", _) => {
                    f.language = d
                        .arg
                        .as_ref()
                        .and_then(|a| const_text(a))
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                }
                ("as", Some(NodeEnum::List(l))) => f.body = l.items.first().and_then(const_text),
                ("volatility", _) => {
                    if let Some(v) = d.arg.as_ref().and_then(|a| const_text(a)) {
                        f.volatility = v.to_ascii_lowercase();
                    }
                }
                ("security", _) => {
                    f.security_definer = d
                        .arg
                        .as_ref()
                        .and_then(|a| const_text(a))
                        .is_some_and(|v| v == "true")
                }
                ("set", Some(NodeEnum::VariableSetStmt(v)))
                    if v.name.eq_ignore_ascii_case("search_path") =>
                {
                    f.search_path = Some(
                        v.args
                            .iter()
                            .filter_map(const_text)
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                }
                _ => {}
            }
        }
        if let Some(b) = &s.sql_body {
            f.body = b.node.as_ref().map(deparse_stmt).or(Some(String::new()));
        }
        self.functions
            .retain(|x| !(x.name == f.name && x.arg_types == f.arg_types));
        self.functions.push(Arc::new(f));
    }

    fn comment(&mut self, s: &ast::CommentStmt, _cx: &Ctx) {
        let Some(NodeEnum::List(l)) = s.object.as_ref().and_then(|o| o.node.as_ref()) else {
            return;
        };
        let parts = strings(&l.items);
        let text = if s.comment.is_empty() {
            None
        } else {
            Some(s.comment.clone())
        };
        match ot(s.objtype) {
            Ot::ObjectTable => {
                let name = self.resolve_name(&parts);
                if let Some(t) = self.tables.get_mut(&name).map(Arc::make_mut) {
                    t.comment = text;
                }
            }
            Ot::ObjectColumn => {
                if let Some((col, table)) = parts.split_last() {
                    let name = self.resolve_name(table);
                    if let Some(c) = self
                        .tables
                        .get_mut(&name)
                        .map(Arc::make_mut)
                        .and_then(|t| t.column_mut(col))
                    {
                        c.comment = text;
                    }
                }
            }
            _ => {}
        }
    }
}

fn object_word(o: Ot) -> &'static str {
    match o {
        Ot::ObjectTable => "TABLE",
        Ot::ObjectSequence => "SEQUENCE",
        Ot::ObjectFunction => "FUNCTION",
        Ot::ObjectProcedure => "PROCEDURE",
        Ot::ObjectRoutine => "ROUTINE",
        Ot::ObjectSchema => "SCHEMA",
        Ot::ObjectDatabase => "DATABASE",
        Ot::ObjectType => "TYPE",
        Ot::ObjectDomain => "DOMAIN",
        Ot::ObjectLanguage => "LANGUAGE",
        Ot::ObjectTablespace => "TABLESPACE",
        Ot::ObjectForeignServer => "FOREIGN SERVER",
        Ot::ObjectFdw => "FOREIGN DATA WRAPPER",
        Ot::ObjectLargeobject => "LARGE OBJECT",
        _ => "OBJECT",
    }
}

fn role_name(n: &ast::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::RoleSpec(r) => Some(match r.roletype {
            x if x == ast::RoleSpecType::RolespecPublic as i32 => "PUBLIC".to_string(),
            x if x == ast::RoleSpecType::RolespecCurrentUser as i32 => "CURRENT_USER".to_string(),
            x if x == ast::RoleSpecType::RolespecCurrentRole as i32 => "CURRENT_ROLE".to_string(),
            x if x == ast::RoleSpecType::RolespecSessionUser as i32 => "SESSION_USER".to_string(),
            _ => r.rolename.clone(),
        }),
        _ => None,
    }
}

fn role_options(role: &mut Role, options: &[ast::Node]) {
    for o in options {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let on = d
            .arg
            .as_ref()
            .and_then(|a| const_text(a))
            .map(|v| v == "true" || v == "1");
        match d.defname.as_str() {
            "canlogin" => role.login = on.unwrap_or(true),
            "superuser" => role.superuser = on.unwrap_or(true),
            "bypassrls" => role.bypass_rls = on.unwrap_or(true),
            "password" => role.has_password = d.arg.is_some(),
            "rolemembers" | "addroleto" => {}
            _ => {}
        }
    }
}

fn partition_bound_text(b: Option<&ast::PartitionBoundSpec>) -> String {
    let Some(b) = b else { return String::new() };
    if b.is_default {
        return "DEFAULT".into();
    }
    let list = |v: &[ast::Node]| v.iter().map(deparse_expr).collect::<Vec<_>>().join(", ");
    match b.strategy.as_str() {
        "l" => format!("FOR VALUES IN ({})", list(&b.listdatums)),
        "r" => format!(
            "FOR VALUES FROM ({}) TO ({})",
            list(&b.lowerdatums),
            list(&b.upperdatums)
        ),
        "h" => format!(
            "FOR VALUES WITH (MODULUS {}, REMAINDER {})",
            b.modulus, b.remainder
        ),
        _ => String::new(),
    }
}

fn constraint_uses(c: &Constraint, col: &str) -> bool {
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

fn push_constraint(t: &mut Table, c: Constraint) {
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
fn column_constraints(
    table: &QualifiedName,
    d: &ast::ColumnDef,
    cat: &Catalog,
    t: &mut Table,
    cx: &Ctx,
) {
    let col = vec![d.colname.clone()];
    let mut last_fk: Option<usize> = None;
    for n in &d.constraints {
        let Some(NodeEnum::Constraint(c)) = n.node.as_ref() else {
            continue;
        };
        let ct = ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined);
        match ct {
            ConstrType::ConstrNotnull => {
                if let Some(cc) = t.column_mut(&d.colname) {
                    cc.not_null = true;
                }
            }
            ConstrType::ConstrNull => {
                if let Some(cc) = t.column_mut(&d.colname) {
                    cc.not_null = false;
                }
            }
            ConstrType::ConstrDefault => {
                if let Some(cc) = t.column_mut(&d.colname) {
                    cc.default = c.raw_expr.as_ref().map(|e| deparse_expr(e));
                }
            }
            ConstrType::ConstrIdentity => {
                if let Some(cc) = t.column_mut(&d.colname) {
                    cc.identity = Some(Identity::from_generated_when(&c.generated_when));
                    cc.not_null = true;
                }
            }
            ConstrType::ConstrGenerated => {
                if let Some(cc) = t.column_mut(&d.colname) {
                    cc.generated = c.raw_expr.as_ref().map(|e| deparse_expr(e));
                }
            }
            ConstrType::ConstrAttrDeferrable
            | ConstrType::ConstrAttrNotDeferrable
            | ConstrType::ConstrAttrDeferred
            | ConstrType::ConstrAttrImmediate => {
                if let Some(i) = last_fk {
                    let k = &mut t.constraints[i];
                    match ct {
                        ConstrType::ConstrAttrDeferrable => k.deferrable = true,
                        ConstrType::ConstrAttrNotDeferrable => k.deferrable = false,
                        ConstrType::ConstrAttrDeferred => k.initially_deferred = true,
                        _ => k.initially_deferred = false,
                    }
                }
            }
            _ => {
                if let Some(mut con) = cat.constraint(table, t, c, &col, cx) {
                    if con.origin.0.is_none_or(|s| s.start == cx.stmt.span.start) {
                        con.origin = cx.origin(d.location);
                    }
                    push_constraint(t, con);
                    last_fk = Some(t.constraints.len() - 1);
                }
            }
        }
    }
}
