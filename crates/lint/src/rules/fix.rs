//! Fixes are schema changes, written as SQL by the DDL emitter ([`dbarch_sql::change::emit`]): rules
//! build the changes here and never the SQL text.

use dbarch_catalog::QualifiedName;
use dbarch_sql::change::{
    ConstraintDef, ConstraintDefKind, CreateIndex, ObjectKind, Rename, SchemaChange, emit,
};

/// The SQL of a fix: each change's statement and a semicolon, one a line. `None` when a change cannot be
/// written (the fix is then given in words only).
pub fn sql(changes: &[SchemaChange]) -> Option<String> {
    let mut out = vec![];
    for c in changes {
        out.push(format!("{};", emit(c)?));
    }
    Some(out.join("\n"))
}

pub use dbarch_catalog::make::{alter, name};

/// A constraint with the name given.
pub fn constraint(name: Option<&str>, kind: ConstraintDefKind, not_valid: bool) -> ConstraintDef {
    ConstraintDef {
        name: name.map(str::to_string),
        at: Default::default(),
        kind,
        deferrable: false,
        initially_deferred: false,
        not_valid,
        using_index: None,
    }
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY name ON table (columns) [WHERE predicate]`.
pub fn index_concurrently(
    index: &str,
    table: &QualifiedName,
    columns: &[String],
    unique: bool,
    predicate: Option<String>,
) -> SchemaChange {
    SchemaChange::CreateIndex(CreateIndex {
        unique,
        concurrently: true,
        predicate,
        ..CreateIndex::on_columns(name(table), Some(index.to_string()), columns)
    })
}

/// `ALTER TABLE table RENAME [COLUMN old] TO new`.
pub fn rename(table: &QualifiedName, column: Option<&str>, new: &str) -> SchemaChange {
    SchemaChange::Rename(match column {
        Some(old) => Rename {
            kind: ObjectKind::Column,
            relation: Some(name(table)),
            object: vec![],
            old: old.to_string(),
            new: new.to_string(),
            if_exists: false,
        },
        None => Rename {
            kind: ObjectKind::Table,
            relation: Some(name(table)),
            object: vec![],
            old: String::new(),
            new: new.to_string(),
            if_exists: false,
        },
    })
}
