use super::{Refusal, alter_table, is, report_refusals};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_catalog::{Catalog, ConstraintKind, QualifiedName};
use dbarch_sql::{NodeEnum, ast};

pub static RULE: Rule = Rule {
    code: "MIG033",
    name: "fails-against-schema",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A statement PostgreSQL refuses on the schema the history has built: the migration fails.",
    doc: Doc {
        what: "Statements that cannot run on the schema as the earlier migrations left it: CREATE TABLE or \
               CREATE INDEX of a name another relation has, ADD COLUMN of a column that exists, DROP COLUMN, \
               ALTER COLUMN or RENAME COLUMN of one that does not, RENAME to a name in use, a second PRIMARY \
               KEY, and a FOREIGN KEY whose referenced columns have no primary key or unique constraint. \
               `IF [NOT] EXISTS` forms are left alone. Down scripts are checked the same way (MIG021).",
        why: "Each of these is refused by PostgreSQL (`relation already exists`, `column ... does not exist`, \
              `multiple primary keys`, `there is no unique constraint matching given keys`): the migration \
              fails at deploy time, usually because it was written against a different schema than the one the \
              history produces (a branch merged out of order, an edited earlier migration).",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_email text);\n-- migration\nALTER TABLE orders ADD FOREIGN KEY (user_email) REFERENCES users (email);",
        use_instead: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE orders ADD FOREIGN KEY (user_email) REFERENCES users (email) NOT VALID;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html",
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
        ],
    },
    fixtures: fixtures!("MIG033"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    report_refusals(cx, &cx.refusals.schema, out);
}

/// Whether a relation (table, view, index or sequence: they share one namespace) has this name; the
/// indexes of PRIMARY KEY, UNIQUE and EXCLUDE constraints are named after their constraints.
fn relation_exists(catalog: &Catalog, name: &QualifiedName) -> bool {
    catalog.tables.contains_key(name)
        || catalog.views.contains_key(name)
        || catalog.indexes.contains_key(name)
        || catalog.sequences.contains_key(name)
        || catalog.tables.values().any(|t| {
            t.name.schema == name.schema
                && t.constraints.iter().any(|c| {
                    c.name == name.name
                        && matches!(
                            c.kind,
                            ConstraintKind::PrimaryKey { .. }
                                | ConstraintKind::Unique { .. }
                                | ConstraintKind::Exclude { .. }
                        )
                })
        })
}

/// What makes PostgreSQL refuse `node` on the schema `catalog` (only what the schema shows for certain).
pub(crate) fn fails(catalog: &Catalog, node: &NodeEnum) -> Vec<Refusal> {
    let mut out = vec![];
    match node {
        NodeEnum::CreateStmt(c) if !c.if_not_exists => {
            if let Some(rv) = &c.relation {
                let name = qualify(catalog, rv);
                if relation_exists(catalog, &name) {
                    out.push(Refusal::new(
                        format!("exists:{name}"),
                        format!("CREATE TABLE {name} fails: a relation of that name exists"),
                        "Use another name, or drop or rename the existing relation first.",
                    ));
                }
            }
        }
        NodeEnum::IndexStmt(i) if !i.if_not_exists && !i.idxname.is_empty() => {
            if let Some(rv) = &i.relation {
                let table = catalog.resolve(&dbarch_sql::change::obj_name(rv));
                let name = QualifiedName::new(table.schema.clone(), i.idxname.clone());
                if catalog.tables.contains_key(&table) && relation_exists(catalog, &name) {
                    out.push(Refusal::new(
                        format!("exists:{name}"),
                        format!("CREATE INDEX {name} fails: a relation of that name exists"),
                        "Use another index name (or IF NOT EXISTS when the same index may be there).",
                    ));
                }
            }
        }
        NodeEnum::RenameStmt(r) => rename(catalog, r, &mut out),
        _ => {}
    }
    let Some((rv, cmds)) = alter_table(node) else {
        return out;
    };
    let name = catalog.resolve(&dbarch_sql::change::obj_name(rv));
    let Some(table) = catalog.tables.get(&name) else {
        return out;
    };
    // Whether the model knows every column of the table (inherited columns and some CREATE TABLE AS
    // columns it may not).
    let complete = table.columns_known && table.inherits.is_empty() && !table.is_partition();
    // The subcommands of one ALTER TABLE run in order, each on what the previous ones left.
    let pk = table.primary_key();
    let mut has_pk = pk.is_some();
    let mut dropped: Vec<&str> = vec![];
    let mut added: Vec<&str> = vec![];
    let has_column = |c: &str, dropped: &[&str], added: &[&str]| {
        added.contains(&c) || (table.column(c).is_some() && !dropped.contains(&c))
    };
    for c in cmds {
        use ast::AlterTableType as A;
        if is(c, A::AtAddColumn) {
            if let Some(NodeEnum::ColumnDef(d)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                if !c.missing_ok && has_column(&d.colname, &dropped, &added) {
                    out.push(Refusal::new(
                        format!("column-exists:{name}.{}", d.colname),
                        format!("ADD COLUMN {} fails: {name} already has that column", d.colname),
                        "Drop the statement, or write ADD COLUMN IF NOT EXISTS when the column may be there.",
                    ));
                }
                added.push(&d.colname);
                dropped.retain(|x| *x != d.colname);
            }
        } else if is(c, A::AtAddConstraint) {
            if let Some(NodeEnum::Constraint(k)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                constraint(catalog, &name, has_pk, k, &mut out);
                if k.contype == ast::ConstrType::ConstrPrimary as i32 {
                    has_pk = true;
                }
            }
        } else if is(c, A::AtDropConstraint) {
            if pk.is_some_and(|k| k.name == c.name) {
                has_pk = false;
            }
        } else if ((is(c, A::AtDropColumn) && !c.missing_ok)
            || is(c, A::AtAlterColumnType)
            || is(c, A::AtSetNotNull)
            || is(c, A::AtDropNotNull)
            || is(c, A::AtColumnDefault))
            && !c.name.is_empty()
            && complete
            && !has_column(&c.name, &dropped, &added)
        {
            out.push(Refusal::new(
                format!("no-column:{name}.{}", c.name),
                format!("this fails: {name} has no column {}", c.name),
                "Check the column's name against the migrations before this one.",
            ));
        }
        if is(c, A::AtDropColumn) {
            // Dropping a column of the primary key drops the key.
            if table
                .primary_key_columns()
                .is_some_and(|k| k.contains(&c.name))
            {
                has_pk = false;
            }
            dropped.push(&c.name);
            added.retain(|x| *x != c.name);
        }
    }
    out
}

