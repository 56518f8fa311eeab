//! The parts of a schema that changes and the schema model share: column types (with names canonicalised,
//! `int4` and `integer` are both `integer`), identity, referential actions, partitioning, index keys.

use std::fmt;

use serde::Serialize;

use crate::ast;
use crate::expr::{const_text, string_value};

/// A column type, with the name canonicalised (`int4` and `integer` are both `integer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataType {
    /// Canonical lower-case name, e.g. `integer`, `varchar`, `timestamp`, `timestamptz`, `numeric`.
    pub name: String,
    /// Schema, for user-defined types outside pg_catalog.
    pub schema: Option<String>,
    /// Type modifiers, e.g. `[255]` for varchar(255), `[10, 2]` for numeric(10,2).
    pub modifiers: Vec<i64>,
    pub array_dims: u32,
}

impl DataType {
    pub fn simple(name: &str) -> Self {
        DataType {
            name: name.to_string(),
            schema: None,
            modifiers: vec![],
            array_dims: 0,
        }
    }

    pub fn is_array(&self) -> bool {
        self.array_dims > 0
    }

    pub fn is_integer(&self) -> bool {
        !self.is_array() && matches!(self.name.as_str(), "smallint" | "integer" | "bigint")
    }

    pub fn is_text_like(&self) -> bool {
        !self.is_array() && matches!(self.name.as_str(), "text" | "varchar" | "char" | "citext")
    }

