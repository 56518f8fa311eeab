//! Derive a down migration from an up: each statement's reverse, computed from the schema as it was before
//! the statement (so a dropped index or a changed column type can be put back as it was), in reverse order.
//! Steps that cannot give back what the up destroyed (dropped data, enum values, data changes) are marked
//! irreversible, with the structural part restored where that is possible.

use dbarch_sql::ast::{self, AlterTableType as At, ObjectType as Ot};
use dbarch_sql::expr::{deparse_stmt, name_list, quote_ident};
use dbarch_sql::{NodeEnum, Statement};

use dbarch_catalog::*;
use dbarch_sql::change::obj_name;

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
        let mut after = cat.clone();
        after.replay(stmt);
        let mut step = ReverseStep {
            up_offset: stmt.span.start,
            up: stmt.sql.lines().next().unwrap_or("").trim().to_string(),
            sql: vec![],
            irreversible: None,
            underived: false,
        };
        reverse(&cat, &after, &stmt.node, &mut step);
        if !step.sql.is_empty() || step.irreversible.is_some() || step.underived {
            steps.push(step);
        }
        cat = after;
    }
    steps.reverse();
    steps
}

fn q(name: &QualifiedName) -> String {
    name.to_string()
}

fn column_sql(c: &Column) -> String {
    let mut s = format!("{} {}", quote_ident(&c.name), c.data_type);
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    } else if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
        if c.not_null {
            s.push_str(" NOT NULL");
        }
    }
    s
}

