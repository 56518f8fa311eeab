//! Schema changes: what a DDL statement does to a schema, typed and free of any parser's tree.
//!
//! A front end lowers each statement it parses into [`SchemaChange`]s ([`lower`] for PostgreSQL); the
//! schema model replays them. Names are kept as the statement wrote them ([`ObjName`]: an optional schema
//! and a name, folded as the server folds them) — resolving them through a search path is the schema
//! model's job, since it depends on what exists. Expressions (defaults, checks, predicates, view queries)
//! are kept as SQL text, with the columns they use where an analysis needs them.
//!
//! What cannot be lowered is not dropped: [`SchemaChange::Opaque`] says why, and what it may touch.

mod emit;
mod lower;
mod query;
mod types;

pub use emit::{emit, literal, type_name};

pub use lower::{lower, obj_name, type_of_text};

/// The relations a statement's text names, as it names them (CTE names left out); `None` when it does
/// not parse.
pub fn relations_named(sql: &str) -> Option<Vec<ObjName>> {
    let node = crate::raw::first_statement(sql)?;
    Some(lower::relations_in(&crate::ast::Node { node: Some(node) }))
}
pub use query::{QueryReads, ViewQuery};
pub use types::{
    DataType, Identity, IndexKey, IndexKeyExpr, PartitionSpec, PartitionStrategy,
    ReferentialAction, comparison_group, comparison_refused, data_type,
};

use crate::Span;

/// An object's name as a statement wrote it: `[schema.]name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ObjName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjName {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        ObjName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// From the parts of a dotted name (`[catalog.][schema.]name`): the last two count.
    pub fn from_parts(parts: &[String]) -> Self {
        match parts {
            [.., s, n] => ObjName::new(Some(s), n),
            [n] => ObjName::new(None, n),
            [] => ObjName::default(),
        }
    }
}

/// One statement's changes, with what the schema model needs to say where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The statement's kind as the parser names it (`CreateStmt`, `AlterTableStmt`, ...).
    pub kind: &'static str,
    /// The whole statement.
    pub span: Span,
    pub changes: Vec<SchemaChange>,
}