    /// The group of types this one compares with through an indexable operator ([`comparison_group`]).
    pub fn comparison_group(&self) -> Option<&'static str> {
        if self.is_array() {
            return None;
        }
        comparison_group(&self.name)
    }

    /// Types PostgreSQL compares without a cast in an FK (same storage family).
    pub fn family(&self) -> &str {
        match self.name.as_str() {
            "text" | "varchar" | "char" | "citext" | "name" => "text",
            "timestamp" => "timestamp",
            other => other,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self.name.as_str();
        if let Some(s) = &self.schema {
            write!(f, "{}.", crate::expr::quote_ident(s))?;
        }
        write!(f, "{base}")?;
        if !self.modifiers.is_empty() {
            let m: Vec<String> = self.modifiers.iter().map(|m| m.to_string()).collect();
            write!(f, "({})", m.join(","))?;
        }
        for _ in 0..self.array_dims {
            write!(f, "[]")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Identity {
    Always,
    ByDefault,
}

impl Identity {
    /// From the parser's `generated_when` ("a" for ALWAYS, "d" for BY DEFAULT).
    pub fn from_generated_when(when: &str) -> Self {
        if when == "a" {
            Identity::Always
        } else {
            Identity::ByDefault
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    pub fn from_code(c: &str) -> Self {
        match c {
            "r" => Self::Restrict,
            "c" => Self::Cascade,
            "n" => Self::SetNull,
            "d" => Self::SetDefault,
            _ => Self::NoAction,
        }
    }

    pub fn sql(&self) -> &'static str {
        match self {
            Self::NoAction => "NO ACTION",
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PartitionStrategy {
    Range,
    List,
    Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionSpec {
    pub strategy: PartitionStrategy,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IndexKeyExpr {
    Column(String),
    /// An expression key as SQL text, with the columns it uses.
    Expression {
        sql: String,
        columns: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexKey {
    pub expr: IndexKeyExpr,
    pub opclass: Option<String>,
    pub collation: Option<String>,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}

impl IndexKey {
    pub fn column(name: &str) -> Self {
        IndexKey {
            expr: IndexKeyExpr::Column(name.to_string()),
            opclass: None,
            collation: None,
            descending: false,
            nulls_first: None,
        }
    }

    pub fn column_name(&self) -> Option<&str> {
        match &self.expr {
            IndexKeyExpr::Column(c) => Some(c),
            IndexKeyExpr::Expression { .. } => None,
        }
    }

    pub fn sql(&self) -> String {
        let mut s = match &self.expr {
            IndexKeyExpr::Column(c) => crate::expr::quote_ident(c),
            IndexKeyExpr::Expression { sql, .. } => format!("({sql})"),
        };
        if let Some(o) = &self.opclass {
            s.push(' ');
            s.push_str(o);
        }
        if self.descending {
            s.push_str(" DESC");
        }
        match self.nulls_first {
            Some(true) => s.push_str(" NULLS FIRST"),
            Some(false) => s.push_str(" NULLS LAST"),
            None => {}
        }
        s
    }
}

/// (type, serial?) from a parsed type name.
pub fn data_type(t: &ast::TypeName) -> (DataType, bool) {
    let names: Vec<&str> = t.names.iter().filter_map(string_value).collect();
    let (schema, raw) = match names.as_slice() {
        [] => (None, "unknown"),
        [n] => (None, *n),
        [.., s, n] => (
            if *s == "pg_catalog" {
                None
            } else {
                Some(s.to_string())
            },
            *n,
        ),
    };
    let lower = raw.to_ascii_lowercase();
    let (name, serial) = if schema.is_none() {
        canonical(&lower)
    } else {
        (lower.clone(), false)
    };
    let modifiers = t
        .typmods
        .iter()
        .filter_map(const_text)
        .filter_map(|m| m.parse::<i64>().ok())
        .collect();
    let dt = DataType {
        name,
        schema,
        modifiers,
        array_dims: t.array_bounds.len() as u32,
    };
    (dt, serial)
}

fn canonical(n: &str) -> (String, bool) {
    let (s, serial) = match n {
        "int2" | "smallint" => ("smallint", false),
        "int4" | "int" | "integer" => ("integer", false),
        "int8" | "bigint" => ("bigint", false),
        "serial" | "serial4" => ("integer", true),
        "bigserial" | "serial8" => ("bigint", true),
        "smallserial" | "serial2" => ("smallint", true),
        "float4" | "real" => ("real", false),
        "float8" | "double precision" | "float" => ("double precision", false),
        "numeric" | "decimal" => ("numeric", false),
        "bool" | "boolean" => ("boolean", false),
        "varchar" | "character varying" => ("varchar", false),
        "bpchar" | "char" | "character" => ("char", false),
        "timestamp" | "timestamp without time zone" => ("timestamp", false),
        "timestamptz" | "timestamp with time zone" => ("timestamptz", false),
        "time" | "time without time zone" => ("time", false),
        "timetz" | "time with time zone" => ("timetz", false),
        other => return (other.to_string(), false),
    };
    (s.to_string(), serial)
}

/// The groups of types PostgreSQL compares with an indexable operator across the group's members
/// (`integer`, `numeric`, `text`, `uuid`, `time`, `boolean`, `json`); `None` for a type outside them.
pub fn comparison_group(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "smallint" | "integer" | "bigint" => "integer",
        "numeric" | "real" | "double precision" => "numeric",
        "text" | "varchar" | "char" | "citext" | "name" => "text",
        "uuid" => "uuid",
        "date" | "timestamp" | "timestamptz" => "time",
        "boolean" => "boolean",
        "jsonb" | "json" => "json",
        _ => return None,
    })
}

/// Whether PostgreSQL refuses to compare values of the two groups (`operator does not exist: text =
/// integer`): any two different groups but integer and numeric, which it compares as numeric.
pub fn comparison_refused(a: &str, b: &str) -> bool {
    a != b && !matches!((a, b), ("integer", "numeric") | ("numeric", "integer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeEnum;

    fn col_type(sql: &str) -> (DataType, bool) {
        let r = pg_query::parse(&format!("create table t (c {sql})"), 0).unwrap();
        let Some(NodeEnum::CreateStmt(c)) =
            r.protobuf.stmts[0].stmt.as_ref().unwrap().node.as_ref()
        else {
            panic!()
        };
        let Some(NodeEnum::ColumnDef(d)) = c.table_elts[0].node.as_ref() else {
            panic!()
        };
        data_type(d.type_name.as_ref().unwrap())
    }

    #[test]
    fn canonical_names() {
        assert_eq!(col_type("int").0.name, "integer");
        assert_eq!(col_type("bigserial"), (DataType::simple("bigint"), true));
        assert_eq!(col_type("varchar(255)").0.modifiers, vec![255]);
        assert_eq!(col_type("numeric(10,2)").0.to_string(), "numeric(10,2)");
        assert_eq!(col_type("timestamp with time zone").0.name, "timestamptz");
        assert_eq!(col_type("timestamp").0.name, "timestamp");
        assert_eq!(col_type("double precision").0.name, "double precision");
        assert_eq!(col_type("float").0.name, "double precision");
        assert_eq!(col_type("text[]").0.array_dims, 1);
        assert_eq!(col_type("character(2)").0.name, "char");
        assert_eq!(
            col_type("myschema.mood").0.schema.as_deref(),
            Some("myschema")
        );
    }
}
