//! The schema model. Everything a rule may ask about a schema lives here, whatever it was built from.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use dbarch_sql::Span;
use serde::Serialize;

pub use dbarch_sql::change::{
    DataType, Identity, IndexKey, IndexKeyExpr, PartitionSpec, PartitionStrategy,
    ReferentialAction, ViewQuery,
};

/// Where an object (or a part of one) was defined. Origins do not take part in schema equality: two
/// catalogs built from different files that define the same objects are equal.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Origin(pub Option<Span>);

impl PartialEq for Origin {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Origin {}

impl Origin {
    pub fn span(&self) -> Option<Span> {
        self.0
    }
}

impl From<Span> for Origin {
    fn from(s: Span) -> Self {
        Origin(Some(s))
    }
}

/// A schema-qualified name. Names are stored as PostgreSQL folds them (unquoted names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schema == "public" {
            write!(f, "{}", dbarch_sql::expr::quote_ident(&self.name))
        } else {
            write!(
                f,
                "{}.{}",
                dbarch_sql::expr::quote_ident(&self.schema),
                dbarch_sql::expr::quote_ident(&self.name)
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    /// The default expression as SQL text.
    pub default: Option<String>,
    pub identity: Option<Identity>,
    /// Declared as serial / bigserial / smallserial.
    pub serial: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`.
    pub generated: Option<String>,
    pub collation: Option<String>,
    pub comment: Option<String>,
    pub origin: Origin,
}

impl Column {
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Column {
            name: name.into(),
            data_type,
            not_null: false,
            default: None,
            identity: None,
            serial: false,
            generated: None,
            collation: None,
            comment: None,
            origin: Origin::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: QualifiedName,
    /// Empty means "the referenced table's primary key".
    pub ref_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
    pub match_full: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConstraintKind {
    PrimaryKey {
        columns: Vec<String>,
        include: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
        include: Vec<String>,
        nulls_not_distinct: bool,
    },
    Check {
        expr: String,
        columns: Vec<String>,
    },
    ForeignKey(ForeignKey),
    Exclude {
        method: String,
        elements: Vec<String>,
        /// The operator each element excludes with (`=`, `&&`).
        operators: Vec<String>,
        predicate: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    /// The name PostgreSQL would give it when none was written (`orders_pkey`, `orders_user_id_fkey`, ...).
    pub name: String,
    pub name_given: bool,
    pub kind: ConstraintKind,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// Added with NOT VALID and not validated since.
    pub not_valid: bool,
    pub origin: Origin,
}

impl Constraint {
    pub fn foreign_key(&self) -> Option<&ForeignKey> {
        match &self.kind {
            ConstraintKind::ForeignKey(fk) => Some(fk),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    /// `FOR VALUES ...` or `DEFAULT`, as text.
    pub bound: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub name: QualifiedName,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub partition_by: Option<PartitionSpec>,
    pub partition_of: Option<PartitionOf>,
    pub inherits: Vec<QualifiedName>,
    pub unlogged: bool,
    pub temporary: bool,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub policies: Vec<Policy>,
    pub comment: Option<String>,
    pub owner: Option<String>,
    pub origin: Origin,
    /// False when the model may lack some of the table's columns (CREATE TABLE AS with `*` or an
    /// unnamed expression): what "has no such column" would claim cannot be relied on.
    #[serde(skip)]
    pub columns_known: bool,
}

impl Table {
    pub fn new(name: QualifiedName) -> Self {
        Table {
            name,
            columns: vec![],
            constraints: vec![],
            partition_by: None,
            partition_of: None,
            inherits: vec![],
            unlogged: false,
            temporary: false,
            rls_enabled: false,
            rls_forced: false,
            policies: vec![],
            comment: None,
            owner: None,
            origin: Origin::default(),
            columns_known: true,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn primary_key(&self) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|c| matches!(c.kind, ConstraintKind::PrimaryKey { .. }))
    }

    pub fn primary_key_columns(&self) -> Option<&[String]> {
        self.constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::PrimaryKey { columns, .. } => Some(columns.as_slice()),
            _ => None,
        })
    }

    pub fn foreign_keys(&self) -> impl Iterator<Item = (&Constraint, &ForeignKey)> {
        self.constraints
            .iter()
            .filter_map(|c| c.foreign_key().map(|fk| (c, fk)))
    }

    /// Column sets that PostgreSQL knows to be unique: primary key and unique constraints.
    pub fn unique_column_sets(&self) -> impl Iterator<Item = &[String]> {
        self.constraints.iter().filter_map(|c| match &c.kind {
            ConstraintKind::PrimaryKey { columns, .. } => Some(columns.as_slice()),
            ConstraintKind::Unique { columns, .. } => Some(columns.as_slice()),
            _ => None,
        })
    }

    pub fn is_partition(&self) -> bool {
        self.partition_of.is_some()
    }
}

/// Where an index came from: written as CREATE INDEX, or implied by a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IndexSource {
    CreateIndex,
    Constraint(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: QualifiedName,
    pub table: QualifiedName,
    pub unique: bool,
    pub primary: bool,
    pub method: String,
    pub keys: Vec<IndexKey>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    /// Columns the predicate uses.
    pub predicate_columns: Vec<String>,
    pub nulls_not_distinct: bool,
    pub source: IndexSource,
    pub origin: Origin,
}

impl Index {
    /// The key columns, when every key is a plain column.
    pub fn key_columns(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|k| k.column_name()).collect()
    }

    /// The leading plain-column keys (stops at the first expression).
    pub fn leading_columns(&self) -> Vec<&str> {
        self.keys.iter().map_while(|k| k.column_name()).collect()
    }

    /// Every column the index uses: keys, expressions, INCLUDE.
    pub fn all_columns(&self) -> Vec<&str> {
        let mut v = Vec::new();
        for k in &self.keys {
            match &k.expr {
                IndexKeyExpr::Column(c) => v.push(c.as_str()),
                IndexKeyExpr::Expression { columns, .. } => {
                    v.extend(columns.iter().map(String::as_str))
                }
            }
        }
        v.extend(self.include.iter().map(String::as_str));
        v.extend(self.predicate_columns.iter().map(String::as_str));
        v
    }

    /// The statement that creates it, written by the DDL emitter (`None` when the model keeps too
    /// little of it to write it).
    pub fn create_sql(&self) -> Option<String> {
        dbarch_sql::change::emit(&crate::make::index(self, false))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub name: QualifiedName,
    pub materialized: bool,
    pub query: ViewQuery,
    /// Tables and views the query reads.
    pub depends_on: Vec<QualifiedName>,
    pub origin: Origin,
    /// The columns of the relations the query reads, as they were when the view was created.
    #[serde(skip)]
    pub scope: ViewScope,
}

/// The columns of each relation a view reads, as they were when it was created: PostgreSQL binds a
/// view's `*` and its unqualified column names then, so these decide which columns it depends on. Renames
/// since are followed (PostgreSQL binds by position, so a view goes on reading a renamed column). With
/// them, which of those columns the query reads, worked out when first asked (`View::reads_column`).
/// Not part of what a view is (two views with the same query are the same view), so every scope equals
/// every other.
#[derive(Debug, Clone, Default)]
pub struct ViewScope {
    pub relations: Arc<Vec<ScopeRelation>>,
    pub(crate) reads: Arc<std::sync::OnceLock<crate::depend::Reads>>,
    /// The query with its `*`s written out (`View::expanded_query`), worked out when first asked.
    pub(crate) expanded: Arc<std::sync::OnceLock<Option<String>>>,
    /// The query as PostgreSQL binds it (`View::bound_query`), worked out when first asked.
    pub(crate) bound: Arc<std::sync::OnceLock<Option<String>>>,
}

impl View {
    /// The query with each `*` over a relation written out as the columns it stood for when the view
    /// was created, named as they are now: what PostgreSQL keeps of a view, and so what it must be
    /// written back as (a `*` written again would take in columns added since). `None` when it has no
    /// `*` to write out.
    pub fn expanded_query(&self) -> Option<&str> {
        self.scope
            .expanded
            .get_or_init(|| self.query.with_stars_expanded(&|n| self.scope_columns(n)))
            .as_deref()
    }

    /// The query as PostgreSQL binds it: its `*`s written out and each column reference qualified by
    /// the relation it reads and named as that column is now, so two queries the server would keep
    /// alike read alike (`ViewQuery::bound`).
    pub fn bound_query(&self) -> &str {
        self.scope
            .bound
            .get_or_init(|| self.query.bound(&|n| self.scope_columns(n)))
            .as_deref()
            .unwrap_or_else(|| self.query.text())
    }

    /// The columns, now and as the query names them, of a relation the query names, as they were when
    /// the view was created.
    fn scope_columns(&self, n: &dbarch_sql::change::ObjName) -> Option<Vec<(String, String)>> {
        let r = self.scope.relations.iter().find(|r| {
            r.then.name == n.name && n.schema.as_ref().is_none_or(|s| *s == r.then.schema)
        })?;
        Some(r.columns.clone())
    }

    /// The query's text as PostgreSQL keeps it (its `*`s written out).
    pub fn kept_query(&self) -> &str {
        self.expanded_query().unwrap_or_else(|| self.query.text())
    }
}

impl PartialEq for View {
    /// Two views are the same when PostgreSQL binds their queries alike: a `*` stands for the columns it
    /// had when the view was created, and a column reference for the column it binds to however it is
    /// qualified.
    fn eq(&self, other: &Self) -> bool {
        let stars = self.query.statement().contains('*') || other.query.statement().contains('*');
        self.name == other.name
            && self.materialized == other.materialized
            && self.depends_on == other.depends_on
            // The same query (over the same columns when it has `*`s) is the same view: the usual
            // case, and cheap. Otherwise how the queries bind decides.
            && ((self.query == other.query && (!stars || self.scope.relations == other.scope.relations))
                || self.binds_alike(other)
                || self.bound_query() == other.bound_query())
    }
}

impl Eq for View {}

impl PartialEq for ViewScope {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ViewScope {}

/// A relation a view reads: its name now and as the view's query names it, and its columns then, each
/// with its name now and as the query names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRelation {
    pub now: QualifiedName,
    pub then: QualifiedName,
    pub columns: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub name: QualifiedName,
    pub data_type: Option<DataType>,
    pub owned_by: Option<(QualifiedName, String)>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TypeKind {
    Enum {
        values: Vec<String>,
    },
    Domain {
        base: DataType,
        not_null: bool,
        checks: Vec<String>,
    },
    Composite {
        attributes: Vec<(String, DataType)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserType {
    pub name: QualifiedName,
    pub kind: TypeKind,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: String,
    pub login: bool,
    pub superuser: bool,
    pub bypass_rls: bool,
    pub has_password: bool,
    pub member_of: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Privileges as written, upper-case (`SELECT`, `ALL`, ...); a role membership grant has the role here.
    pub privileges: Vec<String>,
    /// `TABLE`, `SEQUENCE`, `FUNCTION`, `SCHEMA`, `DATABASE`, `ALL TABLES IN SCHEMA`, `ROLE`, ...
    pub object_kind: String,
    pub objects: Vec<String>,
    pub grantees: Vec<String>,
    pub with_grant_option: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: QualifiedName,
    pub function: QualifiedName,
    /// `BEFORE`, `AFTER`, `INSTEAD OF`.
    pub timing: String,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`.
    pub events: Vec<String>,
    /// `UPDATE OF` these columns.
    pub update_of: Vec<String>,
    pub for_each_row: bool,
    /// The `WHEN` condition.
    pub when: Option<String>,
    /// The arguments passed to the function.
    pub args: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub name: QualifiedName,
    pub arg_types: Vec<String>,
    pub returns: Option<String>,
    pub language: String,
    pub body: Option<String>,
    pub security_definer: bool,
    /// volatile (the default), stable or immutable.
    pub volatility: String,
    /// `SET search_path = ...` attached to the function.
    pub search_path: Option<String>,
    pub is_procedure: bool,
    /// The statement that defined it, to write it back exactly (not compared).
    #[serde(skip)]
    pub definition: dbarch_sql::change::Definition,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub name: String,
    pub schema: Option<String>,
    pub origin: Origin,
}

/// A statement the catalog did not model, kept so `--verbose` can list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    pub kind: String,
    pub reason: String,
    pub origin: Origin,
}

