use dbarch_sql::NodeEnum;
use dbarch_workload::QueryShape;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY014",
    name: "distinct-hiding-join-fanout",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "SELECT DISTINCT over a join whose output comes from one table: a semi-join written the slow way.",
    doc: Doc {
        what: "`SELECT DISTINCT` (not `DISTINCT ON`) over two or more joined relations, where every selected \
               column belongs to one of them: the other tables are joined only to filter, and DISTINCT \
               removes the duplicate rows the join fanned out.",
        why: "The join first multiplies each row by its number of matches (a customer with 500 orders comes out \
              500 times), then DISTINCT sorts or hashes the whole result to fold them back. EXISTS stops at the \
              first match and needs no de-duplication; it is also what the query means.",
        example: "SELECT DISTINCT c.id, c.name\nFROM customers c JOIN orders o ON o.customer_id = c.id\nWHERE o.status = 'open';",
        use_instead: "SELECT c.id, c.name FROM customers c\nWHERE EXISTS (SELECT 1 FROM orders o\n              WHERE o.customer_id = c.id AND o.status = 'open');",
        fix_safety: Some(
            "Equivalent when the selected table's rows are distinct (it has a key among the selected columns or \
             no duplicate rows); otherwise DISTINCT also removed genuine duplicates: keep it on the rewrite.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/functions-subquery.html#FUNCTIONS-SUBQUERY-EXISTS",
        ],
    },
    fixtures: fixtures!("QRY014"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::SelectStmt(s) = node else {
            continue;
        };
        // DISTINCT is a list with one empty node; DISTINCT ON lists its expressions.
        let plain_distinct = s.distinct_clause.len() == 1 && s.distinct_clause[0].node.is_none();
        if !plain_distinct {
            continue;
        }
        let shapes = QueryShape::of_select(s);
        let Some(shape) = shapes.first() else {
            continue;
        };
        if shape.relations.len() < 2 || shape.select_star || shape.projected.is_empty() {
            continue;
        }
        let mut sources: Vec<Option<usize>> = shape.projected.iter().map(|(r, _)| *r).collect();
        sources.sort();
        sources.dedup();
        let [Some(kept)] = sources.as_slice() else {
            continue;
        };
        // Filtering-only tables: joined, never selected.
        let others: Vec<&str> = shape
            .relations
            .iter()
            .enumerate()
            .filter(|(i, _)| i != kept)
            .map(|(_, r)| r.reference())
            .collect();
        let table = shape.relations[*kept].reference();
        let location = s
            .target_list
            .first()
            .and_then(|t| match &t.node {
                Some(NodeEnum::ResTarget(rt)) => Some(rt.location),
                _ => None,
            })
            .unwrap_or(0);
        out.push(
            cx.span_at(location.max(0) as usize).into(),
            format!("distinct-fanout:{}:{table}", cx.query.fingerprint),
            format!(
                "DISTINCT folds back the duplicates the join with {} creates: only columns of {table} are selected",
                others.join(", ")
            ),
            format!("Select from {table} alone and test the others with WHERE EXISTS (SELECT 1 FROM ... WHERE ...)."),
            None,
        );
    }
}
