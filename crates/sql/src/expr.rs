//! Small helpers over the PostgreSQL parse tree: names, literals, and expressions back to text.

use std::sync::OnceLock;

use pg_query::protobuf::{self as ast, node::Node as NodeEnum};

/// The text of a `String` node (identifiers in name lists), if it is one.
pub fn string_value(node: &ast::Node) -> Option<&str> {
    match node.node.as_ref()? {
        NodeEnum::String(s) => Some(s.sval.as_str()),
        _ => None,
    }
}

/// A dotted name list (`schema.name`) as its parts.
pub fn name_list(nodes: &[ast::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(string_value)
        .map(str::to_string)
        .collect()
}

/// An integer or string constant, as text (for type modifiers, options, ...).
pub fn const_text(node: &ast::Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            ast::a_const::Val::Ival(i) => Some(i.ival.to_string()),
            ast::a_const::Val::Fval(f) => Some(f.fval.clone()),
            ast::a_const::Val::Sval(s) => Some(s.sval.clone()),
            ast::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            ast::a_const::Val::Bsval(b) => Some(b.bsval.clone()),
        },
        NodeEnum::Integer(i) => Some(i.ival.to_string()),
        NodeEnum::String(s) => Some(s.sval.clone()),
        NodeEnum::Float(f) => Some(f.fval.clone()),
        NodeEnum::Boolean(b) => Some(b.boolval.to_string()),
        NodeEnum::TypeName(t) => Some(name_list(&t.names).join(".")),
        _ => None,
    }
}

/// The text libpg_query's deparser gives the commonest column defaults — a constant, a call without
/// arguments (`now()`), a string cast to a one-word type (`'x'::text`) — written here directly: deparsing
/// goes through protobuf in C, and replaying a long history deparses thousands of defaults. Anything else
/// is left to the deparser (a test checks both agree on each form this handles).
fn simple_text(expr: &ast::Node) -> Option<String> {
    fn literal(c: &ast::AConst) -> Option<String> {
        if c.isnull {
            return Some("NULL".into());
        }
        match c.val.as_ref()? {
            ast::a_const::Val::Ival(i) => Some(i.ival.to_string()),
            ast::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            ast::a_const::Val::Sval(s) if !s.sval.contains('\\') => {
                Some(format!("'{}'", s.sval.replace('\'', "''")))
            }
            _ => None,
        }
    }
    let plain = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit()
    };
    match expr.node.as_ref()? {
        NodeEnum::AConst(c) => literal(c),
        NodeEnum::FuncCall(f)
            if f.args.is_empty()
                && !f.agg_star
                && !f.agg_distinct
                && !f.func_variadic
                && f.agg_order.is_empty()
                && f.agg_filter.is_none()
                && f.over.is_none()
                && f.funcname.len() == 1 =>
        {
            let name = string_value(&f.funcname[0])?;
            (plain(name) && !is_keyword(name)).then(|| format!("{name}()"))
        }
        NodeEnum::TypeCast(t) => {
            let arg = t.arg.as_ref()?;
            let Some(NodeEnum::AConst(c)) = arg.node.as_ref() else {
                return None;
            };
            let ast::a_const::Val::Sval(_) = c.val.as_ref()? else {
                return None;
            };
            let ty = t.type_name.as_ref()?;
            if ty.names.len() != 1
                || !ty.typmods.is_empty()
                || !ty.array_bounds.is_empty()
                || ty.setof
                || ty.pct_type
            {
                return None;
            }
            let name = string_value(&ty.names[0])?;
            let value = literal(c)?;
            (plain(name) && !is_keyword(name)).then(|| format!("{value}::{name}"))
        }
        _ => None,
    }
}

fn select_template() -> Option<&'static ast::ParseResult> {
    static T: OnceLock<Option<ast::ParseResult>> = OnceLock::new();
    T.get_or_init(|| pg_query::parse("SELECT 1", 0).ok().map(|r| r.protobuf))
        .as_ref()
}

/// An expression back to SQL text, by deparsing it as the target of a `SELECT`. The tree is built from a
/// parsed template, since libpg_query aborts the process on enum fields left at their zero value.
pub fn deparse_expr(expr: &ast::Node) -> String {
    if let Some(text) = simple_text(expr) {
        return text;
    }
    let Some(mut tree) = select_template().cloned() else {
        return "<expression>".to_string();
    };
    let target = tree
        .stmts
        .first_mut()
        .and_then(|s| s.stmt.as_mut())
        .and_then(|n| n.node.as_mut())
        .and_then(|n| match n {
            NodeEnum::SelectStmt(s) => s.target_list.first_mut(),
            _ => None,
        })
        .and_then(|t| t.node.as_mut());
    let Some(NodeEnum::ResTarget(rt)) = target else {
        return "<expression>".to_string();
    };
    rt.val = Some(Box::new(expr.clone()));
    match pg_query::deparse(&tree, Default::default()) {
        Ok(s) => s.strip_prefix("SELECT ").unwrap_or(&s).to_string(),
        Err(_) => "<expression>".to_string(),
    }
}

