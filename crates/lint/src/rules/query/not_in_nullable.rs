use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{BoolExprType, SubLinkType};
use dbarch_workload::QueryShape;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY007",
    name: "not-in-nullable-subquery",
    category: Category::Queries,
    severity: Severity::Error,
    summary: "NOT IN (SELECT col ...) returns no rows at all once col holds a NULL.",
    doc: Doc {
        what: "`x NOT IN (SELECT c FROM ...)` where `c` is not declared NOT NULL (or the schema is not known).",
        why: "If the subquery returns a single NULL, `x NOT IN (...)` is NULL for every x and the query returns \
              nothing — silently. The planner also cannot turn NOT IN into an anti-join, so it often runs a \
              hashed or, worse, a plain subplan per row.",
        example: "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders);",
        use_instead: "SELECT c.id FROM customers c\nWHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);",
        fix_safety: Some(
            "NOT EXISTS returns the rows NOT IN was meant to; it differs exactly when NULLs are present.",
        ),
        references: &["https://www.postgresql.org/docs/current/functions-subquery.html"],
    },
    fixtures: fixtures!("QRY007"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::BoolExpr(b) = node else { continue };
        if b.boolop != BoolExprType::NotExpr as i32 {
            continue;
        }
        let Some(NodeEnum::SubLink(s)) = b.args.first().and_then(|a| a.node.as_ref()) else {
            continue;
        };
        if s.sub_link_type != SubLinkType::AnySublink as i32 {
            continue;
        }
        let Some(sub) = s.subselect.as_ref().and_then(|n| n.node.as_ref()) else {
            continue;
        };
        let shapes = QueryShape::of(sub);
        let Some(shape) = shapes.first() else {
            continue;
        };
        let Some((rel, col)) = shape.projected.first() else {
            continue;
        };
        let not_null = cx.column(shape, *rel, col).map(|(t, c)| {
            c.not_null
                || t.primary_key_columns()
                    .is_some_and(|pk| pk.iter().any(|k| k == col))
        });
        let message = match not_null {
            Some(true) => continue,
            Some(false) => format!(
                "NOT IN over a subquery on nullable column {col}: one NULL in it makes the condition NULL for every row, and the query returns nothing"
            ),
            None => format!(
                "NOT IN over a subquery on {col}: unless {col} is NOT NULL, one NULL makes the query return nothing"
            ),
        };
        out.push(
            cx.span_at(b.location.max(0) as usize).into(),
            format!("not-in:{}:{col}", cx.query.fingerprint),
            message,
            "Use NOT EXISTS (SELECT 1 FROM ... WHERE ... = outer.col): correct with NULLs, and planned as an anti-join.",
            None,
        );
    }
}
