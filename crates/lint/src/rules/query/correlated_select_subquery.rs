use std::collections::BTreeSet;

use dbarch_sql::NodeEnum;
use dbarch_sql::ast;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY016",
    name: "correlated-subquery-in-select-list",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "A subquery in the select list that refers to the outer row runs once per row returned.",
    doc: Doc {
        what: "A scalar subquery in the SELECT list whose WHERE refers to a table of the outer query by its \
               name or alias (`(SELECT count(*) FROM orders o WHERE o.customer_id = c.id)`).",
        why: "PostgreSQL runs such a subquery as a SubPlan, once for every outer row: 10,000 customers make \
              10,000 index probes (or 10,000 scans without an index), and two such columns double it. A join \
              with a grouped derived table computes all the values in one pass.",
        example: "SELECT c.id, c.name,\n       (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS orders\nFROM customers c;",
        use_instead: "SELECT c.id, c.name, coalesce(o.n, 0) AS orders\nFROM customers c\nLEFT JOIN (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) o\n       ON o.customer_id = c.id;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-expressions.html#SQL-SYNTAX-SCALAR-SUBQUERIES",
        ],
    },
    fixtures: fixtures!("QRY016"),
    check: Check::Query(check),
};

/// Names the FROM items of a select go by (aliases, and table names), at every depth inside it.
fn relation_names(n: &NodeEnum) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (child, ..) in n.nodes() {
        if let NodeRef::RangeVar(rv) = child {
            out.insert(rv.relname.clone());
            if let Some(a) = &rv.alias {
                out.insert(a.aliasname.clone());
            }
        }
        if let NodeRef::RangeSubselect(s) = child
            && let Some(a) = &s.alias
        {
            out.insert(a.aliasname.clone());
        }
    }
    out
}

/// The outer names a subquery refers to (qualified column references it does not bind itself).
fn outer_references(sub: &NodeEnum, outer: &BTreeSet<String>) -> Vec<String> {
    let inner = relation_names(sub);
    let mut found = vec![];
    for (child, ..) in sub.nodes() {
        if let NodeRef::ColumnRef(c) = child {
            let parts: Vec<&str> = c
                .fields
                .iter()
                .filter_map(|f| match &f.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                    _ => None,
                })
                .collect();
            if let [.., q, _] = parts.as_slice()
                && outer.contains(*q)
                && !inner.contains(*q)
            {
                found.push(q.to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::SelectStmt(s) = node else {
            continue;
        };
        let outer: BTreeSet<String> = s
            .from_clause
            .iter()
            .filter_map(|f| f.node.as_ref())
            .flat_map(relation_names)
            .collect();
        if outer.is_empty() {
            continue;
        }
        for t in &s.target_list {
            let Some(NodeEnum::ResTarget(rt)) = &t.node else {
                continue;
            };
            let Some(val) = rt.val.as_ref().and_then(|v| v.node.as_ref()) else {
                continue;
            };
            for (child, ..) in val.nodes() {
                let NodeRef::SubLink(link) = child else {
                    continue;
                };
                let Some(sub) = link.subselect.as_ref().and_then(|q| q.node.as_ref()) else {
                    continue;
                };
                let refs = outer_references(sub, &outer);
                if refs.is_empty() {
                    continue;
                }
                let at: &ast::SubLink = link;
                out.push(
                    cx.span_at(at.location.max(0) as usize).into(),
                    format!("correlated-select:{}:{}", cx.query.fingerprint, at.location),
                    format!(
                        "subquery in the select list refers to {} of the outer query: it runs once per row returned",
                        refs.join(", ")
                    ),
                    "Compute the values once: LEFT JOIN a grouped derived table (or a LATERAL subquery with LIMIT) on the key.",
                    None,
                );
            }
        }
    }
}
