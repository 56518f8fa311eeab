//! Whether an expression may be an index key: PostgreSQL accepts only IMMUTABLE functions and casts
//! there (`functions in index expression must be marked IMMUTABLE`). What makes an expression stable is
//! nearly always time: `date(created_at)`, `created_at::date` and `date_trunc('day', created_at)` on a
//! `timestamptz` depend on the session's TimeZone, casts between text and dates on its DateStyle. The
//! judgement types the expression from its columns' types and knows the built-in functions an index
//! key uses; anything it does not know is not immutable (the advisor then proposes nothing rather than an
//! index PostgreSQL refuses).

use pg_query::protobuf::{self as ast, node::Node as NodeEnum};

/// What an expression evaluates to, as far as immutability depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// timestamptz: everything that reads it as a local time depends on TimeZone.
    Zoned,
    /// timestamp, date, time: local times.
    Local,
    Interval,
    Text,
    /// A literal: its type is fixed when the expression is parsed.
    Literal,
    /// A column whose type is not known (a plan names columns, not their types).
    Unknown,
    Other,
}

fn type_category(name: &str) -> Ty {
    match name {
        "timestamptz" => Ty::Zoned,
        "timestamp" | "date" | "time" | "timetz" => Ty::Local,
        "interval" => Ty::Interval,
        "text" | "varchar" | "bpchar" | "char" | "character" | "character varying" | "citext"
        | "name" => Ty::Text,
        _ => Ty::Other,
    }
}

/// Functions immutable whatever their (non-temporal) arguments.
const IMMUTABLE: &[&str] = &[
    "lower",
    "upper",
    "btrim",
    "ltrim",
    "rtrim",
    "md5",
    "sha256",
    "abs",
    "length",
    "char_length",
    "octet_length",
    "left",
    "right",
    "substr",
    "substring",
    "replace",
    "split_part",
    "lpad",
    "rpad",
    "reverse",
    "initcap",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path_text",
    "array_length",
    "cardinality",
    "coalesce",
    "nullif",
    "int4",
    "int8",
    "numeric",
    "hashtext",
    "strpos",
    "position",
    "translate",
    "concat_ws",
];

/// Whether `sql` (an expression over columns of one table) may be an index key; `column_type` gives a
/// column's type name as the catalog has it (`timestamptz`, `text`, ...).
pub fn index_expression_is_immutable(
    sql: &str,
    column_type: &dyn Fn(&str) -> Option<String>,
) -> bool {
    crate::expr::parse_expression(sql).is_some_and(|e| eval(&e, column_type).is_some())
}

