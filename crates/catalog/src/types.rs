//! Column types from the parse tree, with names canonicalised.

use dbarch_sql::ast;
use dbarch_sql::expr::{const_text, string_value};

use crate::model::DataType;

/// (type, serial?) from a parsed type name.
pub(crate) fn data_type(t: &ast::TypeName) -> (DataType, bool) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use dbarch_sql::NodeEnum;

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