fn idents(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn constraint_sql(k: &Constraint) -> Option<String> {
    let body = match &k.kind {
        ConstraintKind::PrimaryKey { columns, .. } => format!("PRIMARY KEY ({})", idents(columns)),
        ConstraintKind::Unique { columns, .. } => format!("UNIQUE ({})", idents(columns)),
        ConstraintKind::Check { expr, .. } => format!("CHECK ({expr})"),
        ConstraintKind::ForeignKey(fk) => {
            let mut s = format!(
                "FOREIGN KEY ({}) REFERENCES {}",
                idents(&fk.columns),
                fk.ref_table
            );
            if !fk.ref_columns.is_empty() {
                s.push_str(&format!(" ({})", idents(&fk.ref_columns)));
            }
            if fk.on_delete != ReferentialAction::NoAction {
                s.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
            }
            if fk.on_update != ReferentialAction::NoAction {
                s.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
            }
            s
        }
        _ => return None,
    };
    Some(format!("CONSTRAINT {} {body}", quote_ident(&k.name)))
}

fn reverse(before: &Catalog, after: &Catalog, node: &NodeEnum, step: &mut ReverseStep) {
    match node {
        NodeEnum::TransactionStmt(_) | NodeEnum::VariableSetStmt(_) => {}
        NodeEnum::CreateStmt(c) => {
            if let Some(rv) = &c.relation {
                let name = after.resolve(&obj_name(rv));
                if !before.tables.contains_key(&name) {
                    step.sql.push(format!("DROP TABLE {};", q(&name)));
                }
            }
        }
        NodeEnum::CreateTableAsStmt(c) => {
            if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let name = after.resolve(&obj_name(rv));
                if after.views.get(&name).is_some_and(|v| v.materialized) {
                    step.sql
                        .push(format!("DROP MATERIALIZED VIEW {};", q(&name)));
                } else if !before.tables.contains_key(&name) {
                    step.sql.push(format!("DROP TABLE {};", q(&name)));
                }
            }
        }
        NodeEnum::IndexStmt(i) => {
            for name in after
                .indexes
                .keys()
                .filter(|k| !before.indexes.contains_key(*k))
            {
                step.sql.push(format!(
                    "DROP INDEX {}IF EXISTS {};",
                    if i.concurrent { "CONCURRENTLY " } else { "" },
                    q(name)
                ));
            }
        }
        NodeEnum::ViewStmt(v) => {
            let Some(rv) = &v.view else { return };
            let name = after.resolve(&obj_name(rv));
            match before.views.get(&name) {
                Some(old) => step.sql.push(format!(
                    "CREATE OR REPLACE VIEW {} AS {};",
                    q(&name),
                    old.query
                )),
                None => step.sql.push(format!("DROP VIEW {};", q(&name))),
            }
        }
        NodeEnum::CreateSeqStmt(s) => {
            if let Some(rv) = &s.sequence {
                step.sql.push(format!(
                    "DROP SEQUENCE {};",
                    q(&after.resolve(&obj_name(rv)))
                ));
            }
        }
        NodeEnum::CreateEnumStmt(e) => {
            let parts = name_list(&e.type_name);
            step.sql
                .push(format!("DROP TYPE {};", q(&after.resolve_name(&parts))));
        }
        NodeEnum::CompositeTypeStmt(c) => {
            if let Some(rv) = &c.typevar {
                step.sql
                    .push(format!("DROP TYPE {};", q(&after.resolve(&obj_name(rv)))));
            }
        }
        NodeEnum::CreateDomainStmt(d) => {
            let parts = name_list(&d.domainname);
            step.sql
                .push(format!("DROP DOMAIN {};", q(&after.resolve_name(&parts))));
        }
        NodeEnum::CreateExtensionStmt(e) => {
            step.sql.push(format!(
                "DROP EXTENSION IF EXISTS {};",
                quote_ident(&e.extname)
            ));
        }
        NodeEnum::CreateSchemaStmt(s) => {
            // `CREATE SCHEMA AUTHORIZATION alice` names the schema after its owner.
            let owner = s.authrole.as_ref().and_then(|r| {
                (r.roletype == pg_query::protobuf::RoleSpecType::RolespecCstring as i32)
                    .then(|| r.rolename.clone())
            });
            match (s.schemaname.as_str(), owner) {
                ("", Some(owner)) if !owner.is_empty() => step
                    .sql
                    .push(format!("DROP SCHEMA {};", quote_ident(&owner))),
                ("", _) => {
                    step.irreversible = Some(
                        "the schema is named after the role running the migration (CURRENT_USER): \
                         drop it by that name"
                            .to_string(),
                    )
                }
                (name, _) => step.sql.push(format!("DROP SCHEMA {};", quote_ident(name))),
            }
        }
        NodeEnum::CreateTrigStmt(t) => {
            if let Some(rv) = &t.relation {
                step.sql.push(format!(
                    "DROP TRIGGER {} ON {};",
                    quote_ident(&t.trigname),
                    q(&after.resolve(&obj_name(rv)))
                ));
            }
        }
        NodeEnum::CreateFunctionStmt(f) => {
            let parts = name_list(&f.funcname);
            let name = after.resolve_name(&parts);
            let new = after.functions.iter().rev().find(|x| x.name == name);
            let existed = new.is_some_and(|n| {
                before
                    .functions
                    .iter()
                    .any(|o| o.name == n.name && o.arg_types == n.arg_types)
            });
            if existed {
                step.irreversible = Some(format!(
                    "the previous definition of {name} is replaced; restore it from the migration that created it"
                ));
            } else if let Some(n) = new {
                step.sql.push(format!(
                    "DROP {} {}({});",
                    if n.is_procedure {
                        "PROCEDURE"
                    } else {
                        "FUNCTION"
                    },
                    q(&name),
                    n.arg_types.join(", ")
                ));
            }
        }
        NodeEnum::AlterTableStmt(a) => {
            let Some(rv) = &a.relation else { return };
            let name = before.resolve(&obj_name(rv));
            let (Some(old), Some(new)) = (before.tables.get(&name), after.tables.get(&name)) else {
                step.underived = true;
                return;
            };
            let mut sql = vec![];
            for c in a.cmds.iter().rev().filter_map(|c| match c.node.as_ref() {
                Some(NodeEnum::AlterTableCmd(c)) => Some(c),
                _ => None,
            }) {
                alter_cmd(old, new, c, &mut sql, step);
            }
            step.sql.extend(sql);
        }
        NodeEnum::RenameStmt(r) => rename(before, r, step),
        NodeEnum::DropStmt(d) => drop(before, d, step),
        NodeEnum::AlterEnumStmt(e) if e.old_val.is_empty() => {
            step.irreversible = Some(format!(
                "PostgreSQL cannot remove the enum value '{}' once added (recreate the type to drop it)",
                e.new_val
            ));
        }
        NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) => {
            step.irreversible =
                Some("a data change: the rows as they were are not recorded".to_string());
        }
        NodeEnum::GrantStmt(g) => {
            let mut g = g.clone();
            // GRANT ... WITH GRANT OPTION is undone by a plain REVOKE (privilege and option);
            // REVOKE GRANT OPTION FOR by GRANT ... WITH GRANT OPTION; a REVOKE's CASCADE has no GRANT
            // counterpart.
            g.grant_option = !g.is_grant && g.grant_option;
            g.is_grant = !g.is_grant;
            g.behavior = pg_query::protobuf::DropBehavior::DropRestrict as i32;
            step.sql
                .push(format!("{};", deparse_stmt(&NodeEnum::GrantStmt(g))));
        }
        NodeEnum::CommentStmt(c) => {
            let mut c = c.clone();
            c.comment = String::new();
            let text = deparse_stmt(&NodeEnum::CommentStmt(c));
            // The previous comment is not tracked for every object kind: clearing it is the reverse of
            // setting one where none was.
            step.sql.push(format!("{text};"));
        }
        _ => step.underived = true,
    }
}