fn type_name_of(t: &ast::TypeName) -> String {
    t.names
        .iter()
        .rev()
        .find_map(crate::expr::string_value)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The expression's type category when it is immutable; `None` when it is not (or not known to be).
fn eval(node: &ast::Node, column_type: &dyn Fn(&str) -> Option<String>) -> Option<Ty> {
    let all = |args: &[ast::Node]| -> Option<Vec<Ty>> {
        args.iter().map(|a| eval(a, column_type)).collect()
    };
    match node.node.as_ref()? {
        NodeEnum::ColumnRef(c) => {
            let name = c.fields.last().and_then(crate::expr::string_value)?;
            Some(column_type(name).map_or(Ty::Unknown, |t| type_category(&t)))
        }
        NodeEnum::AConst(_) => Some(Ty::Literal),
        NodeEnum::TypeCast(c) => {
            let from = eval(c.arg.as_deref()?, column_type)?;
            let to = type_category(&type_name_of(c.type_name.as_ref()?));
            let stable = match (from, to) {
                (Ty::Literal, _) => false,
                // Of a column of unknown type, a cast to or from a time or text may depend on the
                // session: said less.
                (Ty::Unknown, Ty::Zoned | Ty::Local | Ty::Interval | Ty::Text) => true,
                // A zoned time read as a local one, or the reverse: TimeZone.
                (Ty::Zoned, Ty::Local | Ty::Text) | (Ty::Local, Ty::Zoned) => true,
                // Dates and times to and from text: DateStyle, IntervalStyle.
                (Ty::Text, Ty::Zoned | Ty::Local | Ty::Interval) => true,
                (Ty::Local | Ty::Interval, Ty::Text) => true,
                _ => false,
            };
            (!stable).then_some(to)
        }
        NodeEnum::FuncCall(f) => {
            let name = f
                .funcname
                .iter()
                .rev()
                .find_map(crate::expr::string_value)?
                .to_ascii_lowercase();
            let args = all(&f.args)?;
            match (name.as_str(), args.as_slice()) {
                // x AT TIME ZONE 'UTC': timezone(zone, x) is immutable and turns one kind into the other.
                ("timezone", [_, Ty::Zoned]) => Some(Ty::Local),
                ("timezone", [_, Ty::Local]) => Some(Ty::Zoned),
                ("date", [Ty::Local | Ty::Literal]) => Some(Ty::Local),
                ("date_trunc", [_, Ty::Local]) => Some(Ty::Local),
                ("date_part" | "extract", [_, Ty::Local | Ty::Interval]) => Some(Ty::Other),
                (f, args)
                    if IMMUTABLE.contains(&f)
                        && !args
                            .iter()
                            .any(|a| matches!(a, Ty::Zoned | Ty::Local | Ty::Interval)) =>
                {
                    Some(
                        if matches!(
                            f,
                            "lower"
                                | "upper"
                                | "btrim"
                                | "md5"
                                | "left"
                                | "right"
                                | "substr"
                                | "substring"
                                | "replace"
                                | "split_part"
                                | "jsonb_extract_path_text"
                        ) {
                            Ty::Text
                        } else {
                            Ty::Other
                        },
                    )
                }
                _ => None,
            }
        }
        NodeEnum::CoalesceExpr(c) => all(&c.args)?.first().copied().or(Some(Ty::Other)),
        NodeEnum::NullTest(n) => eval(n.arg.as_deref()?, column_type).map(|_| Ty::Other),
        NodeEnum::BoolExpr(b) => all(&b.args).map(|_| Ty::Other),
        NodeEnum::AExpr(e) => {
            let op = e
                .name
                .iter()
                .rev()
                .find_map(crate::expr::string_value)
                .unwrap_or("");
            let l = match e.lexpr.as_deref() {
                Some(l) => Some(eval(l, column_type)?),
                None => None,
            };
            let r = eval(e.rexpr.as_deref()?, column_type)?;
            let temporal = |t: Option<Ty>| matches!(t, Some(Ty::Zoned | Ty::Local | Ty::Interval));
            match op {
                // Text concatenation of a time formats it (DateStyle); zoned arithmetic crosses days in
                // TimeZone.
                "||" if temporal(l) || temporal(Some(r)) => None,
                "+" | "-" if l == Some(Ty::Zoned) || r == Ty::Zoned => None,
                // Of a column of unknown type, + and - may be zoned arithmetic: said less.
                "+" | "-" if l == Some(Ty::Unknown) || r == Ty::Unknown => None,
                "->>" => Some(Ty::Text),
                "+" | "-" if temporal(l) => l,
                _ if matches!(op, "=" | "<>" | "<" | ">" | "<=" | ">=" | "~~" | "!~~") => {
                    Some(Ty::Other)
                }
                "->" | "#>" | "#>>" | "*" | "/" | "%" | "||" | "+" | "-" => Some(Ty::Other),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(c: &str) -> Option<String> {
        match c {
            "created_at" => Some("timestamptz".into()),
            "happened" => Some("timestamp".into()),
            "email" | "code" => Some("text".into()),
            "amount" => Some("numeric".into()),
            "doc" => Some("jsonb".into()),
            _ => None,
        }
    }

    #[test]
    fn time_zone_dependent_keys_are_refused_and_their_utc_forms_accepted() {
        let ok = |s: &str| index_expression_is_immutable(s, &types);
        for good in [
            "lower(email)",
            "upper(btrim(code))",
            "(created_at AT TIME ZONE 'UTC')::date",
            "date(happened)",
            "happened::date",
            "date_trunc('day', happened)",
            "doc ->> 'kind'",
            "(doc -> 'a') ->> 'b'",
            "round(amount, 2)",
            "coalesce(code, '')",
            "lower(unknown_column)",
        ] {
            assert!(ok(good), "{good} is immutable");
        }
        for bad in [
            "date(created_at)",
            "created_at::date",
            "date_trunc('day', created_at)",
            "date_trunc('day', created_at, 'UTC')",
            "extract(year FROM created_at)",
            "code::date",
            "to_char(happened, 'YYYY')",
            "created_at + interval '1 day'",
            "email || created_at",
            "now()",
            "unaccent(email)",
            "lower(email); DROP TABLE t",
            "unknown_column::date",
            "not sql (",
        ] {
            assert!(!ok(bad), "{bad} is not immutable");
        }
    }
}