/// A change to a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaChange {
    CreateSchema {
        /// Empty when the schema is named after the role running the statement (`AUTHORIZATION
        /// CURRENT_USER`).
        name: String,
        /// `CREATE SCHEMA s CREATE TABLE ...`: changes made inside the new schema.
        elements: Vec<SchemaChange>,
    },
    CreateTable(CreateTable),
    /// `CREATE TABLE ... AS` (column names only; their types are not known without running the query).
    CreateTableAs {
        name: ObjName,
        at: Span,
        columns: Vec<String>,
        /// False when some column's name could not be worked out (a `*`, an unnamed expression).
        columns_known: bool,
    },
    AlterTable {
        /// The relation: `ALTER TABLE`, but also `ALTER INDEX`, `ALTER VIEW`, ... (see `kind`).
        name: ObjName,
        /// Table, ForeignTable, Index, View, MaterializedView or Sequence (Other for anything else).
        kind: ObjectKind,
        if_exists: bool,
        commands: Vec<AlterTable>,
    },
    /// `ALTER TABLE ... SET SCHEMA`.
    SetSchema {
        table: ObjName,
        schema: String,
    },
    CreateIndex(CreateIndex),
    CreateView {
        name: ObjName,
        at: Span,
        or_replace: bool,
        materialized: bool,
        query: ViewQuery,
        /// The relations the query reads, as it names them, in order (CTE names are not relations).
        reads: Vec<ObjName>,
    },
    CreateSequence {
        name: ObjName,
        at: Span,
        options: SequenceOptions,
    },
    AlterSequence {
        name: ObjName,
        options: SequenceOptions,
    },
    CreateEnum {
        name: ObjName,
        values: Vec<String>,
    },
    /// `ALTER TYPE ... ADD VALUE` / `RENAME VALUE`.
    AlterEnum {
        name: ObjName,
        /// Set for RENAME VALUE: the value renamed to `value`.
        old_value: Option<String>,
        value: String,
        /// ADD VALUE ... BEFORE / AFTER this one (empty: at the end).
        neighbor: String,
        after: bool,
    },
    CreateDomain {
        name: ObjName,
        base: Option<DataType>,
        not_null: bool,
        checks: Vec<String>,
    },
    CreateCompositeType {
        name: ObjName,
        attributes: Vec<(String, DataType)>,
    },
    CreateFunction(CreateFunction),
    /// `ALTER FUNCTION` / `ALTER PROCEDURE`: what it sets that the model keeps (`None`: left as it is).
    AlterFunction {
        function: ObjectRef,
        procedure: bool,
        security_definer: Option<bool>,
        volatility: Option<String>,
        /// `SET search_path = ...` (`Some(Some(..))`, the schemas joined with ", ") or `RESET
        /// search_path` (`Some(None)`).
        search_path: Option<Option<String>>,
    },
    CreateTrigger {
        table: ObjName,
        name: String,
        function: ObjName,
        /// `BEFORE`, `AFTER`, `INSTEAD OF`.
        timing: &'static str,
        events: Vec<&'static str>,
        /// `UPDATE OF` these columns.
        update_of: Vec<String>,
        for_each_row: bool,
        /// The `WHEN` condition.
        when: Option<String>,
        /// The arguments passed to the function, as strings.
        args: Vec<String>,
    },
    CreatePolicy {
        table: ObjName,
        name: String,
        /// `ALL`, `SELECT`, `INSERT`, `UPDATE`, `DELETE`.
        command: String,
        permissive: bool,
        roles: Vec<String>,
        using: Option<String>,
        with_check: Option<String>,
    },
    AlterPolicy {
        table: ObjName,
        name: String,
        /// Set when the statement names roles.
        roles: Option<Vec<String>>,
        using: Option<String>,
        with_check: Option<String>,
    },
    CreateRole {
        name: String,
        /// `CREATE USER` (login by default).
        user: bool,
        options: Vec<RoleOption>,
    },
    AlterRole {
        name: String,
        options: Vec<RoleOption>,
    },
    Grant(Grant),
    /// `GRANT role TO role` / `REVOKE role FROM role`.
    GrantRole {
        grant: bool,
        roles: Vec<String>,
        grantees: Vec<String>,
    },
    Comment {
        on: CommentOn,
        /// `None` for `IS NULL` (the comment is removed).
        text: Option<String>,
    },
    CreateExtension {
        name: String,
        schema: Option<String>,
    },
    Drop(Drop),
    Rename(Rename),
    /// `SET search_path`: `None` resets it to the default.
    SetSearchPath(Option<Vec<String>>),
    /// Maintenance of a table's storage or rows that takes locks but changes no definition (REINDEX,
    /// CLUSTER, VACUUM, ANALYZE, TRUNCATE).
    Maintain(Maintenance),
    /// A statement that changes neither the schema nor rows a down script could give back (SELECT,
    /// COPY, REFRESH, LOCK, ...).
    NoEffect,
    /// INSERT, UPDATE or DELETE: rows change, the schema does not (a down script cannot give them back).
    WriteRows(WriteRows),
    /// Transaction control: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...
    Transaction(Transaction),
    /// `SET name = value` (or `RESET`, `SET ... TO DEFAULT`: `value` is `None`) of a setting other than
    /// `search_path`; the value as written, without quotes.
    SetSetting {
        name: String,
        value: Option<String>,
    },
    /// `ALTER DOMAIN`: the command, which the schema model does not follow.
    AlterDomain {
        name: ObjName,
        command: AlterDomain,
    },
    /// A statement whose effect on the schema is not modelled.
    Opaque {
        reason: String,
        may_touch: MayTouch,
    },
}

