//! The schema changes that make objects of the model as they are: what `diff` creates, what a down
//! proposal gives back, what a fix builds on. Names are written schema-qualified.

use dbarch_sql::Span;
use dbarch_sql::change::{
    AlterTable, ColumnConstraint, ColumnDef, ConstraintDef, ConstraintDefKind, CreateFunction,
    CreateIndex, Drop, ObjName, ObjectKind, ObjectRef, SchemaChange,
};

use crate::model::*;

/// A model name as a change names it (schema-qualified).
pub fn name(q: &QualifiedName) -> ObjName {
    ObjName::new(Some(&q.schema), &q.name)
}

/// Where an object was defined (the start of the first file when not known).
pub fn span(o: &Origin) -> Span {
    o.0.unwrap_or_default()
}

/// A model name as a dotted name.
pub fn parts(q: &QualifiedName) -> Vec<String> {
    vec![q.schema.clone(), q.name.clone()]
}

/// `DROP kind objects` (no CASCADE, no IF EXISTS).
pub fn drop(kind: ObjectKind, objects: Vec<Vec<String>>) -> SchemaChange {
    SchemaChange::Drop(Drop {
        kind,
        objects: objects.into_iter().map(ObjectRef::named).collect(),
        cascade: false,
        if_exists: false,
        concurrently: false,
    })
}

/// `DROP INDEX CONCURRENTLY index`.
pub fn drop_index_concurrently(index: &QualifiedName) -> SchemaChange {
    SchemaChange::Drop(Drop {
        kind: ObjectKind::Index,
        objects: vec![ObjectRef::named(parts(index))],
        cascade: false,
        if_exists: false,
        concurrently: true,
    })
}

/// `ALTER TABLE table commands`.
pub fn alter(table: &QualifiedName, commands: Vec<AlterTable>) -> SchemaChange {
    SchemaChange::AlterTable {
        name: name(table),
        kind: ObjectKind::Table,
        if_exists: false,
        commands,
    }
}

/// A column's definition: its type (serial as written), NOT NULL, default, identity, generation.
pub fn column(c: &Column) -> ColumnDef {
    let mut constraints = vec![];
    if !c.serial {
        if c.not_null && c.identity.is_none() {
            constraints.push(ColumnConstraint::NotNull);
        }
        if let Some(d) = &c.default {
            constraints.push(ColumnConstraint::Default(d.clone()));
        }
    }
    if let Some(i) = c.identity {
        constraints.push(ColumnConstraint::Identity(i));
    }
    if let Some(g) = &c.generated {
        constraints.push(ColumnConstraint::Generated(g.clone()));
    }
    ColumnDef {
        name: c.name.clone(),
        at: span(&c.origin),
        data_type: Some(c.data_type.clone()),
        serial: c.serial,
        collation: c.collation.clone(),
        constraints,
    }
}

/// A table constraint, by its name.
pub fn constraint(c: &Constraint) -> ConstraintDef {
    let kind = match &c.kind {
        ConstraintKind::PrimaryKey { columns, include } => ConstraintDefKind::PrimaryKey {
            columns: columns.clone(),
            include: include.clone(),
        },
        ConstraintKind::Unique {
            columns,
            include,
            nulls_not_distinct,
        } => ConstraintDefKind::Unique {
            columns: columns.clone(),
            include: include.clone(),
            nulls_not_distinct: *nulls_not_distinct,
        },
        ConstraintKind::Check { expr, columns } => ConstraintDefKind::Check {
            expr: expr.clone(),
            columns: columns.clone(),
        },
        ConstraintKind::ForeignKey(fk) => ConstraintDefKind::ForeignKey {
            columns: fk.columns.clone(),
            ref_table: Some(name(&fk.ref_table)),
            ref_columns: fk.ref_columns.clone(),
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            match_full: fk.match_full,
        },
        ConstraintKind::Exclude {
            method,
            elements,
            operators,
            predicate,
        } => ConstraintDefKind::Exclude {
            method: method.clone(),
            elements: elements.clone(),
            operators: operators.clone(),
            predicate: predicate.clone(),
        },
    };
    ConstraintDef {
        name: Some(c.name.clone()),
        at: span(&c.origin),
        kind,
        deferrable: c.deferrable,
        initially_deferred: c.initially_deferred,
        not_valid: c.not_valid,
        using_index: None,
    }
}

/// `CREATE INDEX` of an index written as one (not a constraint's).
pub fn index(i: &Index, concurrently: bool) -> SchemaChange {
    SchemaChange::CreateIndex(CreateIndex {
        table: name(&i.table),
        name: Some(i.name.name.clone()),
        if_not_exists: false,
        unique: i.unique,
        primary: false,
        concurrently,
        method: i.method.clone(),
        keys: i.keys.clone(),
        include: i.include.clone(),
        predicate: i.predicate.clone(),
        predicate_columns: i.predicate_columns.clone(),
        nulls_not_distinct: i.nulls_not_distinct,
        only: false,
    })
}

