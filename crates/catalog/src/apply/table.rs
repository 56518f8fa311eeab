//! Tables: CREATE TABLE (columns, constraints, partitions), CREATE TABLE AS, ALTER TABLE, sequences' options.

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self, AlterTableType as At, ConstrType, ObjectType as Ot};
use dbarch_sql::expr::{column_refs, deparse_expr};

use std::sync::Arc;

use crate::names::default_name;
use crate::types::data_type;

use super::*;

impl Catalog {
    pub(super) fn create_table(&mut self, s: &ast::CreateStmt, cx: &Ctx) {
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

    pub(super) fn add_column(
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

    pub(super) fn constraint(
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

    pub(super) fn create_table_as(&mut self, s: &ast::CreateTableAsStmt, cx: &Ctx) {
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

    pub(super) fn alter_table(&mut self, s: &ast::AlterTableStmt, cx: &Ctx) {
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

    pub(super) fn alter_table_cmd(
        &mut self,
        name: &QualifiedName,
        c: &ast::AlterTableCmd,
        cx: &Ctx,
    ) {
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

    pub(super) fn sequence_options(&self, seq: &mut Sequence, options: &[ast::Node]) {
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
}

pub(super) fn partition_bound_text(b: Option<&ast::PartitionBoundSpec>) -> String {
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