/// A whole statement back to SQL text.
pub fn deparse_stmt(node: &NodeEnum) -> String {
    let Some(mut tree) = select_template().cloned() else {
        return String::new();
    };
    if let Some(s) = tree.stmts.first_mut() {
        s.stmt = Some(Box::new(ast::Node {
            node: Some(node.clone()),
        }));
    }
    pg_query::deparse(&tree, Default::default()).unwrap_or_default()
}

/// `sql` with `word` written after its first token spelled `token` (any case, outside strings and
/// comments), keeping the rest of the text as written: e.g. CONCURRENTLY after the INDEX of a CREATE INDEX.
pub fn insert_after_token(sql: &str, token: &str, word: &str) -> Option<String> {
    let scan = pg_query::scan(sql).ok()?;
    let at = scan.tokens.iter().find_map(|t| {
        let (start, end) = (usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?);
        sql.get(start..end)?
            .eq_ignore_ascii_case(token)
            .then_some(end)
    })?;
    Some(format!("{} {word}{}", &sql[..at], &sql[at..]))
}

/// BEGIN, COMMIT, ROLLBACK, START TRANSACTION, SAVEPOINT and the like.
pub fn is_transaction_control(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::TransactionStmt(_))
}

/// The same statement without CONCURRENTLY (CREATE INDEX, DROP INDEX, REINDEX), which can run inside a
/// transaction block; `None` when the statement has no such form.
pub fn without_concurrently(node: &NodeEnum) -> Option<String> {
    let mut n = node.clone();
    match &mut n {
        NodeEnum::IndexStmt(s) if s.concurrent => s.concurrent = false,
        NodeEnum::DropStmt(s) if s.concurrent => s.concurrent = false,
        NodeEnum::ReindexStmt(s) => {
            let before = s.params.len();
            s.params.retain(
                |p| !matches!(&p.node, Some(NodeEnum::DefElem(d)) if d.defname == "concurrently"),
            );
            if s.params.len() == before {
                return None;
            }
        }
        _ => return None,
    }
    let sql = deparse_stmt(&n);
    (!sql.is_empty()).then_some(sql)
}

/// The column names an expression refers to (unqualified last part of each column reference).
pub fn column_refs(expr: &ast::Node) -> Vec<String> {
    let mut out = Vec::new();
    let Some(e) = expr.node.as_ref() else {
        return out;
    };
    for (n, _, _, _) in e.nodes() {
        if let pg_query::NodeRef::ColumnRef(c) = n
            && let Some(last) = c.fields.iter().rev().find_map(string_value)
        {
            out.push(last.to_string());
        }
    }
    out
}

/// The names of the functions an expression calls (last part of each name).
pub fn function_calls(expr: &ast::Node) -> Vec<String> {
    let mut out = Vec::new();
    let Some(e) = expr.node.as_ref() else {
        return out;
    };
    for (n, _, _, _) in e.nodes() {
        if let pg_query::NodeRef::FuncCall(f) = n
            && let Some(last) = f.funcname.iter().rev().find_map(string_value)
        {
            out.push(last.to_ascii_lowercase());
        }
    }
    out
}

/// One expression written as SQL text, parsed (`None` when the text is not exactly one expression).
pub fn parse_expression(sql: &str) -> Option<ast::Node> {
    let parsed = crate::raw::parse(&format!("SELECT {sql}")).ok()?;
    let [stmt] = parsed.stmts.as_slice() else {
        return None;
    };
    let NodeEnum::SelectStmt(s) = stmt.stmt.as_ref()?.node.as_ref()? else {
        return None;
    };
    let [target] = s.target_list.as_slice() else {
        return None;
    };
    match target.node.as_ref()? {
        NodeEnum::ResTarget(r) => r.val.as_deref().cloned(),
        _ => None,
    }
}

/// The functions an expression written as SQL text calls (`None` when the text is not an expression).
pub fn function_calls_in(sql: &str) -> Option<Vec<String>> {
    parse_expression(sql).map(|e| function_calls(&e))
}

/// What a boolean expression written as SQL text (an index's predicate) says of NULLs: the columns its
/// top-level AND holds `IS NOT NULL`, and whether those terms are all it says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NotNullTerms {
    pub columns: Vec<String>,
    /// Every term of the AND is a `col IS NOT NULL` (the predicate leaves out only rows with a NULL).
    pub only: bool,
}