impl SchemaChange {
    /// The change with every span set to `at`: changes compare equal when they change the same, wherever
    /// they were written.
    pub fn erase_spans(&mut self, at: Span) {
        fn column(c: &mut ColumnDef, at: Span) {
            c.at = at;
            for k in &mut c.constraints {
                if let ColumnConstraint::Constraint(k) = k {
                    k.at = at;
                }
            }
        }
        match self {
            SchemaChange::CreateSchema { elements, .. } => {
                for e in elements {
                    e.erase_spans(at);
                }
            }
            SchemaChange::CreateTable(t) => {
                t.at = at;
                for e in &mut t.elements {
                    match e {
                        TableElement::Column(c) => column(c, at),
                        TableElement::Constraint(k) => k.at = at,
                        TableElement::Like(_) => {}
                    }
                }
            }
            SchemaChange::CreateTableAs { at: a, .. }
            | SchemaChange::CreateView { at: a, .. }
            | SchemaChange::CreateSequence { at: a, .. } => *a = at,
            SchemaChange::AlterTable { commands, .. } => {
                for c in commands {
                    match c {
                        AlterTable::AddColumn { column: c, .. } => column(c, at),
                        AlterTable::AddConstraint(k) => k.at = at,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriteRows {
    pub verb: RowVerb,
    pub table: ObjName,
    /// It has a WHERE clause (an INSERT has none).
    pub filtered: bool,
    /// The columns it names to write: an INSERT's column list, an UPDATE's SET targets (a field or an
    /// element of a column counts as the column).
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowVerb {
    Insert,
    Update,
    Delete,
}

/// The SQL name of PostgreSQL's lock mode number `mode` (1 to 8), as `LOCK TABLE` writes it.
pub fn lock_mode_name(mode: i32) -> Option<&'static str> {
    Some(match mode {
        1 => "ACCESS SHARE",
        2 => "ROW SHARE",
        3 => "ROW EXCLUSIVE",
        4 => "SHARE UPDATE EXCLUSIVE",
        5 => "SHARE",
        6 => "SHARE ROW EXCLUSIVE",
        7 => "EXCLUSIVE",
        8 => "ACCESS EXCLUSIVE",
        _ => return None,
    })
}

impl RowVerb {
    pub fn keyword(self) -> &'static str {
        match self {
            RowVerb::Insert => "INSERT",
            RowVerb::Update => "UPDATE",
            RowVerb::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `ROLLBACK`, `PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`: the open
    /// transaction block ends.
    End,
    /// `SAVEPOINT`, `RELEASE`, `ROLLBACK TO`: the block stays open.
    Savepoint,
    /// `COMMIT AND CHAIN`, `ROLLBACK AND CHAIN`: the block ends and a new one opens at once (PostgreSQL
    /// refuses it outside an explicit transaction block).
    Chain,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterDomain {
    /// `ADD CONSTRAINT` (`NOT VALID`: existing values are not checked).
    AddConstraint {
        name: Option<String>,
        not_valid: bool,
    },
    /// Any other command (defaults, NOT NULL, VALIDATE, DROP CONSTRAINT, ...).
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Maintenance {
    /// `LOCK TABLE tables IN mode MODE`: `mode` is PostgreSQL's lock mode number, 1 (ACCESS SHARE) to
    /// 8 (ACCESS EXCLUSIVE).
    Lock {
        tables: Vec<ObjName>,
        mode: i32,
    },
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] view [WITH NO DATA]`.
    Refresh {
        view: ObjName,
        concurrently: bool,
        with_data: bool,
    },
    Reindex {
        /// The table, or the index (`index`).
        target: ObjName,
        index: bool,
        concurrently: bool,
    },
    /// `CLUSTER table` (`None`: every table clustered before).
    Cluster(Option<ObjName>),
    /// `VACUUM` (FULL or not) or `ANALYZE` (`analyze_only`) of these tables.
    Vacuum {
        tables: Vec<ObjName>,
        full: bool,
        /// `VACUUM (ANALYZE)`: statistics gathered too.
        analyze: bool,
        analyze_only: bool,
    },
    Truncate(Vec<ObjName>),
}

/// What an opaque statement may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MayTouch {
    /// Anything: its effect is not known (a DO block, a kind of DDL the model does not follow).
    Anything,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub name: ObjName,
    pub at: Span,
    pub if_not_exists: bool,
    pub unlogged: bool,
    pub temporary: bool,
    pub inherits: Vec<ObjName>,
    pub partition_by: Option<PartitionSpec>,
    /// `PARTITION OF parent FOR VALUES ...`: the bound, as text (the parent is the first of `inherits`).
    pub partition_bound: Option<String>,
    /// `OF type`: the columns are the composite type's.
    pub of_type: Option<ObjName>,
    pub elements: Vec<TableElement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableElement {
    Column(ColumnDef),
    Constraint(ConstraintDef),
    /// `LIKE other`: the other table's columns.
    Like(ObjName),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub at: Span,
    /// `None` when no type is written (a partition's `WITH OPTIONS`).
    pub data_type: Option<DataType>,
    /// Written as serial / bigserial / smallserial (`data_type` is the integer type).
    pub serial: bool,
    pub collation: Option<String>,
    pub constraints: Vec<ColumnConstraint>,
}

/// What a column definition says after its type, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnConstraint {
    NotNull,
    Null,
    Default(String),
    Identity(Identity),
    /// `GENERATED ALWAYS AS (expr) STORED`.
    Generated(String),
    /// A key, check or reference on the column (its columns default to this column); `DEFERRABLE` and
    /// `INITIALLY DEFERRED` written after it are its own.
    Constraint(ConstraintDef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintDef {
    /// The name written, if any.
    pub name: Option<String>,
    pub at: Span,
    pub kind: ConstraintDefKind,
    pub deferrable: bool,
    pub initially_deferred: bool,
    pub not_valid: bool,
    /// `... USING INDEX name`: an existing index becomes the constraint's.
    pub using_index: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintDefKind {
    /// The columns are empty on a column's own constraint (it is the column).
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
    ForeignKey {
        columns: Vec<String>,
        /// `None` when not written (a self-reference in some forms).
        ref_table: Option<ObjName>,
        ref_columns: Vec<String>,
        on_delete: ReferentialAction,
        on_update: ReferentialAction,
        match_full: bool,
    },
    Exclude {
        method: String,
        /// Each element and the operator it excludes with (`room WITH =`).
        elements: Vec<String>,
        operators: Vec<String>,
        predicate: Option<String>,
    },
    /// PostgreSQL 18's table-level `NOT NULL col`: the columns become NOT NULL.
    NotNull {
        columns: Vec<String>,
    },
}

/// One command of an ALTER TABLE.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTable {
    AddColumn {
        column: ColumnDef,
        if_not_exists: bool,
    },
    /// `SET DEFAULT expr`, or `DROP DEFAULT` (`None`).
    SetDefault {
        column: String,
        default: Option<String>,
    },
    SetNotNull(String),
    DropNotNull(String),
    DropColumn {
        column: String,
        if_exists: bool,
        cascade: bool,
    },
    AlterColumnType {
        column: String,
        data_type: DataType,
        /// `USING expr`.
        using: Option<String>,
    },
    AddIdentity {
        column: String,
        identity: Identity,
    },
    DropIdentity(String),
    DropExpression(String),
    AddConstraint(ConstraintDef),
    ValidateConstraint(String),
    DropConstraint(String),
    AlterConstraint {
        name: String,
        deferrable: bool,
        initially_deferred: bool,
    },
    RowSecurity(bool),
    ForceRowSecurity(bool),
    SetLogged(bool),
    SetOwner(Option<String>),
    AttachPartition {
        partition: ObjName,
        bound: String,
    },
    DetachPartition {
        partition: ObjName,
        /// `DETACH PARTITION ... CONCURRENTLY` (PostgreSQL 14+: not in a transaction block).
        concurrently: bool,
    },
    AddInherit(ObjName),
    DropInherit(ObjName),
    /// Storage parameters, statistics targets, `CLUSTER ON` (no effect on the model).
    SetStorage,
    /// `RESET (option, ...)` of storage parameters (`toast.` ones with their prefix); no effect on the
    /// model.
    ResetOptions(Vec<String>),
    /// `ENABLE` / `DISABLE TRIGGER`.
    TriggerSwitch,
    /// A command with no effect on the model.
    Other,
}

impl CreateIndex {
    /// A plain btree index on `columns` of `table` (not unique, not concurrent, no INCLUDE or predicate);
    /// `name: None` leaves the name to PostgreSQL.
    pub fn on_columns(table: ObjName, name: Option<String>, columns: &[String]) -> Self {
        CreateIndex {
            table,
            name,
            if_not_exists: false,
            unique: false,
            primary: false,
            concurrently: false,
            method: "btree".into(),
            keys: columns.iter().map(|c| IndexKey::column(c)).collect(),
            include: vec![],
            predicate: None,
            predicate_columns: vec![],
            nulls_not_distinct: false,
            only: false,
        }
    }
}

impl AlterTable {
    /// `DROP COLUMN column` (no IF EXISTS, no CASCADE).
    pub fn drop_column(column: &str) -> Self {
        AlterTable::DropColumn {
            column: column.to_string(),
            if_exists: false,
            cascade: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    pub table: ObjName,
    /// `None`: PostgreSQL chooses the name.
    pub name: Option<String>,
    pub if_not_exists: bool,
    pub unique: bool,
    pub primary: bool,
    pub concurrently: bool,
    /// Lower case; `btree` when not written.
    pub method: String,
    pub keys: Vec<IndexKey>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    pub predicate_columns: Vec<String>,
    pub nulls_not_distinct: bool,
    /// `ON ONLY table`: on a partitioned table, the index of the parent alone (invalid until an index
    /// of each partition is attached to it).
    pub only: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SequenceOptions {
    /// `AS type`.
    pub data_type: Option<DataType>,
    /// `OWNED BY table.column` (`Some(None)`: `OWNED BY NONE`).
    pub owned_by: Option<Option<(ObjName, String)>>,
    /// `MAXVALUE n` (the schema model does not keep it).
    pub max_value: Option<i64>,
}

/// The text of the statement an object was defined by, kept so it can be written back exactly (what the
/// model keeps of a function — name, argument types, body — is not all of it: parameter names, defaults,
/// STRICT, SETOF...). It takes no part in equality.
#[derive(Debug, Clone, Default)]
pub struct Definition(pub Option<std::sync::Arc<str>>);

impl Definition {
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl PartialEq for Definition {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Definition {}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    pub name: ObjName,
    pub or_replace: bool,
    /// The statement it was lowered from, when it was.
    pub definition: Definition,
    /// The types of the input arguments, as text.
    pub arg_types: Vec<String>,
    pub returns: Option<String>,
    /// Lower case; `sql` when not written.
    pub language: String,
    /// The body, kept opaque.
    pub body: Option<String>,
    pub security_definer: bool,
    /// volatile (the default), stable or immutable.
    pub volatility: String,
    /// `SET search_path = ...` attached to the function.
    pub search_path: Option<String>,
    pub is_procedure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleOption {
    Login(bool),
    Superuser(bool),
    BypassRls(bool),
    /// `CREATEROLE` (not kept by the schema model).
    CreateRole(bool),
    /// `PASSWORD '...'` (true) or `PASSWORD NULL` (false).
    Password(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// GRANT (true) or REVOKE.
    pub grant: bool,
    /// `ALL` when none is listed.
    pub privileges: Vec<Privilege>,
    /// `TABLE`, `SEQUENCE`, `FUNCTION`, `SCHEMA`, `ALL TABLES IN SCHEMA`, `DEFAULT TABLE`, ...
    pub object_kind: String,
    pub objects: Vec<GrantObject>,
    pub grantees: Vec<String>,
    pub with_grant_option: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Privilege {
    /// Upper case: `SELECT`, `ALL`, ...
    pub name: String,
    /// The columns it is limited to (`SELECT (a, b)`), or none.
    pub columns: Vec<String>,
}

impl Privilege {
    pub fn new(name: &str) -> Self {
        Privilege {
            name: name.to_string(),
            columns: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum GrantObject {
    /// A relation, to resolve through the search path.
    Relation(ObjName),
    /// Anything else, by its name as written (a schema, `f.g` for a function).
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommentOn {
    Table(ObjName),
    Column {
        table: ObjName,
        column: String,
    },
    /// Another kind of object named by a dotted name (an index, a view, a type, a schema, ...); its
    /// comment is not modelled.
    Object {
        kind: ObjectKind,
        object: ObjectRef,
    },
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Drop {
    pub kind: ObjectKind,
    pub objects: Vec<ObjectRef>,
    pub cascade: bool,
    pub if_exists: bool,
    pub concurrently: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRef {
    /// The dotted name as written (of an object a DROP or a COMMENT names).
    pub name: Vec<String>,
    /// A function's argument types, when written (`DROP FUNCTION f(integer)`).
    pub args: Option<Vec<String>>,
}

impl ObjectRef {
    pub fn named(name: Vec<String>) -> Self {
        ObjectRef { name, args: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rename {
    pub kind: ObjectKind,
    /// The relation renamed, or the one the renamed column, constraint, trigger or policy belongs to.
    pub relation: Option<ObjName>,
    /// The dotted name of a renamed type or domain.
    pub object: Vec<String>,
    /// The old name of a column, constraint, trigger, policy, schema or role.
    pub old: String,
    pub new: String,
    /// `IF EXISTS`.
    pub if_exists: bool,
}

/// The kinds of object a DROP or a RENAME names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Table,
    ForeignTable,
    Index,
    View,
    MaterializedView,
    Sequence,
    Type,
    Domain,
    Function,
    Procedure,
    Routine,
    Trigger,
    Policy,
    Schema,
    Extension,
    Column,
    TableConstraint,
    Role,
    Database,
    /// A kind the model does not follow.
    Other,
}