fn alter_cmd(
    old: &Table,
    new: &Table,
    c: &ast::AlterTableCmd,
    sql: &mut Vec<String>,
    step: &mut ReverseStep,
) {
    let t = q(&old.name);
    let col = quote_ident(&c.name);
    match At::try_from(c.subtype).unwrap_or(At::Undefined) {
        At::AtAddColumn => {
            if let Some(NodeEnum::ColumnDef(d)) = c.def.as_ref().and_then(|d| d.node.as_ref())
                && old.column(&d.colname).is_none()
            {
                sql.push(format!(
                    "ALTER TABLE {t} DROP COLUMN {};",
                    quote_ident(&d.colname)
                ));
            }
        }
        At::AtDropColumn => match old.column(&c.name) {
            Some(oc) => {
                sql.push(format!("ALTER TABLE {t} ADD COLUMN {};", column_sql(oc)));
                step.irreversible = Some(format!(
                    "the data in {t}.{} is lost: the column comes back empty{}",
                    c.name,
                    if oc.not_null && oc.default.is_none() {
                        " and without its NOT NULL"
                    } else {
                        ""
                    }
                ));
            }
            None => step.underived = true,
        },
        At::AtAlterColumnType => match old.column(&c.name) {
            Some(oc) => {
                sql.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {col} TYPE {} USING {col}::{};",
                    oc.data_type, oc.data_type
                ));
                let widened = new
                    .column(&c.name)
                    .is_some_and(|nc| nc.data_type != oc.data_type);
                if widened {
                    step.irreversible.get_or_insert_with(|| format!(
                        "values written since that do not fit {} make the reverse fail or lose precision",
                        oc.data_type
                    ));
                }
            }
            None => step.underived = true,
        },
        At::AtSetNotNull => {
            if !old.column(&c.name).is_some_and(|oc| oc.not_null) {
                sql.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP NOT NULL;"));
            }
        }
        At::AtDropNotNull => {
            if old.column(&c.name).is_some_and(|oc| oc.not_null) {
                sql.push(format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;"));
            }
        }
        At::AtColumnDefault => match old.column(&c.name).and_then(|oc| oc.default.as_ref()) {
            Some(d) => sql.push(format!(
                "ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {d};"
            )),
            None => sql.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT;")),
        },
        At::AtAddConstraint => {
            for k in new
                .constraints
                .iter()
                .filter(|k| !old.constraints.iter().any(|o| o.name == k.name))
            {
                sql.push(format!(
                    "ALTER TABLE {t} DROP CONSTRAINT {};",
                    quote_ident(&k.name)
                ));
            }
        }
        At::AtDropConstraint => {
            if let Some(k) = old.constraints.iter().find(|k| k.name == c.name) {
                match constraint_sql(k) {
                    Some(s) => sql.push(format!("ALTER TABLE {t} ADD {s};")),
                    None => step.underived = true,
                }
            }
        }
        At::AtValidateConstraint => {}
        At::AtEnableRowSecurity => sql.push(format!("ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;")),
        At::AtDisableRowSecurity => sql.push(format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;")),
        _ => step.underived = true,
    }
}