/// A plain index on `columns` of a partitioned table, built without blocking writes: PostgreSQL cannot
/// build one CONCURRENTLY on the parent, so the parent's index is made `ON ONLY` (catalog only, invalid
/// for now), each partition's is built CONCURRENTLY (or one it has already, `Some` name, is used) and
/// attached; the parent's index is valid once every partition's is attached. `partitions` are the leaf
/// partitions with the name of an index of theirs on exactly these columns, if any.
pub fn index_on_partitions(
    table: &QualifiedName,
    index: &str,
    columns: &[String],
    partitions: &[(QualifiedName, Option<String>)],
) -> Vec<SchemaChange> {
    let mut changes = vec![SchemaChange::CreateIndex(CreateIndex {
        only: !partitions.is_empty(),
        ..CreateIndex::on_columns(name(table), Some(index.to_string()), columns)
    })];
    let parent = QualifiedName::new(table.schema.clone(), index);
    for (partition, existing) in partitions {
        let own = match existing {
            Some(n) => n.clone(),
            None => {
                let n = crate::default_name(&partition.name, columns, "idx");
                changes.push(SchemaChange::CreateIndex(CreateIndex {
                    concurrently: true,
                    ..CreateIndex::on_columns(name(partition), Some(n.clone()), columns)
                }));
                n
            }
        };
        changes.push(SchemaChange::AlterTable {
            name: name(&parent),
            kind: ObjectKind::Index,
            if_exists: false,
            commands: vec![AlterTable::AttachPartition {
                partition: name(&QualifiedName::new(partition.schema.clone(), own)),
                bound: String::new(),
            }],
        });
    }
    changes
}

/// `CREATE [OR REPLACE] [MATERIALIZED] VIEW` with the view's query.
pub fn view(v: &View, or_replace: bool) -> SchemaChange {
    SchemaChange::CreateView {
        name: name(&v.name),
        at: span(&v.origin),
        or_replace,
        materialized: v.materialized,
        // Its `*`s written out: written again, a `*` would take in columns added since.
        query: match v.expanded_query() {
            Some(q) => dbarch_sql::change::ViewQuery::new(q),
            None => v.query.clone(),
        },
        reads: v.depends_on.iter().map(name).collect(),
    }
}

/// `CREATE TYPE` (enum, composite) or `CREATE DOMAIN`.
pub fn user_type(t: &UserType) -> SchemaChange {
    let name = name(&t.name);
    match &t.kind {
        TypeKind::Enum { values } => SchemaChange::CreateEnum {
            name,
            values: values.clone(),
        },
        TypeKind::Domain {
            base,
            not_null,
            checks,
        } => SchemaChange::CreateDomain {
            name,
            base: Some(base.clone()),
            not_null: *not_null,
            checks: checks.clone(),
        },
        TypeKind::Composite { attributes } => SchemaChange::CreateCompositeType {
            name,
            attributes: attributes.clone(),
        },
    }
}

/// `CREATE [OR REPLACE] FUNCTION | PROCEDURE`, as it was defined when the model kept its statement.
pub fn function(f: &Function, or_replace: bool) -> SchemaChange {
    SchemaChange::CreateFunction(CreateFunction {
        name: name(&f.name),
        or_replace,
        definition: f.definition.clone(),
        arg_types: f.arg_types.clone(),
        returns: f.returns.clone(),
        language: f.language.clone(),
        body: f.body.clone(),
        security_definer: f.security_definer,
        volatility: f.volatility.clone(),
        search_path: f.search_path.clone(),
        is_procedure: f.is_procedure,
    })
}

/// `CREATE POLICY` on a table.
pub fn policy(table: &QualifiedName, p: &Policy) -> SchemaChange {
    SchemaChange::CreatePolicy {
        table: name(table),
        name: p.name.clone(),
        command: p.command.clone(),
        permissive: p.permissive,
        roles: p.roles.clone(),
        using: p.using.clone(),
        with_check: p.with_check.clone(),
    }
}

/// `CREATE TRIGGER` as the model keeps it (events, UPDATE OF columns, WHEN condition, arguments).
pub fn trigger(t: &Trigger) -> SchemaChange {
    let timing = match t.timing.as_str() {
        "BEFORE" => "BEFORE",
        "INSTEAD OF" => "INSTEAD OF",
        _ => "AFTER",
    };
    let events = t
        .events
        .iter()
        .filter_map(|e| match e.as_str() {
            "INSERT" => Some("INSERT"),
            "UPDATE" => Some("UPDATE"),
            "DELETE" => Some("DELETE"),
            "TRUNCATE" => Some("TRUNCATE"),
            _ => None,
        })
        .collect();
    SchemaChange::CreateTrigger {
        table: name(&t.table),
        name: t.name.clone(),
        function: name(&t.function),
        timing,
        events,
        update_of: t.update_of.clone(),
        for_each_row: t.for_each_row,
        when: t.when.clone(),
        args: t.args.clone(),
    }
}

/// Row level security by tenant on `table`: a policy that lets a session see the rows of the tenant its
/// setting `app.<column>` names (compared in the column's own type, `column_type`; a session that has not
/// set it sees no rows rather than an error), then row level security switched on, so nothing is filtered
/// before the policy exists.
pub fn tenant_isolation(
    table: &QualifiedName,
    column: &str,
    column_type: &str,
) -> Vec<SchemaChange> {
    let using = format!(
        "{} = current_setting({}, true)::{column_type}",
        dbarch_sql::expr::quote_ident(column),
        dbarch_sql::change::literal(&tenant_setting(column)),
    );
    vec![
        SchemaChange::CreatePolicy {
            table: name(table),
            name: format!("{}_tenant_isolation", table.name),
            command: "ALL".into(),
            permissive: true,
            roles: vec![],
            using: Some(using),
            with_check: None,
        },
        alter(table, vec![AlterTable::RowSecurity(true)]),
    ]
}

/// The session setting that names the tenant for [`tenant_isolation`]: `app.<column>`.
pub fn tenant_setting(column: &str) -> String {
    format!("app.{column}")
}
