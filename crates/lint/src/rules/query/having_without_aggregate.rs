use dbarch_sql::NodeEnum;
use pg_query::NodeRef;

use super::QueryContext;
use crate::query::has_aggregate;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY020",
    name: "having-without-aggregate",
    category: Category::Queries,
    severity: Severity::Info,
    summary: "A HAVING condition that uses no aggregate filters after grouping what WHERE could drop before.",
    doc: Doc {
        what: "A HAVING clause that calls no aggregate function: it only tests grouped columns.",
        why: "HAVING runs after the rows have been read and grouped; WHERE runs before, where an index can serve \
              it and the rows it drops are never aggregated. PostgreSQL sometimes moves such a condition down \
              itself, but not through every plan shape, and the query reads as if the condition were about \
              the groups.",
        example: "SELECT customer_id, sum(total) FROM orders\nGROUP BY customer_id HAVING customer_id = $1;",
        use_instead: "SELECT customer_id, sum(total) FROM orders\nWHERE customer_id = $1 GROUP BY customer_id;",
        fix_safety: Some(
            "Moving a condition on grouped columns from HAVING to WHERE returns the same groups.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/queries-table-expressions.html#QUERIES-GROUP",
        ],
    },
    fixtures: fixtures!("QRY020"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::SelectStmt(s) = node else {
            continue;
        };
        let Some(having) = s.having_clause.as_deref() else {
            continue;
        };
        if s.group_clause.is_empty() || has_aggregate(std::slice::from_ref(having)) {
            continue;
        }
        let subquery = having.node.as_ref().is_some_and(|n| {
            n.nodes()
                .iter()
                .any(|(c, ..)| matches!(c, pg_query::NodeRef::SubLink(_)))
        });
        if subquery {
            continue;
        }
        let location = match having.node.as_ref() {
            Some(NodeEnum::AExpr(e)) => e.location,
            Some(NodeEnum::BoolExpr(b)) => b.location,
            _ => -1,
        };
        out.push(
            if location >= 0 {
                cx.span_at(location as usize).into()
            } else {
                cx.span().into()
            },
            format!("having:{}", cx.query.fingerprint),
            "HAVING without an aggregate: the condition filters groups after every row was read and grouped",
            "Move the condition to WHERE, before GROUP BY: rows are dropped before grouping, and an index can serve it.",
            None,
        );
    }
}
