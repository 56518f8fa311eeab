use dbarch_sql::NodeEnum;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY004",
    name: "comparison-with-null",
    category: Category::Queries,
    severity: Severity::Error,
    summary: "`= NULL` or `<> NULL` is never true: the condition filters out every row.",
    doc: Doc {
        what: "A comparison operator (`=`, `<>`, `!=`, `<`, ...) with the literal `NULL` as an operand.",
        why: "A comparison with NULL yields NULL, which WHERE treats as false: `WHERE deleted_at = NULL` returns \
              no rows at all, and `<> NULL` none either. It is a correctness bug, not a style issue.",
        example: "SELECT id FROM users WHERE deleted_at = NULL;",
        use_instead: "SELECT id FROM users WHERE deleted_at IS NULL;",
        fix_safety: Some(
            "Replacing `= NULL` with `IS NULL` changes the result, to what was meant.",
        ),
        references: &["https://www.postgresql.org/docs/current/functions-comparison.html"],
    },
    fixtures: fixtures!("QRY004"),
    check: Check::Query(check),
};

fn is_null(n: Option<&dbarch_sql::ast::Node>) -> bool {
    matches!(n.and_then(|n| n.node.as_ref()), Some(NodeEnum::AConst(c)) if c.isnull)
}

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::AExpr(e) = node else { continue };
        if e.kind != dbarch_sql::ast::AExprKind::AexprOp as i32 {
            continue;
        }
        if is_null(e.lexpr.as_deref()) || is_null(e.rexpr.as_deref()) {
            let op = e
                .name
                .iter()
                .find_map(|n| match &n.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let fix = if op == "=" { "IS NULL" } else { "IS NOT NULL" };
            out.push(
                cx.span_at(e.location.max(0) as usize).into(),
                format!("null-compare:{}:{}", cx.query.fingerprint, e.location),
                format!("`{op} NULL` is never true, so this condition matches no row"),
                format!("Write `{fix}`."),
                None,
            );
        }
    }
}