/// [`NotNullTerms`] of `sql`; nothing when the text is not an expression.
pub fn not_null_terms(sql: &str) -> NotNullTerms {
    fn walk(node: &ast::Node, out: &mut NotNullTerms) {
        match node.node.as_ref() {
            Some(NodeEnum::BoolExpr(b)) if b.boolop() == ast::BoolExprType::AndExpr => {
                for a in &b.args {
                    walk(a, out);
                }
            }
            Some(NodeEnum::NullTest(n)) if n.nulltesttype() == ast::NullTestType::IsNotNull => {
                match n.arg.as_deref().and_then(|a| a.node.as_ref()) {
                    Some(NodeEnum::ColumnRef(c))
                        if c.fields.last().and_then(string_value).is_some() =>
                    {
                        if let Some(name) = c.fields.last().and_then(string_value) {
                            out.columns.push(name.to_string());
                        }
                    }
                    _ => out.only = false,
                }
            }
            _ => out.only = false,
        }
    }
    let Ok(parsed) = crate::raw::parse(&format!("SELECT WHERE {sql}")) else {
        return NotNullTerms::default();
    };
    let Some(NodeEnum::SelectStmt(s)) = parsed
        .stmts
        .first()
        .and_then(|s| s.stmt.as_ref())
        .and_then(|s| s.node.as_ref())
    else {
        return NotNullTerms::default();
    };
    let mut out = NotNullTerms {
        columns: vec![],
        only: true,
    };
    match s.where_clause.as_deref() {
        Some(w) if parsed.stmts.len() == 1 => walk(w, &mut out),
        _ => return NotNullTerms::default(),
    }
    out
}

/// Whether a word is a reserved keyword of PostgreSQL's grammar (cannot be a bare column or table name).
pub fn is_reserved_keyword(word: &str) -> bool {
    keyword_kind(word) == Some(ast::KeywordKind::ReservedKeyword as i32)
}

/// Whether a word is a keyword the deparser may quote or spell otherwise (an unreserved one it prints as
/// it is).
fn is_keyword(word: &str) -> bool {
    keyword_kind(word).is_none_or(|k| {
        k != ast::KeywordKind::NoKeyword as i32 && k != ast::KeywordKind::UnreservedKeyword as i32
    })
}

/// The grammar's keyword kind of one word (`None`: not a single token, or not scannable), from the real
/// scanner, remembered per word.
fn keyword_kind(word: &str) -> Option<i32> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, Option<i32>>>> = OnceLock::new();
    if word.is_empty()
        || word.len() > 20
        || !word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Some(ast::KeywordKind::NoKeyword as i32);
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(word).copied()) {
        return hit;
    }
    let answer = match pg_query::scan(word) {
        Ok(r) if r.tokens.len() == 1 => Some(r.tokens[0].keyword_kind),
        _ => None,
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(word.to_string(), answer);
    }
    answer
}