fn rename(before: &Catalog, r: &ast::RenameStmt, step: &mut ReverseStep) {
    let rename_type = Ot::try_from(r.rename_type).unwrap_or(Ot::Undefined);
    let new = quote_ident(&r.newname);
    match (rename_type, r.relation.as_ref()) {
        (Ot::ObjectColumn, Some(rv)) => step.sql.push(format!(
            "ALTER TABLE {} RENAME COLUMN {new} TO {};",
            q(&before.resolve(&obj_name(rv))),
            quote_ident(&r.subname)
        )),
        (Ot::ObjectTabconstraint, Some(rv)) => step.sql.push(format!(
            "ALTER TABLE {} RENAME CONSTRAINT {new} TO {};",
            q(&before.resolve(&obj_name(rv))),
            quote_ident(&r.subname)
        )),
        (Ot::ObjectTable | Ot::ObjectIndex | Ot::ObjectView | Ot::ObjectSequence, Some(rv)) => {
            let kind = match rename_type {
                Ot::ObjectTable => "TABLE",
                Ot::ObjectIndex => "INDEX",
                Ot::ObjectView => "VIEW",
                _ => "SEQUENCE",
            };
            let old = before.resolve(&obj_name(rv));
            let renamed = QualifiedName {
                schema: old.schema.clone(),
                name: r.newname.clone(),
            };
            step.sql.push(format!(
                "ALTER {kind} {} RENAME TO {};",
                q(&renamed),
                quote_ident(&old.name)
            ));
        }
        _ => step.underived = true,
    }
}

fn drop(before: &Catalog, d: &ast::DropStmt, step: &mut ReverseStep) {
    let kind = Ot::try_from(d.remove_type).unwrap_or(Ot::Undefined);
    for o in &d.objects {
        let Some(NodeEnum::List(l)) = o.node.as_ref() else {
            step.irreversible = Some(
                "the dropped object is gone; recreate it from the migration that created it".into(),
            );
            continue;
        };
        let name = before.resolve_name(&name_list(&l.items));
        match kind {
            Ot::ObjectIndex => match before.indexes.get(&name) {
                Some(i) => {
                    let create = i.create_sql();
                    let create = if d.concurrent {
                        create.replacen(" INDEX ", " INDEX CONCURRENTLY ", 1)
                    } else {
                        create
                    };
                    step.sql.push(format!("{create};"));
                }
                None if d.missing_ok => {}
                None => step.underived = true,
            },
            Ot::ObjectView | Ot::ObjectMatview => match before.views.get(&name) {
                Some(v) => step.sql.push(format!(
                    "CREATE {}VIEW {} AS {};",
                    if v.materialized { "MATERIALIZED " } else { "" },
                    q(&name),
                    v.query
                )),
                None if d.missing_ok => {}
                None => step.underived = true,
            },
            Ot::ObjectTable => {
                if before.tables.contains_key(&name) {
                    step.irreversible = Some(format!(
                        "table {name} and its rows are gone; recreate it from the migrations that built it"
                    ));
                }
            }
            _ => {
                step.irreversible = Some(format!(
                    "{name} is dropped; recreate it from the migration that created it"
                ));
            }
        }
    }
}