/// The name a new relation gets (its schema, or the creation schema).
fn qualify(catalog: &Catalog, rv: &ast::RangeVar) -> QualifiedName {
    if rv.schemaname.is_empty() {
        QualifiedName::new(catalog.creation_schema(), rv.relname.clone())
    } else {
        QualifiedName::new(rv.schemaname.clone(), rv.relname.clone())
    }
}

fn constraint(
    catalog: &Catalog,
    name: &QualifiedName,
    has_pk: bool,
    k: &ast::Constraint,
    out: &mut Vec<Refusal>,
) {
    if k.contype == ast::ConstrType::ConstrPrimary as i32 && has_pk {
        out.push(Refusal::new(
            format!("second-pk:{name}"),
            format!("ADD PRIMARY KEY fails: {name} already has a primary key"),
            "Drop the existing primary key constraint first, in the same transaction.",
        ));
    }
    if k.contype != ast::ConstrType::ConstrForeign as i32 {
        return;
    }
    let Some(pk_table) = k.pktable.as_ref() else {
        return;
    };
    let referenced = catalog.resolve(&dbarch_sql::change::obj_name(pk_table));
    let Some(target) = catalog.tables.get(&referenced) else {
        return;
    };
    if target.is_partition() {
        return;
    }
    let columns = dbarch_sql::expr::name_list(&k.pk_attrs);
    if columns.is_empty() {
        if target.primary_key().is_none() {
            out.push(Refusal::new(
                format!("fk-no-pk:{name}:{referenced}"),
                format!(
                    "this foreign key fails: {referenced} has no primary key to reference (name the columns)"
                ),
                "Reference columns that have a primary key or unique constraint.",
            ));
        }
        return;
    }
    let same_set =
        |set: &[String]| set.len() == columns.len() && columns.iter().all(|c| set.contains(c));
    let unique_constraint = target.unique_column_sets().any(same_set);
    let unique_index = catalog.indexes.values().any(|i| {
        i.table == referenced
            && i.unique
            && i.predicate.is_none()
            && same_set(
                &i.key_columns()
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>(),
            )
            && i.key_columns().len() == i.keys.len()
    });
    if !unique_constraint && !unique_index {
        out.push(Refusal::new(
            format!("fk-not-unique:{name}:{referenced}({})", columns.join(",")),
            format!(
                "this foreign key fails: no primary key or unique constraint of {referenced} is on ({})",
                columns.join(", ")
            ),
            "Add a unique constraint (or unique index) on the referenced columns first.",
        ));
    }
}

fn rename(catalog: &Catalog, r: &ast::RenameStmt, out: &mut Vec<Refusal>) {
    let Some(rv) = r.relation.as_ref() else {
        return;
    };
    let name = catalog.resolve(&dbarch_sql::change::obj_name(rv));
    match r.rename_type {
        t if t == ast::ObjectType::ObjectColumn as i32 => {
            let Some(table) = catalog.tables.get(&name) else {
                return;
            };
            let complete =
                table.columns_known && table.inherits.is_empty() && !table.is_partition();
            if complete && table.column(&r.subname).is_none() && !r.missing_ok {
                out.push(Refusal::new(
                    format!("no-column:{name}.{}", r.subname),
                    format!("RENAME COLUMN fails: {name} has no column {}", r.subname),
                    "Check the column's name against the migrations before this one.",
                ));
            } else if table.column(&r.newname).is_some() && r.subname != r.newname {
                out.push(Refusal::new(
                    format!("column-exists:{name}.{}", r.newname),
                    format!(
                        "RENAME COLUMN fails: {name} already has a column {}",
                        r.newname
                    ),
                    "Rename to a name the table does not use.",
                ));
            }
        }
        t if t == ast::ObjectType::ObjectTable as i32
            || t == ast::ObjectType::ObjectView as i32
            || t == ast::ObjectType::ObjectMatview as i32
            || t == ast::ObjectType::ObjectIndex as i32
            || t == ast::ObjectType::ObjectSequence as i32 =>
        {
            let new = QualifiedName::new(name.schema.clone(), r.newname.clone());
            if relation_exists(catalog, &name) && new != name && relation_exists(catalog, &new) {
                out.push(Refusal::new(
                    format!("exists:{new}"),
                    format!("RENAME of {name} fails: a relation named {new} exists"),
                    "Rename to a name no relation of the schema uses.",
                ));
            }
        }
        _ => {}
    }
}