/// The whole schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub schemas: BTreeMap<String, Origin>,
    /// Objects are shared between copies of the catalog (copy-on-write through `Arc::make_mut`), so a
    /// copy is cheap and a diff skips what two copies still share.
    pub tables: BTreeMap<QualifiedName, Arc<Table>>,
    pub indexes: BTreeMap<QualifiedName, Arc<Index>>,
    pub views: BTreeMap<QualifiedName, Arc<View>>,
    pub sequences: BTreeMap<QualifiedName, Arc<Sequence>>,
    pub types: BTreeMap<QualifiedName, UserType>,
    pub functions: Vec<Arc<Function>>,
    /// Keyed by (table, trigger name): trigger names are unique per table.
    #[serde(serialize_with = "values_only")]
    pub triggers: BTreeMap<(QualifiedName, String), Trigger>,
    pub roles: BTreeMap<String, Role>,
    pub grants: Vec<Grant>,
    pub extensions: BTreeMap<String, Extension>,
    pub search_path: Vec<String>,
    #[serde(skip)]
    pub unsupported: Vec<Unsupported>,
}

impl Default for Catalog {
    fn default() -> Self {
        let mut schemas = BTreeMap::new();
        schemas.insert("public".to_string(), Origin::default());
        Catalog {
            schemas,
            tables: BTreeMap::new(),
            indexes: BTreeMap::new(),
            views: BTreeMap::new(),
            sequences: BTreeMap::new(),
            types: BTreeMap::new(),
            functions: vec![],
            triggers: BTreeMap::new(),
            roles: BTreeMap::new(),
            grants: vec![],
            extensions: BTreeMap::new(),
            search_path: vec!["public".to_string()],
            unsupported: vec![],
        }
    }
}

fn values_only<S: serde::Serializer, K, V: Serialize>(
    m: &BTreeMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.values())
}
