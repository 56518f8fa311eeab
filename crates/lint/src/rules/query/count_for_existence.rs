use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self, AExprKind, SubLinkType};
use dbarch_workload::shape::constant_text;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY015",
    name: "count-as-existence-test",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "count(*) compared with 0 or 1 to ask whether a row exists.",
    doc: Doc {
        what: "`(SELECT count(*) FROM ...) > 0` (or `>= 1`, `= 0`, `<> 0`, `< 1`), and `SELECT count(*) > 0 FROM ...`.",
        why: "count(*) visits every matching row to give a number nobody needs: with a million matches it reads a \
              million rows to answer yes. EXISTS stops at the first match, and the planner can turn it into a \
              semi-join.",
        example: "SELECT id FROM customers c\nWHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) > 0;",
        use_instead: "SELECT id FROM customers c\nWHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);",
        fix_safety: Some("`count(*) > 0` and EXISTS are equivalent; `= 0` becomes NOT EXISTS."),
        references: &[
            "https://www.postgresql.org/docs/current/functions-subquery.html#FUNCTIONS-SUBQUERY-EXISTS",
        ],
    },
    fixtures: fixtures!("QRY015"),
    check: Check::Query(check),
};

/// A count call (not a window), directly or as the single output of a scalar subquery.
fn is_count(n: &ast::Node, allow_direct: bool) -> bool {
    match n.node.as_ref() {
        Some(NodeEnum::FuncCall(f)) => {
            allow_direct
                && f.over.is_none()
                && dbarch_sql::expr::name_list(&f.funcname)
                    .last()
                    .is_some_and(|s| s.eq_ignore_ascii_case("count"))
        }
        Some(NodeEnum::SubLink(s)) if s.sub_link_type == SubLinkType::ExprSublink as i32 => {
            match s.subselect.as_ref().and_then(|q| q.node.as_ref()) {
                Some(NodeEnum::SelectStmt(sel)) => {
                    sel.group_clause.is_empty()
                        && sel.target_list.len() == 1
                        && match &sel.target_list[0].node {
                            Some(NodeEnum::ResTarget(rt)) => {
                                rt.val.as_deref().is_some_and(|v| is_count(v, true))
                            }
                            _ => false,
                        }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// `count <op> k` that only asks "any rows?": the operator and constant, seen from the count's side.
fn existence_test(op: &str, count_left: bool, k: &str) -> bool {
    let op = match (count_left, op) {
        (true, o) => o,
        (false, ">") => "<",
        (false, "<") => ">",
        (false, ">=") => "<=",
        (false, "<=") => ">=",
        (false, o) => o,
    };
    matches!(
        (op, k),
        (">", "0")
            | (">=", "1")
            | ("=", "0")
            | ("<>", "0")
            | ("!=", "0")
            | ("<", "1")
            | ("<=", "0")
    )
}

fn comparison(e: &ast::AExpr, allow_direct: bool) -> bool {
    if e.kind != AExprKind::AexprOp as i32 {
        return false;
    }
    let op = dbarch_sql::expr::name_list(&e.name)
        .last()
        .cloned()
        .unwrap_or_default();
    let (Some(l), Some(r)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
        return false;
    };
    if is_count(l, allow_direct) {
        constant_text(r).is_some_and(|k| existence_test(&op, true, &k))
    } else if is_count(r, allow_direct) {
        constant_text(l).is_some_and(|k| existence_test(&op, false, &k))
    } else {
        false
    }
}

fn check(cx: &QueryContext, out: &mut Sink) {
    let mut locations = vec![];
    for (node, ..) in cx.query.statement.node.nodes() {
        match node {
            // A scalar count subquery compared anywhere.
            NodeRef::AExpr(e) if comparison(e, false) => locations.push(e.location),
            // `SELECT count(*) > 0 FROM ...` without GROUP BY.
            NodeRef::SelectStmt(s) if s.group_clause.is_empty() => {
                for t in &s.target_list {
                    if let Some(NodeEnum::ResTarget(rt)) = &t.node
                        && let Some(NodeEnum::AExpr(e)) =
                            rt.val.as_ref().and_then(|v| v.node.as_ref())
                        && comparison(e, true)
                    {
                        locations.push(e.location);
                    }
                }
            }
            _ => {}
        }
    }
    locations.sort();
    locations.dedup();
    for at in locations {
        out.push(
            cx.span_at(at.max(0) as usize).into(),
            format!("count-exists:{}:{at}", cx.query.fingerprint),
            "count(*) compared with 0 or 1 counts every matching row to answer whether one exists",
            "Use EXISTS (SELECT 1 FROM ... WHERE ...) (NOT EXISTS for `= 0`): it stops at the first row.",
            None,
        );
    }
}