/// Quote an identifier when PostgreSQL would need it quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'$')
        && !is_reserved_keyword(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_predicate_says_of_nulls() {
        let t = not_null_terms("((user_id IS NOT NULL) AND (\"Org\" IS NOT NULL) AND (x > 1))");
        assert_eq!(t.columns, ["user_id", "Org"]);
        assert!(!t.only);
        let t = not_null_terms("(a IS NOT NULL) AND b IS NOT NULL");
        assert_eq!((t.columns.len(), t.only), (2, true));
        assert!(!not_null_terms("user_id IS NOT NULL OR x").only);
        assert!(not_null_terms("user_id IS NULL").columns.is_empty());
        assert_eq!(not_null_terms("not sql ("), NotNullTerms::default());
        assert_eq!(
            not_null_terms("true; DROP TABLE t"),
            NotNullTerms::default()
        );
    }

    #[test]
    fn insert_after_token_keeps_the_text() {
        assert_eq!(
            insert_after_token(
                "create unique index /* index */ IF NOT EXISTS \"Index\" on t (c)",
                "index",
                "CONCURRENTLY"
            )
            .as_deref(),
            Some("create unique index CONCURRENTLY /* index */ IF NOT EXISTS \"Index\" on t (c)")
        );
        assert_eq!(insert_after_token("select 'index'", "index", "x"), None);
    }

    #[test]
    fn simple_texts_are_the_deparsers_own() {
        for (i, e) in [
            "42",
            "-7",
            "0",
            "true",
            "false",
            "NULL",
            "'open'",
            "'it''s'",
            "now()",
            "gen_random_uuid()",
            "'x'::text",
            "'{}'::jsonb",
            "'a'::my_enum",
            "''::text",
            "'2024-01-01'::date",
            // Left to the deparser: their text must still come out.
            "1.5",
            "'a\\b'",
            "'x'::varchar",
            "'x'::character varying(3)",
            "current_timestamp",
            "lower('A')",
            "'1'::int",
            "nextval('s'::regclass)",
            "'x'::json",
        ]
        .into_iter()
        .enumerate()
        {
            let tree = pg_query::parse(&format!("SELECT {e}"), 0).unwrap().protobuf;
            let Some(NodeEnum::SelectStmt(sel)) =
                tree.stmts[0].stmt.as_ref().and_then(|n| n.node.as_ref())
            else {
                panic!("{e}");
            };
            let Some(NodeEnum::ResTarget(rt)) = sel.target_list[0].node.as_ref() else {
                panic!("{e}");
            };
            let expr = rt.val.as_deref().unwrap();
            let slow = {
                let mut t = select_template().cloned().unwrap();
                if let Some(NodeEnum::SelectStmt(s)) =
                    t.stmts[0].stmt.as_mut().and_then(|n| n.node.as_mut())
                    && let Some(NodeEnum::ResTarget(r)) = s.target_list[0].node.as_mut()
                {
                    r.val = Some(Box::new(expr.clone()));
                }
                let text = pg_query::deparse(&t, Default::default()).unwrap();
                text.strip_prefix("SELECT ").unwrap().to_string()
            };
            match simple_text(expr) {
                Some(fast) => assert_eq!(fast, slow, "{e}"),
                // The first fifteen are the forms written directly.
                None => assert!(i >= 15, "{e} went to the deparser"),
            }
            assert_eq!(deparse_expr(expr), slow, "{e}");
        }
    }

    #[test]
    fn concurrently_dropped() {
        let parse = |sql: &str| {
            pg_query::parse(sql, 0).unwrap().protobuf.stmts[0]
                .stmt
                .clone()
                .unwrap()
                .node
                .unwrap()
        };
        assert_eq!(
            without_concurrently(&parse("CREATE INDEX CONCURRENTLY i ON t (a)")).as_deref(),
            Some("CREATE INDEX i ON t USING btree (a)")
        );
        assert!(
            without_concurrently(&parse("REINDEX INDEX CONCURRENTLY i"))
                .is_some_and(|s| !s.contains("CONCURRENTLY"))
        );
        assert_eq!(
            without_concurrently(&parse("CREATE INDEX i ON t (a)")),
            None
        );
        assert!(is_transaction_control(&parse("COMMIT")));
    }

    #[test]
    fn reserved_words() {
        assert!(is_reserved_keyword("user"));
        assert!(is_reserved_keyword("order"));
        assert!(!is_reserved_keyword("name"));
        assert!(!is_reserved_keyword("users"));
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("Order"), "\"Order\"");
        assert_eq!(quote_ident("orders"), "orders");
    }

    #[test]
    fn deparses_expressions() {
        let r = pg_query::parse("select lower(email) from t where deleted_at is null", 0).unwrap();
        let NodeEnum::SelectStmt(s) = r.protobuf.stmts[0]
            .stmt
            .as_ref()
            .unwrap()
            .node
            .as_ref()
            .unwrap()
        else {
            panic!()
        };
        let w = s.where_clause.as_ref().unwrap();
        assert_eq!(deparse_expr(w), "deleted_at IS NULL");
        assert_eq!(column_refs(w), vec!["deleted_at"]);
    }
}

/// A column default as PostgreSQL compares it: the expression deparsed (spacing and parentheses as the
/// deparser writes them), a cast of the whole default to the column's own type left out (PostgreSQL
/// stores `DEFAULT 'x'` of a varchar column as `'x'::character varying`, and `'{}'` of a text[] column as
/// `'{}'::text[]`), and so are casts of string literals to text and varchar inside it (`m -> 'k'` is
/// stored `m -> 'k'::text`). Two defaults that read the same here store the same.
pub fn stored_default(sql: &str, column_type: &crate::change::DataType) -> String {
    let canonical = parse_expression(sql)
        .map(|n| deparse_expr(&n))
        .unwrap_or_else(|| sql.trim().to_string());
    let text = without_text_casts(&canonical);
    // The whole default cast to the column's type: `<literal>::<type>`.
    if let Some((value, ty)) = split_top_cast(&text)
        && crate::change::type_of_text(ty).is_some_and(|t| same_type(&t, column_type))
    {
        return value.to_string();
    }
    text
}

