//! Lowering PostgreSQL statements (libpg_query's trees) into [`SchemaChange`]s.

use crate::ast::{self, AlterTableType as At, ConstrType, ObjectType as Ot};
use crate::expr::{column_refs, const_text, deparse_expr, deparse_stmt, name_list, string_value};
use crate::{NodeEnum, Span, Statement};

use super::*;

/// The schema changes of one statement.
pub fn lower(stmt: &Statement) -> Lowered {
    let cx = Cx { stmt };
    let mut changes = vec![];
    cx.lower(&stmt.node, &mut changes);
    Lowered {
        kind: stmt.kind(),
        span: stmt.span,
        changes,
    }
}

/// A column type written as SQL (`numeric(12,2)`, `timestamptz`, `text[]`), canonicalised; `None` when it
/// is not one.
pub fn type_of_text(text: &str) -> Option<DataType> {
    thread_local! {
        static TYPES: crate::memo::Memo<String, Option<DataType>> = crate::memo::Memo::new();
    }
    TYPES.with(|m| m.get_or(text.to_string(), || read_type(text)))
}

fn read_type(text: &str) -> Option<DataType> {
    let parsed = crate::raw::parse(&format!("CREATE TABLE t (c {text})")).ok()?;
    let [stmt] = parsed.stmts.as_slice() else {
        return None;
    };
    let Some(NodeEnum::CreateStmt(c)) = stmt.stmt.as_ref()?.node.as_ref() else {
        return None;
    };
    let [column] = c.table_elts.as_slice() else {
        return None;
    };
    match column.node.as_ref()? {
        NodeEnum::ColumnDef(d) if d.constraints.is_empty() => {
            Some(data_type(d.type_name.as_ref()?).0)
        }
        _ => None,
    }
}

/// A relation's name as a statement wrote it.
/// The relations a list of RangeVar nodes names (TRUNCATE's, LOCK's, INHERITS').
fn range_vars(nodes: &[ast::Node]) -> Vec<ObjName> {
    nodes
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::RangeVar(r)) => Some(obj_name(r)),
            _ => None,
        })
        .collect()
}

/// The column names of an INSERT's column list or an UPDATE's SET targets (`ResTarget`s), each once.
fn target_names(targets: &[ast::Node]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for t in targets {
        if let Some(NodeEnum::ResTarget(r)) = t.node.as_ref()
            && !r.name.is_empty()
            && !out.contains(&r.name)
        {
            out.push(r.name.clone());
        }
    }
    out
}

pub fn obj_name(rv: &ast::RangeVar) -> ObjName {
    ObjName {
        schema: (!rv.schemaname.is_empty()).then(|| rv.schemaname.clone()),
        name: rv.relname.clone(),
    }
}

struct Cx<'a> {
    stmt: &'a Statement,
}

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

