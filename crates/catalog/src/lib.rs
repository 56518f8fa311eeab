//! The Catalog: the single schema model. It is built by replaying DDL statement by statement
//! ([`Catalog::apply`]); rules and advisors only read it.

mod apply;
pub mod depend;
mod diff;
mod differences;
pub mod make;
mod model;
pub mod names;
pub mod stats;

pub use diff::diff;
pub use differences::{Change, ChangeKind, column_order_differences, differences};
pub use model::*;
pub use names::{choose_name, default_name};
pub use stats::{ColumnStats, Stats, StatsError, TableStats};

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build a catalog from parsed files, in order.
    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a dbarch_sql::ParsedFile>) -> Self {
        let mut c = Catalog::new();
        for f in files {
            for s in &f.statements {
                c.replay(s);
            }
        }
        c
    }

    /// The schema new objects go to: the first existing entry of the search path.
    pub fn creation_schema(&self) -> String {
        self.search_path
            .iter()
            .find(|s| s.as_str() != "$user")
            .cloned()
            .unwrap_or_else(|| "public".to_string())
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name).map(|t| &**t)
    }

    /// All indexes on a table: those written with CREATE INDEX, and those PRIMARY KEY, UNIQUE and EXCLUDE
    /// constraints imply.
    pub fn indexes_on(&self, table: &QualifiedName) -> Vec<Index> {
        let mut out: Vec<Index> = self
            .indexes
            .values()
            .filter(|i| &i.table == table)
            .map(|i| Index::clone(i))
            .collect();
        self.constraint_indexes(table, &mut out);
        out
    }

    /// [`Catalog::indexes_on`] for every table at once (one pass over the indexes).
    pub fn indexes_by_table(&self) -> std::collections::HashMap<&QualifiedName, Vec<Index>> {
        let mut map: std::collections::HashMap<&QualifiedName, Vec<Index>> =
            self.tables.keys().map(|t| (t, Vec::new())).collect();
        for i in self.indexes.values() {
            if let Some(v) = map.get_mut(&i.table) {
                v.push(Index::clone(i));
            }
        }
        for (t, v) in map.iter_mut() {
            self.constraint_indexes(t, v);
        }
        map
    }

    /// The partitions directly under a partitioned table.
    pub fn partitions_of<'a>(
        &'a self,
        parent: &'a QualifiedName,
    ) -> impl Iterator<Item = &'a Table> + 'a {
        self.tables
            .values()
            .map(|t| &**t)
            .filter(move |t| t.partition_of.as_ref().is_some_and(|p| &p.parent == parent))
    }

    /// Whether a relation of this name exists: a table, view, sequence or index, or the index behind a
    /// primary key, unique or exclusion constraint (PostgreSQL names it after the constraint), so
    /// `CREATE INDEX IF NOT EXISTS` of that name does nothing.
    pub fn relation_exists(&self, name: &QualifiedName) -> bool {
        self.tables.contains_key(name)
            || self.views.contains_key(name)
            || self.sequences.contains_key(name)
            || self.indexes.contains_key(name)
            || self
                .tables
                .values()
                .filter(|t| t.name.schema == name.schema)
                .flat_map(|t| &t.constraints)
                .any(|c| {
                    c.name == name.name
                        && matches!(
                            c.kind,
                            ConstraintKind::PrimaryKey { .. }
                                | ConstraintKind::Unique { .. }
                                | ConstraintKind::Exclude { .. }
                        )
                })
    }

    fn constraint_indexes(&self, table: &QualifiedName, out: &mut Vec<Index>) {
        if let Some(t) = self.tables.get(table) {
            for c in &t.constraints {
                let (cols, include, unique, primary, method, nnd) = match &c.kind {
                    ConstraintKind::PrimaryKey { columns, include } => {
                        (columns.clone(), include.clone(), true, true, "btree", false)
                    }
                    ConstraintKind::Unique {
                        columns,
                        include,
                        nulls_not_distinct,
                    } => (
                        columns.clone(),
                        include.clone(),
                        true,
                        false,
                        "btree",
                        *nulls_not_distinct,
                    ),
                    ConstraintKind::Exclude {
                        method, elements, ..
                    } => (
                        elements.clone(),
                        vec![],
                        false,
                        false,
                        method.as_str(),
                        false,
                    ),
                    _ => continue,
                };
                out.push(Index {
                    name: QualifiedName::new(table.schema.clone(), c.name.clone()),
                    table: table.clone(),
                    unique,
                    primary,
                    method: method.to_string(),
                    keys: cols.iter().map(|c| IndexKey::column(c)).collect(),
                    include,
                    predicate: None,
                    predicate_columns: vec![],
                    nulls_not_distinct: nnd,
                    source: IndexSource::Constraint(c.name.clone()),
                    origin: c.origin,
                });
            }
        }
    }

    /// The sequence behind a serial column: the column is declared serial, or (as pg_dump and a live
    /// database write it) its default is `nextval('seq'::regclass)` of a sequence OWNED BY the column.
    pub fn serial_sequence(&self, t: &Table, c: &Column) -> Option<QualifiedName> {
        if c.identity.is_some() {
            return None;
        }
        let default = c.default.as_deref()?.trim();
        let literal = default
            .strip_prefix("nextval('")?
            .strip_suffix("'::regclass)")?;
        let parts: Vec<String> = dbarch_sql::postgres::identifiers(literal)
            .into_iter()
            .map(|i| i.name)
            .collect();
        let name = self.resolve_name(&parts);
        let seq = self.sequences.get(&name)?;
        let owner = seq.owned_by.as_ref()?;
        (owner.0 == t.name && owner.1 == c.name).then_some(name)
    }

    /// A function by name (any overload).
    pub fn function_named(&self, name: &QualifiedName) -> Option<&Function> {
        self.functions
            .iter()
            .find(|f| &f.name == name)
            .or_else(|| self.functions.iter().find(|f| f.name.name == name.name))
            .map(|f| &**f)
    }

    /// The columns an FK references, with the PK filled in when none were written.
    pub fn referenced_columns(&self, fk: &ForeignKey) -> Vec<String> {
        if !fk.ref_columns.is_empty() {
            return fk.ref_columns.clone();
        }
        self.tables
            .get(&fk.ref_table)
            .and_then(|t| t.primary_key_columns())
            .map(|c| c.to_vec())
            .unwrap_or_default()
    }
}