/// Whether two types are the same for a default's cast (modifiers aside: `'x'::varchar` of a
/// varchar(255) column stores as `'x'::character varying`).
fn same_type(a: &crate::change::DataType, b: &crate::change::DataType) -> bool {
    a.name == b.name && a.schema == b.schema && a.array_dims == b.array_dims
}

/// `'lit'::type` (or `-1::type`, `42::type`) split into the literal and the type, when that is the whole
/// text.
fn split_top_cast(text: &str) -> Option<(&str, &str)> {
    let end = if text.starts_with('\'') {
        literal_end(text, 0)?
    } else {
        text.find("::")?
    };
    let (value, rest) = text.split_at(end);
    let ty = rest.strip_prefix("::")?;
    let plain = !value.is_empty()
        && (value.starts_with('\'')
            || value
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.'));
    (plain && !ty.contains("::")).then_some((value, ty))
}

/// The byte just past the string literal that starts at `start` (a doubled quote stays inside it).
fn literal_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// An expression as the server would store it, for comparing two spellings: deparsed, and without the
/// `::text` casts it adds after string literals (`m -> 'k'` is stored `m -> 'k'::text`).
pub fn stored_expression(sql: &str) -> String {
    let canonical = parse_expression(sql)
        .map(|n| deparse_expr(&n))
        .unwrap_or_else(|| sql.trim().to_string());
    without_text_casts(&canonical)
}

/// Whether `opclass` is the default operator class of `method` (btree when empty) for a column of type
/// `ty`: writing it out or not gives the same index. The common types (PostgreSQL 15's `pg_opclass`
/// rows with `opcdefault`); any other opclass is kept.
pub fn is_default_opclass(method: &str, ty: &crate::change::DataType, opclass: &str) -> bool {
    let method = if method.is_empty() { "btree" } else { method };
    let t = ty.name.to_ascii_lowercase();
    let base = match t.as_str() {
        "int2" | "smallint" => "int2",
        "int4" | "integer" | "int" => "int4",
        "int8" | "bigint" => "int8",
        "float4" | "real" => "float4",
        "float8" | "double precision" => "float8",
        "varchar" | "character varying" | "text" => "text",
        "bpchar" | "character" | "char" => "bpchar",
        "bool" | "boolean" => "bool",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => other,
    };
    if ty.array_dims > 0 {
        return matches!(
            (method, opclass),
            ("btree" | "hash", "array_ops") | ("gin", "array_ops")
        );
    }
    let op = opclass.to_ascii_lowercase();
    match method {
        "btree" | "hash" => op == format!("{base}_ops"),
        "gin" => matches!(
            (base, op.as_str()),
            ("jsonb", "jsonb_ops") | ("tsvector", "tsvector_ops")
        ),
        "gist" => base == "tsvector" && op == "tsvector_ops",
        _ => false,
    }
}

/// `text` without the `::text` / `::varchar` / `::character varying` casts that follow string literals.
pub(crate) fn without_text_casts(text: &str) -> String {
    const CASTS: [&str; 3] = ["::text", "::character varying", "::varchar"];
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text.as_bytes()[i] == b'\'' {
            let Some(end) = literal_end(text, i) else {
                out.push_str(&text[i..]);
                break;
            };
            out.push_str(&text[i..end]);
            i = end;
            if let Some(cast) = CASTS.iter().find(|c| {
                text[i..].starts_with(**c)
                    && !text[i + c.len()..].starts_with(|ch: char| {
                        ch.is_ascii_alphanumeric() || ch == '_' || ch == '[' || ch == '('
                    })
            }) {
                i += cast.len();
            }
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod stored_default_tests {
    use super::stored_default;
    use crate::change::type_of_text;

    fn same(a: &str, b: &str, ty: &str) -> bool {
        let t = type_of_text(ty).unwrap();
        stored_default(a, &t) == stored_default(b, &t)
    }

    #[test]
    fn defaults_compare_as_postgresql_stores_them() {
        assert!(same("'medium'", "'medium'::varchar", "varchar(255)"));
        assert!(same(
            "'medium'",
            "'medium'::character varying",
            "varchar(255)"
        ));
        assert!(same("'{}'", "'{}'::text[]", "text[]"));
        assert!(same("(m -> 'k')", "m -> 'k'::text", "jsonb"));
        assert!(same("0", "0::bigint", "bigint"));
        assert!(same("now()", "now( )", "timestamptz"));
        // Different values, or a cast that changes the value's type, stay different.
        assert!(!same("'a'", "'b'", "text"));
        assert!(!same("'1'::integer", "1", "text"));
        assert!(!same("0", "1", "integer"));
    }
}
