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

fn select_template() -> Option<&'static ast::ParseResult> {
    static T: OnceLock<Option<ast::ParseResult>> = OnceLock::new();
    T.get_or_init(|| pg_query::parse("SELECT 1").ok().map(|r| r.protobuf))
        .as_ref()
}

/// An expression back to SQL text, by deparsing it as the target of a `SELECT`. The tree is built from a
/// parsed template, since libpg_query aborts the process on enum fields left at their zero value.
pub fn deparse_expr(expr: &ast::Node) -> String {
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
    match pg_query::deparse(&tree) {
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
    pg_query::deparse(&tree).unwrap_or_default()
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

/// Whether a word is a reserved keyword of PostgreSQL's grammar (cannot be a bare column or table name).
pub fn is_reserved_keyword(word: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    if word.is_empty()
        || word.len() > 20
        || !word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return false;
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(word).copied()) {
        return hit;
    }
    let answer = scan_is_reserved(word);
    if let Ok(mut c) = cache.lock() {
        c.insert(word.to_string(), answer);
    }
    answer
}

fn scan_is_reserved(word: &str) -> bool {
    match pg_query::scan(word) {
        Ok(r) => {
            r.tokens.len() == 1
                && r.tokens[0].keyword_kind == ast::KeywordKind::ReservedKeyword as i32
        }
        Err(_) => false,
    }
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
    fn concurrently_dropped() {
        let parse = |sql: &str| {
            pg_query::parse(sql).unwrap().protobuf.stmts[0]
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
        let r = pg_query::parse("select lower(email) from t where deleted_at is null").unwrap();
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
