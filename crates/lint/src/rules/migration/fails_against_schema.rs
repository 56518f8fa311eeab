use super::{Refusal, alter_tables, report_refusals};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_catalog::{Catalog, QualifiedName};
use dbarch_sql::change::{
    AlterTable, ConstraintDef, ConstraintDefKind, Lowered, ObjName, ObjectKind, Rename,
    SchemaChange,
};

pub static RULE: Rule = Rule {
    code: "MIG033",
    name: "fails-against-schema",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A statement PostgreSQL refuses on the schema the history has built: the migration fails.",
    doc: Doc {
        what: "Statements that cannot run on the schema as the earlier migrations left it: CREATE TABLE or \
               CREATE INDEX of a name another relation has, ADD COLUMN of a column that exists, DROP COLUMN, \
               ALTER COLUMN or RENAME COLUMN of one that does not, RENAME to a name in use, DROP TABLE, VIEW, \
               MATERIALIZED VIEW or INDEX of a relation that does not exist (unless a statement the model \
               does not follow, or an extension that makes relations, may have created it), a second PRIMARY \
               KEY, an INSERT or UPDATE naming a column the table does not have, and a FOREIGN KEY whose referenced \
               columns have no primary key or unique constraint. \
               `IF [NOT] EXISTS` forms are left alone. Down scripts are checked the same way (MIG021).",
        why: "Each of these is refused by PostgreSQL (`relation already exists`, `column ... does not exist`, \
              `multiple primary keys`, `table ... does not exist`, `there is no unique constraint matching given keys`): the migration \
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

/// What makes PostgreSQL refuse a statement's `changes` on the schema `catalog` (only what the schema
/// shows for certain).
pub(crate) fn fails(catalog: &Catalog, changes: &Lowered, relations_known: bool) -> Vec<Refusal> {
    let mut out = vec![];
    for c in &changes.changes {
        if let SchemaChange::CreateIndex(i) = c
            && i.unique
        {
            let table = catalog.resolve(&i.table);
            if let Some(p) = catalog
                .tables
                .get(&table)
                .and_then(|t| t.partition_by.as_ref())
                && let Some(columns) = plain_columns(&i.keys)
            {
                partition_key(&table, &p.keys, &columns, &mut out);
            }
        }
        match c {
            SchemaChange::CreateTable(t) if !t.if_not_exists => {
                let name = qualify(catalog, &t.name);
                if catalog.relation_exists(&name) {
                    out.push(Refusal::new(
                        format!("exists:{name}"),
                        format!("CREATE TABLE {name} fails: a relation of that name exists"),
                        "Use another name, or drop or rename the existing relation first.",
                    ));
                }
                if let Some(p) = &t.partition_by {
                    for key in created_keys(t) {
                        partition_key(&name, &p.keys, &key, &mut out);
                    }
                }
            }
            SchemaChange::CreateIndex(i) if !i.if_not_exists => {
                let Some(index) = &i.name else { continue };
                let table = catalog.resolve(&i.table);
                let name = QualifiedName::new(table.schema.clone(), index.clone());
                if catalog.tables.contains_key(&table) && catalog.relation_exists(&name) {
                    out.push(Refusal::new(
                        format!("exists:{name}"),
                        format!("CREATE INDEX {name} fails: a relation of that name exists"),
                        "Use another index name (or IF NOT EXISTS when the same index may be there).",
                    ));
                }
            }
            SchemaChange::Rename(r) => rename(catalog, r, &mut out),
            SchemaChange::WriteRows(w) => write_missing(catalog, w, &mut out),
            SchemaChange::Drop(d) if relations_known && !d.if_exists => {
                drop_missing(catalog, d, &mut out)
            }
            _ => {}
        }
    }
    for (name, commands) in alter_tables(changes) {
        alter(catalog, name, commands, &mut out);
    }
    out
}

/// Whether the model knows every column of the table (inherited columns and some CREATE TABLE AS
/// columns it may not).
fn knows_every_column(table: &dbarch_catalog::Table) -> bool {
    table.columns_known && table.inherits.is_empty() && !table.is_partition()
}

/// An INSERT or UPDATE naming a column its table does not have (`column ... does not exist`), when the
/// model knows every column of the table.
fn write_missing(catalog: &Catalog, w: &dbarch_sql::change::WriteRows, out: &mut Vec<Refusal>) {
    let name = catalog.resolve(&w.table);
    let Some(table) = catalog.tables.get(&name) else {
        return;
    };
    if !knows_every_column(table) {
        return;
    }
    for column in &w.columns {
        if table.column(column).is_none() {
            out.push(Refusal::new(
                format!("no-column:{name}.{column}"),
                format!(
                    "this {} fails: {name} has no column {column}",
                    w.verb.keyword()
                ),
                "Check the column's name against the migrations before this one.",
            ));
        }
    }
}

/// A DROP TABLE, VIEW, MATERIALIZED VIEW or INDEX without IF EXISTS of a relation the schema does not
/// have (`... does not exist`).
fn drop_missing(catalog: &Catalog, d: &dbarch_sql::change::Drop, out: &mut Vec<Refusal>) {
    let what = match d.kind {
        ObjectKind::Table => "TABLE",
        ObjectKind::View => "VIEW",
        ObjectKind::MaterializedView => "MATERIALIZED VIEW",
        ObjectKind::Index => "INDEX",
        _ => return,
    };
    for o in &d.objects {
        let name = match o.name.as_slice() {
            [s, n] => QualifiedName::new(s.clone(), n.clone()),
            [n] => catalog.resolve(&ObjName::new(None, n)),
            _ => continue,
        };
        if !catalog.relation_exists(&name) {
            out.push(Refusal::new(
                format!("no-relation:{name}"),
                format!("DROP {what} {name} fails: there is no relation of that name"),
                "Drop what the earlier migrations created, or write DROP ... IF EXISTS when it may be missing.",
            ));
        }
    }
}

fn alter(catalog: &Catalog, name: &ObjName, commands: &[AlterTable], out: &mut Vec<Refusal>) {
    let name = catalog.resolve(name);
    let Some(table) = catalog.tables.get(&name) else {
        return;
    };
    let complete = knows_every_column(table);
    // The subcommands of one ALTER TABLE run in order, each on what the previous ones left.
    let pk = table.primary_key();
    let mut has_pk = pk.is_some();
    let mut dropped: Vec<&str> = vec![];
    let mut added: Vec<&str> = vec![];
    let has_column = |c: &str, dropped: &[&str], added: &[&str]| {
        added.contains(&c) || (table.column(c).is_some() && !dropped.contains(&c))
    };
    for c in commands {
        let must_exist = match c {
            AlterTable::AddColumn {
                column,
                if_not_exists,
            } => {
                let col = column.name.as_str();
                if !if_not_exists && has_column(col, &dropped, &added) {
                    out.push(Refusal::new(
                        format!("column-exists:{name}.{col}"),
                        format!("ADD COLUMN {col} fails: {name} already has that column"),
                        "Drop the statement, or write ADD COLUMN IF NOT EXISTS when the column may be there.",
                    ));
                }
                added.push(col);
                dropped.retain(|x| *x != col);
                None
            }
            AlterTable::AddConstraint(k) => {
                constraint(catalog, &name, has_pk, k, out);
                if let Some(p) = &table.partition_by
                    && let ConstraintDefKind::PrimaryKey { columns, .. }
                    | ConstraintDefKind::Unique { columns, .. } = &k.kind
                    && k.using_index.is_none()
                {
                    partition_key(&name, &p.keys, columns, out);
                }
                if matches!(k.kind, ConstraintDefKind::PrimaryKey { .. }) {
                    has_pk = true;
                }
                None
            }
            AlterTable::DropConstraint(constraint) => {
                if pk.is_some_and(|k| &k.name == constraint) {
                    has_pk = false;
                }
                None
            }
            AlterTable::DropColumn {
                column,
                if_exists: false,
                ..
            } => Some(column),
            AlterTable::AlterColumnType { column, .. }
            | AlterTable::SetNotNull(column)
            | AlterTable::DropNotNull(column)
            | AlterTable::SetDefault { column, .. } => Some(column),
            _ => None,
        };
        if let Some(column) = must_exist
            && !column.is_empty()
            && complete
            && !has_column(column, &dropped, &added)
        {
            out.push(Refusal::new(
                format!("no-column:{name}.{column}"),
                format!("this fails: {name} has no column {column}"),
                "Check the column's name against the migrations before this one.",
            ));
        }
        if let AlterTable::DropColumn { column, .. } = c {
            // Dropping a column of the primary key drops the key.
            if table
                .primary_key_columns()
                .is_some_and(|k| k.contains(column))
            {
                has_pk = false;
            }
            dropped.push(column);
            added.retain(|x| x != column);
        }
    }
}

/// The column sets of the primary key and unique constraints a CREATE TABLE declares.
fn created_keys(t: &dbarch_sql::change::CreateTable) -> Vec<Vec<String>> {
    use dbarch_sql::change::{ColumnConstraint, TableElement};
    let mut out = vec![];
    for e in &t.elements {
        match e {
            TableElement::Column(c) => {
                for k in &c.constraints {
                    if let ColumnConstraint::Constraint(k) = k
                        && matches!(
                            k.kind,
                            ConstraintDefKind::PrimaryKey { .. } | ConstraintDefKind::Unique { .. }
                        )
                    {
                        out.push(vec![c.name.clone()]);
                    }
                }
            }
            TableElement::Constraint(k) => {
                if let ConstraintDefKind::PrimaryKey { columns, .. }
                | ConstraintDefKind::Unique { columns, .. } = &k.kind
                {
                    out.push(columns.clone());
                }
            }
            TableElement::Like(_) => {}
        }
    }
    out
}

/// The columns of index keys that are all plain columns.
fn plain_columns(keys: &[dbarch_sql::change::IndexKey]) -> Option<Vec<String>> {
    keys.iter()
        .map(|k| match &k.expr {
            dbarch_sql::change::IndexKeyExpr::Column(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// A unique key of a partitioned table must hold every column of the partition key (each partition
/// enforces it alone). Said only when the partition key is plain columns: an expression key refuses
/// every unique constraint, with another message.
fn partition_key(
    table: &QualifiedName,
    partition: &[String],
    key: &[String],
    out: &mut Vec<Refusal>,
) {
    if key.is_empty() {
        return;
    }
    let missing: Vec<&str> = partition
        .iter()
        .filter(|p| !key.contains(p))
        .map(String::as_str)
        .collect();
    let plain = partition.iter().all(|p| {
        p.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    });
    if missing.is_empty() || !plain {
        return;
    }
    out.push(Refusal::new(
        format!("partition-key:{table}({})", key.join(",")),
        format!(
            "this fails: a unique key of partitioned table {table} must include its partition key ({} is \
             missing from ({}))",
            missing.join(", "),
            key.join(", ")
        ),
        "Add the partition key's columns to the primary key or unique constraint (uniqueness is then per \
         partition key value), or enforce the narrower uniqueness in another table.",
    ));
}

/// The name a new relation gets (its schema, or the creation schema).
fn qualify(catalog: &Catalog, name: &ObjName) -> QualifiedName {
    match &name.schema {
        Some(s) => QualifiedName::new(s.clone(), name.name.clone()),
        None => QualifiedName::new(catalog.creation_schema(), name.name.clone()),
    }
}

fn constraint(
    catalog: &Catalog,
    name: &QualifiedName,
    has_pk: bool,
    k: &ConstraintDef,
    out: &mut Vec<Refusal>,
) {
    if matches!(k.kind, ConstraintDefKind::PrimaryKey { .. }) && has_pk {
        out.push(Refusal::new(
            format!("second-pk:{name}"),
            format!("ADD PRIMARY KEY fails: {name} already has a primary key"),
            "Drop the existing primary key constraint first, in the same transaction.",
        ));
    }
    let ConstraintDefKind::ForeignKey {
        ref_table: Some(pk_table),
        ref_columns: columns,
        ..
    } = &k.kind
    else {
        return;
    };
    let referenced = catalog.resolve(pk_table);
    let Some(target) = catalog.tables.get(&referenced) else {
        return;
    };
    if target.is_partition() {
        return;
    }
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

fn rename(catalog: &Catalog, r: &Rename, out: &mut Vec<Refusal>) {
    let Some(rel) = r.relation.as_ref() else {
        return;
    };
    let name = catalog.resolve(rel);
    match r.kind {
        ObjectKind::Column => {
            let Some(table) = catalog.tables.get(&name) else {
                return;
            };
            let complete = knows_every_column(table);
            if complete && table.column(&r.old).is_none() && !r.if_exists {
                out.push(Refusal::new(
                    format!("no-column:{name}.{}", r.old),
                    format!("RENAME COLUMN fails: {name} has no column {}", r.old),
                    "Check the column's name against the migrations before this one.",
                ));
            } else if table.column(&r.new).is_some() && r.old != r.new {
                out.push(Refusal::new(
                    format!("column-exists:{name}.{}", r.new),
                    format!("RENAME COLUMN fails: {name} already has a column {}", r.new),
                    "Rename to a name the table does not use.",
                ));
            }
        }
        ObjectKind::Table
        | ObjectKind::View
        | ObjectKind::MaterializedView
        | ObjectKind::Index
        | ObjectKind::Sequence => {
            let new = QualifiedName::new(name.schema.clone(), r.new.clone());
            if catalog.relation_exists(&name) && new != name && catalog.relation_exists(&new) {
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