fn parts_name(nodes: &[ast::Node]) -> ObjName {
    ObjName::from_parts(&strings(nodes))
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

fn joined(nodes: &[ast::Node]) -> Option<String> {
    let s = strings(nodes);
    (!s.is_empty()).then(|| s.join("."))
}

fn object_kind(o: Ot) -> ObjectKind {
    match o {
        Ot::ObjectTable => ObjectKind::Table,
        Ot::ObjectForeignTable => ObjectKind::ForeignTable,
        Ot::ObjectIndex => ObjectKind::Index,
        Ot::ObjectView => ObjectKind::View,
        Ot::ObjectMatview => ObjectKind::MaterializedView,
        Ot::ObjectSequence => ObjectKind::Sequence,
        Ot::ObjectType => ObjectKind::Type,
        Ot::ObjectDomain => ObjectKind::Domain,
        Ot::ObjectFunction => ObjectKind::Function,
        Ot::ObjectProcedure => ObjectKind::Procedure,
        Ot::ObjectRoutine => ObjectKind::Routine,
        Ot::ObjectTrigger => ObjectKind::Trigger,
        Ot::ObjectPolicy => ObjectKind::Policy,
        Ot::ObjectSchema => ObjectKind::Schema,
        Ot::ObjectExtension => ObjectKind::Extension,
        Ot::ObjectColumn => ObjectKind::Column,
        Ot::ObjectTabconstraint => ObjectKind::TableConstraint,
        Ot::ObjectRole => ObjectKind::Role,
        _ => ObjectKind::Other,
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

fn role_options(options: &[ast::Node]) -> Vec<RoleOption> {
    let mut out = vec![];
    for o in options {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let on = d
            .arg
            .as_ref()
            .and_then(|a| const_text(a))
            .map(|v| v == "true" || v == "1")
            .unwrap_or(true);
        match d.defname.as_str() {
            "canlogin" => out.push(RoleOption::Login(on)),
            "superuser" => out.push(RoleOption::Superuser(on)),
            "bypassrls" => out.push(RoleOption::BypassRls(on)),
            "createrole" => out.push(RoleOption::CreateRole(on)),
            "password" => out.push(RoleOption::Password(d.arg.is_some())),
            _ => {}
        }
    }
    out
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

/// The relations a query reads, in order (a CTE's name is not one).
pub(crate) fn relations_in(q: &ast::Node) -> Vec<ObjName> {
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
    nodes
        .iter()
        .filter_map(|(r, ..)| match r {
            pg_query::NodeRef::RangeVar(rv)
                if !(rv.schemaname.is_empty() && ctes.contains(&rv.relname.as_str())) =>
            {
                Some(obj_name(rv))
            }
            _ => None,
        })
        .collect()
}

impl Cx<'_> {
    fn origin(&self, location: i32) -> Span {
        self.stmt.ident_span_at(location)
    }

    fn opaque(&self, reason: impl Into<String>) -> SchemaChange {
        SchemaChange::Opaque {
            reason: reason.into(),
            may_touch: MayTouch::Anything,
        }
    }

    fn lower(&self, node: &NodeEnum, out: &mut Vec<SchemaChange>) {
        let change = match node {
            NodeEnum::CreateStmt(s) => match self.create_table(s) {
                Some(c) => SchemaChange::CreateTable(c),
                None => return,
            },
            NodeEnum::AlterTableStmt(s) => {
                let Some(rv) = &s.relation else { return };
                SchemaChange::AlterTable {
                    name: obj_name(rv),
                    kind: match object_kind(ot(s.objtype)) {
                        k @ (ObjectKind::Table
                        | ObjectKind::ForeignTable
                        | ObjectKind::Index
                        | ObjectKind::View
                        | ObjectKind::MaterializedView
                        | ObjectKind::Sequence) => k,
                        _ => ObjectKind::Other,
                    },
                    if_exists: s.missing_ok,
                    commands: s
                        .cmds
                        .iter()
                        .filter_map(|c| match c.node.as_ref() {
                            Some(NodeEnum::AlterTableCmd(c)) => Some(self.alter_table_cmd(c)),
                            _ => None,
                        })
                        .collect(),
                }
            }
            NodeEnum::IndexStmt(s) => match self.create_index(s) {
                Some(c) => SchemaChange::CreateIndex(c),
                None => return,
            },
            NodeEnum::DropStmt(s) => self.drop(s),
            NodeEnum::RenameStmt(s) => SchemaChange::Rename(Rename {
                kind: object_kind(ot(s.rename_type)),
                relation: s.relation.as_ref().map(obj_name),
                object: match s.object.as_ref().and_then(|o| o.node.as_ref()) {
                    Some(NodeEnum::List(l)) => strings(&l.items),
                    _ => vec![],
                },
                old: s.subname.clone(),
                new: s.newname.clone(),
                if_exists: s.missing_ok,
            }),
            NodeEnum::ViewStmt(s) => {
                let Some(rv) = &s.view else { return };
                let reads = match (&s.query, &self.stmt.outline) {
                    (Some(q), _) => relations_in(q),
                    (None, Some(outline)) => outline.reads.iter().map(obj_name).collect(),
                    (None, None) => vec![],
                };
                SchemaChange::CreateView {
                    name: obj_name(rv),
                    at: self.origin(rv.location),
                    or_replace: s.replace,
                    materialized: false,
                    query: ViewQuery::new(&self.stmt.sql),
                    reads,
                }
            }
            NodeEnum::CreateTableAsStmt(s) => match self.create_table_as(s) {
                Some(c) => c,
                None => return,
            },
            NodeEnum::CreateSeqStmt(s) => {
                let Some(rv) = &s.sequence else { return };
                SchemaChange::CreateSequence {
                    name: obj_name(rv),
                    at: self.origin(rv.location),
                    options: sequence_options(&s.options),
                }
            }
            NodeEnum::AlterSeqStmt(s) => {
                let Some(rv) = &s.sequence else { return };
                SchemaChange::AlterSequence {
                    name: obj_name(rv),
                    options: sequence_options(&s.options),
                }
            }
            NodeEnum::CreateEnumStmt(s) => SchemaChange::CreateEnum {
                name: parts_name(&s.type_name),
                values: strings(&s.vals),
            },
            NodeEnum::AlterEnumStmt(s) => SchemaChange::AlterEnum {
                name: parts_name(&s.type_name),
                old_value: (!s.old_val.is_empty()).then(|| s.old_val.clone()),
                value: s.new_val.clone(),
                neighbor: s.new_val_neighbor.clone(),
                after: s.new_val_is_after,
            },
            NodeEnum::CreateDomainStmt(s) => {
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
                SchemaChange::CreateDomain {
                    name: parts_name(&s.domainname),
                    base: s.type_name.as_ref().map(|t| data_type(t).0),
                    not_null,
                    checks,
                }
            }
            NodeEnum::CompositeTypeStmt(s) => {
                let Some(rv) = &s.typevar else { return };
                SchemaChange::CreateCompositeType {
                    name: obj_name(rv),
                    attributes: s
                        .coldeflist
                        .iter()
                        .filter_map(|n| match n.node.as_ref() {
                            Some(NodeEnum::ColumnDef(d)) => Some((
                                d.colname.clone(),
                                d.type_name.as_ref().map(|t| data_type(t).0)?,
                            )),
                            _ => None,
                        })
                        .collect(),
                }
            }
            NodeEnum::CreatePolicyStmt(s) => {
                let Some(rv) = &s.table else { return };
                SchemaChange::CreatePolicy {
                    table: obj_name(rv),
                    name: s.policy_name.clone(),
                    command: s.cmd_name.to_ascii_uppercase(),
                    permissive: s.permissive,
                    roles: s.roles.iter().filter_map(role_name).collect(),
                    using: s.qual.as_ref().map(|e| deparse_expr(e)),
                    with_check: s.with_check.as_ref().map(|e| deparse_expr(e)),
                }
            }
            NodeEnum::AlterPolicyStmt(s) => {
                let Some(rv) = &s.table else { return };
                SchemaChange::AlterPolicy {
                    table: obj_name(rv),
                    name: s.policy_name.clone(),
                    roles: (!s.roles.is_empty())
                        .then(|| s.roles.iter().filter_map(role_name).collect()),
                    using: s.qual.as_ref().map(|q| deparse_expr(q)),
                    with_check: s.with_check.as_ref().map(|q| deparse_expr(q)),
                }
            }
            NodeEnum::CreateRoleStmt(s) => SchemaChange::CreateRole {
                name: s.role.clone(),
                user: s.stmt_type == ast::RoleStmtType::RolestmtUser as i32,
                options: role_options(&s.options),
            },
            NodeEnum::AlterRoleStmt(s) => {
                let Some(name) = s.role.as_ref().map(|r| r.rolename.clone()) else {
                    return;
                };
                SchemaChange::AlterRole {
                    name,
                    options: role_options(&s.options),
                }
            }
            NodeEnum::GrantStmt(s) => SchemaChange::Grant(grant(s)),
            NodeEnum::GrantRoleStmt(s) => SchemaChange::GrantRole {
                grant: s.is_grant,
                roles: s
                    .granted_roles
                    .iter()
                    .filter_map(|n| match n.node.as_ref() {
                        Some(NodeEnum::AccessPriv(p)) => Some(p.priv_name.clone()),
                        _ => None,
                    })
                    .collect(),
                grantees: s.grantee_roles.iter().filter_map(role_name).collect(),
            },
            NodeEnum::CreateTrigStmt(s) => {
                let Some(rv) = &s.relation else { return };
                let timing = if s.timing & 2 != 0 {
                    "BEFORE"
                } else if s.timing & 64 != 0 {
                    "INSTEAD OF"
                } else {
                    "AFTER"
                };
                let events = [
                    (4, "INSERT"),
                    (8, "DELETE"),
                    (16, "UPDATE"),
                    (32, "TRUNCATE"),
                ]
                .into_iter()
                .filter(|(bit, _)| s.events & bit != 0)
                .map(|(_, ev)| ev)
                .collect();
                SchemaChange::CreateTrigger {
                    table: obj_name(rv),
                    name: s.trigname.clone(),
                    function: parts_name(&s.funcname),
                    timing,
                    events,
                    update_of: strings(&s.columns),
                    for_each_row: s.row,
                    when: s.when_clause.as_ref().map(|w| deparse_expr(w)),
                    args: s.args.iter().filter_map(const_text).collect(),
                }
            }
            NodeEnum::CreateFunctionStmt(s) => {
                let mut f = create_function(s);
                f.definition = Definition(Some(self.stmt.sql.as_str().into()));
                SchemaChange::CreateFunction(f)
            }
            NodeEnum::CommentStmt(s) => {
                let object = s
                    .object
                    .as_ref()
                    .and_then(|o| o.node.as_ref())
                    .map(object_ref);
                let on = match (ot(s.objtype), object) {
                    (Ot::ObjectTable, Some(o)) => CommentOn::Table(ObjName::from_parts(&o.name)),
                    (Ot::ObjectColumn, Some(o)) => match o.name.split_last() {
                        Some((col, table)) => CommentOn::Column {
                            table: ObjName::from_parts(table),
                            column: col.clone(),
                        },
                        None => return,
                    },
                    (o, Some(object)) if !object.name.is_empty() => match object_kind(o) {
                        kind @ (ObjectKind::Index
                        | ObjectKind::View
                        | ObjectKind::MaterializedView
                        | ObjectKind::Sequence
                        | ObjectKind::ForeignTable
                        | ObjectKind::Type
                        | ObjectKind::Domain
                        | ObjectKind::Function
                        | ObjectKind::Procedure
                        | ObjectKind::Routine
                        | ObjectKind::Schema
                        | ObjectKind::Extension
                        | ObjectKind::Role
                        | ObjectKind::TableConstraint
                        | ObjectKind::Trigger
                        | ObjectKind::Policy) => CommentOn::Object { kind, object },
                        _ => CommentOn::Other,
                    },
                    _ => CommentOn::Other,
                };
                SchemaChange::Comment {
                    on,
                    text: (!s.comment.is_empty()).then(|| s.comment.clone()),
                }
            }
            NodeEnum::VariableSetStmt(s) => {
                if s.name.is_empty()
                    || s.kind == ast::VariableSetKind::VarSetMulti as i32
                    || s.kind == ast::VariableSetKind::VarResetAll as i32
                {
                    // SET TRANSACTION ..., SET SESSION CHARACTERISTICS ..., RESET ALL.
                    return;
                }
                if !s.name.eq_ignore_ascii_case("search_path") {
                    out.push(SchemaChange::SetSetting {
                        name: s.name.to_ascii_lowercase(),
                        value: (s.kind == ast::VariableSetKind::VarSetValue as i32)
                            .then(|| s.args.first().and_then(const_text))
                            .flatten(),
                    });
                    return;
                }
                if s.kind == ast::VariableSetKind::VarSetValue as i32 {
                    let path: Vec<String> = s.args.iter().filter_map(const_text).collect();
                    if path.is_empty() {
                        return;
                    }
                    SchemaChange::SetSearchPath(Some(path))
                } else {
                    SchemaChange::SetSearchPath(None)
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
                let mut elements = vec![];
                for e in &s.schema_elts {
                    if let Some(n) = &e.node {
                        self.lower(n, &mut elements);
                    }
                }
                SchemaChange::CreateSchema { name, elements }
            }
            NodeEnum::CreateExtensionStmt(s) => SchemaChange::CreateExtension {
                name: s.extname.clone(),
                schema: s.options.iter().find_map(|o| match o.node.as_ref() {
                    Some(NodeEnum::DefElem(d)) if d.defname == "schema" => {
                        d.arg.as_ref().and_then(|a| const_text(a))
                    }
                    _ => None,
                }),
            },
            NodeEnum::AlterObjectSchemaStmt(s) => match (ot(s.object_type), &s.relation) {
                (Ot::ObjectTable, Some(rv)) => SchemaChange::SetSchema {
                    table: obj_name(rv),
                    schema: s.newschema.clone(),
                },
                (Ot::ObjectTable, None) => return,
                _ => self.opaque("SET SCHEMA of this kind of object is not modelled"),
            },
            NodeEnum::AlterOwnerStmt(_) | NodeEnum::VariableShowStmt(_) => return,
            NodeEnum::TransactionStmt(t) => {
                use ast::TransactionStmtKind as K;
                match K::try_from(t.kind).unwrap_or(K::Undefined) {
                    K::TransStmtBegin | K::TransStmtStart => {
                        SchemaChange::Transaction(Transaction::Begin)
                    }
                    K::TransStmtCommit | K::TransStmtRollback if t.chain => {
                        SchemaChange::Transaction(Transaction::Chain)
                    }
                    K::TransStmtCommit
                    | K::TransStmtRollback
                    | K::TransStmtPrepare
                    | K::TransStmtCommitPrepared
                    | K::TransStmtRollbackPrepared => SchemaChange::Transaction(Transaction::End),
                    K::TransStmtSavepoint | K::TransStmtRelease | K::TransStmtRollbackTo => {
                        SchemaChange::Transaction(Transaction::Savepoint)
                    }
                    K::Undefined => return,
                }
            }
            NodeEnum::InsertStmt(i) => match &i.relation {
                Some(rv) => SchemaChange::WriteRows(WriteRows {
                    verb: RowVerb::Insert,
                    table: obj_name(rv),
                    filtered: false,
                    columns: target_names(&i.cols),
                }),
                None => return,
            },
            NodeEnum::UpdateStmt(u) => match &u.relation {
                Some(rv) => SchemaChange::WriteRows(WriteRows {
                    verb: RowVerb::Update,
                    table: obj_name(rv),
                    filtered: u.where_clause.is_some(),
                    columns: target_names(&u.target_list),
                }),
                None => return,
            },
            NodeEnum::DeleteStmt(d) => match &d.relation {
                Some(rv) => SchemaChange::WriteRows(WriteRows {
                    verb: RowVerb::Delete,
                    table: obj_name(rv),
                    filtered: d.where_clause.is_some(),
                    columns: vec![],
                }),
                None => return,
            },
            NodeEnum::DropdbStmt(d) => SchemaChange::Drop(Drop {
                kind: ObjectKind::Database,
                objects: vec![ObjectRef::named(vec![d.dbname.clone()])],
                cascade: false,
                if_exists: d.missing_ok,
                concurrently: false,
            }),
            NodeEnum::AlterDomainStmt(d) => SchemaChange::AlterDomain {
                name: ObjName::from_parts(&strings(&d.type_name)),
                command: match d.def.as_ref().and_then(|n| n.node.as_ref()) {
                    // subtype 'C' is ADD CONSTRAINT.
                    Some(NodeEnum::Constraint(k)) if d.subtype == "C" => {
                        AlterDomain::AddConstraint {
                            name: (!k.conname.is_empty()).then(|| k.conname.clone()),
                            not_valid: k.skip_validation,
                        }
                    }
                    _ => AlterDomain::Other,
                },
            },
            NodeEnum::ReindexStmt(r) => match &r.relation {
                Some(rv) => SchemaChange::Maintain(Maintenance::Reindex {
                    target: obj_name(rv),
                    index: r.kind == ast::ReindexObjectType::ReindexObjectIndex as i32,
                    concurrently: r.params.iter().any(|p| {
                        matches!(p.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "concurrently")
                    }),
                }),
                None => SchemaChange::NoEffect,
            },
            NodeEnum::ClusterStmt(c) => {
                SchemaChange::Maintain(Maintenance::Cluster(c.relation.as_ref().map(obj_name)))
            }
            NodeEnum::VacuumStmt(v) => SchemaChange::Maintain(Maintenance::Vacuum {
                tables: v
                    .rels
                    .iter()
                    .filter_map(|n| match n.node.as_ref() {
                        Some(NodeEnum::VacuumRelation(r)) => r.relation.as_ref().map(obj_name),
                        _ => None,
                    })
                    .collect(),
                full: v.options.iter().any(|o| {
                    matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "full")
                }),
                analyze: v.is_vacuumcmd
                    && v.options.iter().any(|o| {
                        matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "analyze")
                    }),
                analyze_only: !v.is_vacuumcmd,
            }),
            NodeEnum::TruncateStmt(t) => SchemaChange::Maintain(Maintenance::Truncate(
                range_vars(&t.relations),
            )),
            // SELECT ... INTO makes a table whose columns the model does not work out.
            NodeEnum::SelectStmt(s) if s.into_clause.is_some() => {
                self.opaque("SELECT ... INTO creates a table the model does not follow")
            }
            NodeEnum::RefreshMatViewStmt(r) => match &r.relation {
                Some(rv) => SchemaChange::Maintain(Maintenance::Refresh {
                    view: obj_name(rv),
                    concurrently: r.concurrent,
                    with_data: !r.skip_data,
                }),
                None => SchemaChange::NoEffect,
            },
            NodeEnum::LockStmt(l) => SchemaChange::Maintain(Maintenance::Lock {
                tables: range_vars(&l.relations),
                mode: l.mode,
            }),
            NodeEnum::SelectStmt(_) | NodeEnum::CopyStmt(_) => SchemaChange::NoEffect,
            NodeEnum::DoStmt(_) => self.opaque("a DO block: what it changes is not modelled"),
            NodeEnum::AlterFunctionStmt(a) => match alter_function(a) {
                Some(c) => c,
                None => self.opaque("this ALTER FUNCTION is not modelled"),
            },
            other => self.opaque(format!(
                "{} is not modelled",
                crate::postgres::node_kind(other)
            )),
        };
        out.push(change);
    }

    fn create_table(&self, s: &ast::CreateStmt) -> Option<CreateTable> {
        let rv = s.relation.as_ref()?;
        let partition_by = s.partspec.as_ref().map(|ps| PartitionSpec {
            strategy: match ps.strategy {
                x if x == ast::PartitionStrategy::List as i32 => PartitionStrategy::List,
                x if x == ast::PartitionStrategy::Hash as i32 => PartitionStrategy::Hash,
                _ => PartitionStrategy::Range,
            },
            keys: ps
                .part_params
                .iter()
                .filter_map(|n| match n.node.as_ref() {
                    Some(NodeEnum::PartitionElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                    Some(NodeEnum::PartitionElem(e)) => e.expr.as_ref().map(|x| deparse_expr(x)),
                    _ => None,
                })
                .collect(),
        });
        let mut elements = vec![];
        for e in &s.table_elts {
            match e.node.as_ref() {
                Some(NodeEnum::ColumnDef(d)) => elements.push(TableElement::Column(self.column(d))),
                Some(NodeEnum::Constraint(c)) => {
                    if let Some(c) = self.constraint(c) {
                        elements.push(TableElement::Constraint(c));
                    }
                }
                Some(NodeEnum::TableLikeClause(l)) => {
                    if let Some(r) = &l.relation {
                        elements.push(TableElement::Like(obj_name(r)));
                    }
                }
                _ => {}
            }
        }
        for c in &s.constraints {
            if let Some(NodeEnum::Constraint(c)) = c.node.as_ref()
                && let Some(c) = self.constraint(c)
            {
                elements.push(TableElement::Constraint(c));
            }
        }
        Some(CreateTable {
            name: obj_name(rv),
            at: self.origin(rv.location),
            if_not_exists: s.if_not_exists,
            unlogged: rv.relpersistence == "u",
            temporary: rv.relpersistence == "t",
            inherits: range_vars(&s.inh_relations),
            partition_by,
            partition_bound: s.partbound.as_ref().map(|b| partition_bound_text(Some(b))),
            of_type: s.of_typename.as_ref().map(|t| parts_name(&t.names)),
            elements,
        })
    }

    fn column(&self, d: &ast::ColumnDef) -> ColumnDef {
        let (data_type, serial) = match d.type_name.as_ref().map(data_type) {
            Some((t, serial)) => (Some(t), serial),
            None => (None, false),
        };
        let at = self.origin(d.location);
        let mut constraints = vec![];
        // The grammar writes NOT NULL and DEFAULT as constraints; a column made otherwise may carry
        // them as fields, which come first.
        if d.is_not_null {
            constraints.push(ColumnConstraint::NotNull);
        }
        if let Some(e) = &d.raw_default {
            constraints.push(ColumnConstraint::Default(deparse_expr(e)));
        }
        for n in &d.constraints {
            let Some(NodeEnum::Constraint(c)) = n.node.as_ref() else {
                continue;
            };
            let ct = ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined);
            // DEFERRABLE / INITIALLY DEFERRED after a constraint are that constraint's.
            let last = constraints.iter_mut().rev().find_map(|c| match c {
                ColumnConstraint::Constraint(c) => Some(c),
                _ => None,
            });
            match (ct, last) {
                (ConstrType::ConstrAttrDeferrable, Some(k)) => k.deferrable = true,
                (ConstrType::ConstrAttrNotDeferrable, Some(k)) => k.deferrable = false,
                (ConstrType::ConstrAttrDeferred, Some(k)) => k.initially_deferred = true,
                (ConstrType::ConstrAttrImmediate, Some(k)) => k.initially_deferred = false,
                (
                    ConstrType::ConstrAttrDeferrable
                    | ConstrType::ConstrAttrNotDeferrable
                    | ConstrType::ConstrAttrDeferred
                    | ConstrType::ConstrAttrImmediate,
                    None,
                ) => {}
                (ConstrType::ConstrNotnull, _) => constraints.push(ColumnConstraint::NotNull),
                (ConstrType::ConstrNull, _) => constraints.push(ColumnConstraint::Null),
                (ConstrType::ConstrDefault, _) => {
                    if let Some(e) = &c.raw_expr {
                        constraints.push(ColumnConstraint::Default(deparse_expr(e)));
                    }
                }
                (ConstrType::ConstrIdentity, _) => constraints.push(ColumnConstraint::Identity(
                    Identity::from_generated_when(&c.generated_when),
                )),
                (ConstrType::ConstrGenerated, _) => {
                    if let Some(e) = &c.raw_expr {
                        constraints.push(ColumnConstraint::Generated(deparse_expr(e)));
                    }
                }
                _ => {
                    if let Some(mut con) = self.constraint(c) {
                        // A constraint written without a position of its own points at its column.
                        if con.at.start == self.stmt.span.start {
                            con.at = at;
                        }
                        constraints.push(ColumnConstraint::Constraint(con));
                    }
                }
            }
        }
        ColumnDef {
            name: d.colname.clone(),
            at,
            data_type,
            serial,
            collation: d.coll_clause.as_ref().and_then(|c| joined(&c.collname)),
            constraints,
        }
    }

    fn constraint(&self, c: &ast::Constraint) -> Option<ConstraintDef> {
        let ct = ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined);
        let kind = match ct {
            ConstrType::ConstrPrimary => ConstraintDefKind::PrimaryKey {
                columns: elem_names(&c.keys),
                include: elem_names(&c.including),
            },
            ConstrType::ConstrUnique => ConstraintDefKind::Unique {
                columns: elem_names(&c.keys),
                include: elem_names(&c.including),
                nulls_not_distinct: c.nulls_not_distinct,
            },
            ConstrType::ConstrCheck => ConstraintDefKind::Check {
                expr: c
                    .raw_expr
                    .as_ref()
                    .map(|e| deparse_expr(e))
                    .unwrap_or_default(),
                columns: c
                    .raw_expr
                    .as_ref()
                    .map(|e| column_refs(e))
                    .unwrap_or_default(),
            },
            ConstrType::ConstrForeign => ConstraintDefKind::ForeignKey {
                columns: strings(&c.fk_attrs),
                ref_table: c.pktable.as_ref().map(obj_name),
                ref_columns: strings(&c.pk_attrs),
                on_delete: ReferentialAction::from_code(&c.fk_del_action),
                on_update: ReferentialAction::from_code(&c.fk_upd_action),
                match_full: c.fk_matchtype == "f",
            },
            ConstrType::ConstrExclusion => {
                let mut elements = vec![];
                let mut operators = vec![];
                for n in &c.exclusions {
                    // Each exclusion is (element, operator name).
                    if let Some(NodeEnum::List(l)) = n.node.as_ref()
                        && let Some(e) = l
                            .items
                            .first()
                            .and_then(|e| elem_names(std::slice::from_ref(e)).into_iter().next())
                    {
                        elements.push(e);
                        operators.push(match l.items.get(1).and_then(|o| o.node.as_ref()) {
                            Some(NodeEnum::List(op)) => strings(&op.items).join("."),
                            _ => String::new(),
                        });
                    }
                }
                ConstraintDefKind::Exclude {
                    method: if c.access_method.is_empty() {
                        "btree".into()
                    } else {
                        c.access_method.clone()
                    },
                    elements,
                    operators,
                    predicate: c.where_clause.as_ref().map(|w| deparse_expr(w)),
                }
            }
            ConstrType::ConstrNotnull => ConstraintDefKind::NotNull {
                columns: elem_names(&c.keys),
            },
            _ => return None,
        };
        Some(ConstraintDef {
            name: (!c.conname.is_empty()).then(|| c.conname.clone()),
            at: self.origin(c.location),
            kind,
            deferrable: c.deferrable,
            initially_deferred: c.initdeferred,
            not_valid: c.skip_validation,
            using_index: (!c.indexname.is_empty()).then(|| c.indexname.clone()),
        })
    }

    fn create_table_as(&self, s: &ast::CreateTableAsStmt) -> Option<SchemaChange> {
        let into = s.into.as_ref()?;
        let rv = into.rel.as_ref()?;
        if s.objtype == Ot::ObjectMatview as i32 {
            return Some(SchemaChange::CreateView {
                name: obj_name(rv),
                at: self.origin(rv.location),
                or_replace: false,
                materialized: true,
                query: ViewQuery::new(&self.stmt.sql),
                reads: s
                    .query
                    .as_ref()
                    .map(|q| relations_in(q))
                    .unwrap_or_default(),
            });
        }
        let mut columns = strings(&into.col_names);
        let mut columns_known = true;
        if columns.is_empty()
            && let Some(NodeEnum::SelectStmt(first)) =
                s.query.as_ref().and_then(|q| q.node.as_ref())
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
                        columns.push(r.name.clone());
                    } else if let Some(v) = &r.val
                        && !matches!(v.node.as_ref(), Some(NodeEnum::ColumnRef(c))
                            if c.fields.iter().any(|f| matches!(f.node, Some(NodeEnum::AStar(_)))))
                        && let Some(c) = column_refs(v).last()
                    {
                        columns.push(c.clone());
                    } else {
                        columns_known = false;
                    }
                }
            }
        }
        Some(SchemaChange::CreateTableAs {
            name: obj_name(rv),
            at: self.origin(rv.location),
            columns,
            columns_known,
        })
    }

    fn alter_table_cmd(&self, c: &ast::AlterTableCmd) -> AlterTable {
        let def = c.def.as_ref().and_then(|d| d.node.as_ref());
        let col = || c.name.clone();
        match (at(c.subtype), def) {
            (At::AtAddColumn, Some(NodeEnum::ColumnDef(d))) => AlterTable::AddColumn {
                column: self.column(d),
                if_not_exists: c.missing_ok,
            },
            (At::AtColumnDefault, _) => AlterTable::SetDefault {
                column: col(),
                default: c.def.as_ref().map(|d| deparse_expr(d)),
            },
            (At::AtDropNotNull, _) => AlterTable::DropNotNull(col()),
            (At::AtSetNotNull, _) => AlterTable::SetNotNull(col()),
            (At::AtDropColumn, _) => AlterTable::DropColumn {
                column: col(),
                if_exists: c.missing_ok,
                cascade: c.behavior == ast::DropBehavior::DropCascade as i32,
            },
            (At::AtAddConstraint, Some(NodeEnum::Constraint(k))) => match self.constraint(k) {
                Some(k) => AlterTable::AddConstraint(k),
                None => AlterTable::Other,
            },
            (At::AtValidateConstraint, _) => AlterTable::ValidateConstraint(col()),
            (At::AtDropConstraint, _) => AlterTable::DropConstraint(col()),
            // PostgreSQL 18's parser gives an ATAlterConstraint (earlier ones a Constraint).
            (At::AtAlterConstraint, Some(NodeEnum::AtalterConstraint(k)))
                if k.alter_deferrability && !k.alter_enforceability && !k.alter_inheritability =>
            {
                AlterTable::AlterConstraint {
                    name: k.conname.clone(),
                    deferrable: k.deferrable,
                    initially_deferred: k.initdeferred,
                }
            }
            (At::AtAlterConstraint, Some(NodeEnum::Constraint(k))) => AlterTable::AlterConstraint {
                name: k.conname.clone(),
                deferrable: k.deferrable,
                initially_deferred: k.initdeferred,
            },
            (At::AtAlterColumnType, Some(NodeEnum::ColumnDef(d))) => match &d.type_name {
                Some(t) => AlterTable::AlterColumnType {
                    column: col(),
                    data_type: data_type(t).0,
                    using: d.raw_default.as_ref().map(|e| deparse_expr(e)),
                },
                None => AlterTable::Other,
            },
            (At::AtAddIdentity, Some(NodeEnum::Constraint(k))) => AlterTable::AddIdentity {
                column: col(),
                identity: Identity::from_generated_when(&k.generated_when),
            },
            (At::AtDropIdentity, _) => AlterTable::DropIdentity(col()),
            (At::AtDropExpression, _) => AlterTable::DropExpression(col()),
            (At::AtEnableRowSecurity, _) => AlterTable::RowSecurity(true),
            (At::AtDisableRowSecurity, _) => AlterTable::RowSecurity(false),
            (At::AtForceRowSecurity, _) => AlterTable::ForceRowSecurity(true),
            (At::AtNoForceRowSecurity, _) => AlterTable::ForceRowSecurity(false),
            (At::AtSetLogged, _) => AlterTable::SetLogged(true),
            (At::AtSetUnLogged, _) => AlterTable::SetLogged(false),
            (At::AtChangeOwner, _) => {
                AlterTable::SetOwner(c.newowner.as_ref().map(|r| r.rolename.clone()))
            }
            (At::AtAttachPartition, Some(NodeEnum::PartitionCmd(p))) => match &p.name {
                Some(r) => AlterTable::AttachPartition {
                    partition: obj_name(r),
                    bound: partition_bound_text(p.bound.as_ref()),
                },
                None => AlterTable::Other,
            },
            (At::AtDetachPartition, Some(NodeEnum::PartitionCmd(p))) => match &p.name {
                Some(r) => AlterTable::DetachPartition {
                    partition: obj_name(r),
                    concurrently: p.concurrent,
                },
                None => AlterTable::Other,
            },
            (At::AtResetRelOptions, Some(NodeEnum::List(l))) => AlterTable::ResetOptions(
                l.items
                    .iter()
                    .filter_map(|o| match o.node.as_ref() {
                        Some(NodeEnum::DefElem(d)) if d.defnamespace.is_empty() => {
                            Some(d.defname.clone())
                        }
                        Some(NodeEnum::DefElem(d)) => {
                            Some(format!("{}.{}", d.defnamespace, d.defname))
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            (
                At::AtSetStatistics
                | At::AtSetOptions
                | At::AtResetOptions
                | At::AtSetRelOptions
                | At::AtResetRelOptions
                | At::AtClusterOn
                | At::AtDropCluster,
                _,
            ) => AlterTable::SetStorage,
            (
                At::AtEnableTrig
                | At::AtEnableAlwaysTrig
                | At::AtEnableReplicaTrig
                | At::AtDisableTrig
                | At::AtEnableTrigAll
                | At::AtDisableTrigAll
                | At::AtEnableTrigUser
                | At::AtDisableTrigUser,
                _,
            ) => AlterTable::TriggerSwitch,
            (At::AtAddInherit, Some(NodeEnum::RangeVar(r))) => AlterTable::AddInherit(obj_name(r)),
            (At::AtDropInherit, Some(NodeEnum::RangeVar(r))) => {
                AlterTable::DropInherit(obj_name(r))
            }
            _ => AlterTable::Other,
        }
    }

    fn create_index(&self, s: &ast::IndexStmt) -> Option<CreateIndex> {
        let rv = s.relation.as_ref()?;
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
            keys.push(IndexKey {
                expr,
                opclass: joined(&e.opclass),
                collation: joined(&e.collation),
                descending: e.ordering == ast::SortByDir::SortbyDesc as i32,
                nulls_first: match e.nulls_ordering {
                    x if x == ast::SortByNulls::SortbyNullsFirst as i32 => Some(true),
                    x if x == ast::SortByNulls::SortbyNullsLast as i32 => Some(false),
                    _ => None,
                },
            });
        }
        Some(CreateIndex {
            table: obj_name(rv),
            name: (!s.idxname.is_empty()).then(|| s.idxname.clone()),
            if_not_exists: s.if_not_exists,
            unique: s.unique,
            primary: s.primary,
            concurrently: s.concurrent,
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
            only: !rv.inh,
        })
    }

    fn drop(&self, s: &ast::DropStmt) -> SchemaChange {
        let objects = s
            .objects
            .iter()
            .filter_map(|obj| obj.node.as_ref().map(object_ref))
            .filter(|o| !o.name.is_empty())
            .collect();
        SchemaChange::Drop(Drop {
            kind: object_kind(ot(s.remove_type)),
            objects,
            cascade: s.behavior == ast::DropBehavior::DropCascade as i32,
            if_exists: s.missing_ok,
            concurrently: s.concurrent,
        })
    }
}

/// An object a DROP or a COMMENT names: a dotted name, with a function's argument types when written.
fn object_ref(node: &NodeEnum) -> ObjectRef {
    match node {
        NodeEnum::List(l) => ObjectRef::named(strings(&l.items)),
        NodeEnum::String(st) => ObjectRef::named(vec![st.sval.clone()]),
        NodeEnum::TypeName(t) => ObjectRef::named(strings(&t.names)),
        NodeEnum::ObjectWithArgs(o) => ObjectRef {
            name: strings(&o.objname),
            args: (!o.args_unspecified).then(|| {
                o.objargs
                    .iter()
                    .filter_map(|a| match a.node.as_ref() {
                        Some(NodeEnum::TypeName(t)) => Some(data_type(t).0.to_string()),
                        _ => None,
                    })
                    .collect()
            }),
        },
        _ => ObjectRef::named(vec![]),
    }
}

fn sequence_options(options: &[ast::Node]) -> SequenceOptions {
    let mut out = SequenceOptions::default();
    for o in options {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        match d.defname.as_str() {
            "as" => {
                if let Some(NodeEnum::TypeName(t)) = d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                    out.data_type = Some(data_type(t).0);
                }
            }
            "maxvalue" => {
                out.max_value = d
                    .arg
                    .as_ref()
                    .and_then(|a| const_text(a))
                    .and_then(|v| v.parse().ok());
            }
            "owned_by" => {
                if let Some(NodeEnum::List(l)) = d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                    let parts = strings(&l.items);
                    if let Some((col, table)) = parts.split_last() {
                        out.owned_by = Some(
                            (!table.is_empty()).then(|| (ObjName::from_parts(table), col.clone())),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn grant(s: &ast::GrantStmt) -> Grant {
    let object_kind = match (s.targtype, ot(s.objtype)) {
        (t, o) if t == ast::GrantTargetType::AclTargetAllInSchema as i32 => {
            format!("ALL {}S IN SCHEMA", object_word(o))
        }
        (t, o) if t == ast::GrantTargetType::AclTargetDefaults as i32 => {
            format!("DEFAULT {}", object_word(o))
        }
        (_, o) => object_word(o).to_string(),
    };
    let objects = s
        .objects
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::RangeVar(r) => Some(GrantObject::Relation(obj_name(r))),
            NodeEnum::String(st) => Some(GrantObject::Named(st.sval.clone())),
            NodeEnum::ObjectWithArgs(o) => {
                Some(GrantObject::Named(name_list(&o.objname).join(".")))
            }
            NodeEnum::List(l) => Some(GrantObject::Named(strings(&l.items).join("."))),
            _ => None,
        })
        .collect();
    let mut privileges: Vec<Privilege> = s
        .privileges
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::AccessPriv(p) => Some(Privilege {
                name: p.priv_name.to_ascii_uppercase(),
                columns: strings(&p.cols),
            }),
            _ => None,
        })
        .collect();
    if privileges.is_empty() {
        privileges.push(Privilege::new("ALL"));
    }
    Grant {
        grant: s.is_grant,
        privileges,
        object_kind,
        objects,
        grantees: s.grantees.iter().filter_map(role_name).collect(),
        with_grant_option: s.grant_option,
    }
}

/// `ALTER FUNCTION` with only actions the model keeps (security, volatility, search_path).
fn alter_function(a: &ast::AlterFunctionStmt) -> Option<SchemaChange> {
    let f = a.func.as_ref()?;
    let mut security_definer = None;
    let mut volatility = None;
    let mut search_path = None;
    for o in &a.actions {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            return None;
        };
        let arg = d.arg.as_ref().and_then(|a| a.node.as_ref());
        let text = || d.arg.as_ref().and_then(|a| const_text(a));
        match (d.defname.as_str(), arg) {
            ("security", _) => security_definer = Some(text()? == "true"),
            ("volatility", _) => volatility = Some(text()?.to_ascii_lowercase()),
            ("set", Some(NodeEnum::VariableSetStmt(v)))
                if v.name.eq_ignore_ascii_case("search_path") =>
            {
                search_path = Some(if v.kind == ast::VariableSetKind::VarSetValue as i32 {
                    Some(
                        v.args
                            .iter()
                            .filter_map(const_text)
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                } else {
                    None
                });
            }
            _ => return None,
        }
    }
    Some(SchemaChange::AlterFunction {
        function: object_ref(&NodeEnum::ObjectWithArgs(f.clone())),
        procedure: a.objtype == Ot::ObjectProcedure as i32,
        security_definer,
        volatility,
        search_path,
    })
}

fn create_function(s: &ast::CreateFunctionStmt) -> CreateFunction {
    let arg_types = s
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
    let mut f = CreateFunction {
        name: parts_name(&s.funcname),
        or_replace: s.replace,
        definition: Definition::default(),
        arg_types,
        returns: s.return_type.as_ref().map(|t| data_type(t).0.to_string()),
        language: "sql".into(),
        body: None,
        security_definer: false,
        volatility: "volatile".into(),
        search_path: None,
        is_procedure: s.is_procedure,
    };
    for o in &s.options {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let arg = d.arg.as_ref().and_then(|a| a.node.as_ref());
        let text = || d.arg.as_ref().and_then(|a| const_text(a));
        match (d.defname.as_str(), arg) {
            ("language", _) => f.language = text().unwrap_or_default().to_ascii_lowercase(),
            ("as", Some(NodeEnum::List(l))) => f.body = l.items.first().and_then(const_text),
            ("volatility", _) => {
                if let Some(v) = text() {
                    f.volatility = v.to_ascii_lowercase();
                }
            }
            ("security", _) => f.security_definer = text().is_some_and(|v| v == "true"),
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
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceMap, parse_file};

    fn lowered(sql: &str) -> Vec<Lowered> {
        let mut sources = SourceMap::new();
        let file = sources.add("t.sql", sql.to_string());
        parse_file(&file)
            .expect("parses")
            .statements
            .iter()
            .map(lower)
            .collect()
    }

    fn one(sql: &str) -> SchemaChange {
        let mut l = lowered(sql);
        assert_eq!(l.len(), 1, "{sql}");
        let mut changes = l.remove(0).changes;
        assert_eq!(changes.len(), 1, "{sql}");
        changes.remove(0)
    }

    #[test]
    fn a_table_keeps_names_as_written_and_types_canonical() {
        let SchemaChange::CreateTable(t) = one(
            "CREATE TABLE app.\"Order\" (id bigserial PRIMARY KEY, total numeric(10,2) NOT NULL DEFAULT 0,
             user_id int REFERENCES users ON DELETE CASCADE, UNIQUE (user_id, total))",
        ) else {
            panic!("not a table")
        };
        assert_eq!(t.name, ObjName::new(Some("app"), "Order"));
        let [
            TableElement::Column(id),
            TableElement::Column(total),
            TableElement::Column(user_id),
            TableElement::Constraint(unique),
        ] = t.elements.as_slice()
        else {
            panic!("{:?}", t.elements)
        };
        assert!(id.serial);
        assert_eq!(
            id.data_type.as_ref().map(|t| t.to_string()).as_deref(),
            Some("bigint")
        );
        assert_eq!(
            total.constraints,
            [
                ColumnConstraint::NotNull,
                ColumnConstraint::Default("0".into())
            ]
        );
        let [ColumnConstraint::Constraint(fk)] = user_id.constraints.as_slice() else {
            panic!("{:?}", user_id.constraints)
        };
        // A constraint is placed where it is written.
        assert!(fk.at.start > user_id.at.start && fk.at.end - fk.at.start == "REFERENCES".len());
        assert!(matches!(
            &fk.kind,
            ConstraintDefKind::ForeignKey { ref_table: Some(r), on_delete: ReferentialAction::Cascade, columns, .. }
                if r.name == "users" && r.schema.is_none() && columns.is_empty()
        ));
        assert!(matches!(
            &unique.kind,
            ConstraintDefKind::Unique { columns, .. } if columns == &["user_id", "total"]
        ));
    }

    #[test]
    fn alter_table_commands_in_order() {
        let SchemaChange::AlterTable { name, commands, .. } = one(
            "ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS x text, ALTER COLUMN y TYPE bigint,
             ALTER COLUMN z DROP DEFAULT, ENABLE ROW LEVEL SECURITY, SET (fillfactor = 70)",
        ) else {
            panic!()
        };
        assert_eq!(name, ObjName::new(None, "t"));
        assert!(matches!(
            commands.as_slice(),
            [
                AlterTable::AddColumn { if_not_exists: true, .. },
                AlterTable::AlterColumnType { column, data_type, using: None },
                AlterTable::SetDefault { default: None, .. },
                AlterTable::RowSecurity(true),
                AlterTable::SetStorage,
            ] if column == "y" && data_type.name == "bigint"
        ));
    }

    #[test]
    fn what_cannot_be_lowered_says_so() {
        assert!(matches!(
            one("DO $$ BEGIN EXECUTE 'ALTER TABLE a ADD b int'; END $$"),
            SchemaChange::Opaque {
                may_touch: MayTouch::Anything,
                ..
            }
        ));
        assert!(matches!(
            one("CREATE RULE r AS ON INSERT TO t DO NOTHING"),
            SchemaChange::Opaque { reason, .. } if reason == "RuleStmt is not modelled"
        ));
        assert_eq!(
            one("DELETE FROM t"),
            SchemaChange::WriteRows(WriteRows {
                verb: RowVerb::Delete,
                table: ObjName::new(None, "t"),
                filtered: false,
                columns: vec![],
            })
        );
        let session: Vec<SchemaChange> = lowered(
            "BEGIN; SET lock_timeout = '1s'; SAVEPOINT a; RESET timezone; SET TRANSACTION READ ONLY; COMMIT",
        )
        .into_iter()
        .flat_map(|l| l.changes)
        .collect();
        assert_eq!(
            session,
            vec![
                SchemaChange::Transaction(Transaction::Begin),
                SchemaChange::SetSetting {
                    name: "lock_timeout".into(),
                    value: Some("1s".into())
                },
                SchemaChange::Transaction(Transaction::Savepoint),
                SchemaChange::SetSetting {
                    name: "timezone".into(),
                    value: None
                },
                SchemaChange::Transaction(Transaction::End),
            ]
        );
        assert_eq!(
            one("COMMIT AND CHAIN"),
            SchemaChange::Transaction(Transaction::Chain)
        );
        assert_eq!(
            one("ROLLBACK AND NO CHAIN"),
            SchemaChange::Transaction(Transaction::End)
        );
        assert_eq!(
            one("ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID"),
            SchemaChange::AlterDomain {
                name: ObjName::new(None, "d"),
                command: AlterDomain::AddConstraint {
                    name: Some("c".into()),
                    not_valid: true
                }
            }
        );
    }

    #[test]
    fn schema_elements_and_search_path() {
        let SchemaChange::CreateSchema { name, elements } =
            one("CREATE SCHEMA s CREATE TABLE a (x int) CREATE VIEW v AS SELECT x FROM a")
        else {
            panic!()
        };
        assert_eq!(name, "s");
        assert!(matches!(
            elements.as_slice(),
            [SchemaChange::CreateTable(_), SchemaChange::CreateView { reads, .. }]
                if reads == &[ObjName::new(None, "a")]
        ));
        assert_eq!(
            one("SET search_path = app, public"),
            SchemaChange::SetSearchPath(Some(vec!["app".into(), "public".into()]))
        );
        assert_eq!(one("RESET search_path"), SchemaChange::SetSearchPath(None));
    }

    #[test]
    fn a_view_reads_relations_not_its_ctes() {
        let SchemaChange::CreateView { reads, query, .. } = one(
            "CREATE VIEW v AS WITH recent AS (SELECT * FROM public.orders) SELECT r.id, c.name
             FROM recent r JOIN customers c ON c.id = r.customer_id",
        ) else {
            panic!()
        };
        assert_eq!(reads.len(), 2, "{reads:?}");
        assert!(reads.contains(&ObjName::new(Some("public"), "orders")));
        assert!(reads.contains(&ObjName::new(None, "customers")));
        let r = query.reads();
        assert!(
            r.columns
                .contains(&(ObjName::new(None, "customers"), "name".into()))
        );
    }
}
