use std::collections::BTreeMap;

use dbarch_workload::{PredicateKind, QueryShape};

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY021",
    name: "n-plus-one-queries",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "One query run once per row of a previous query, in a loop: N+1 round trips.",
    doc: Doc {
        what: "In a server log: one session runs the same query (same fingerprint) at least `n-plus-one-min` \
               times (default 10), each within `n-plus-one-gap-ms` (default 1000 ms) of the previous, mostly with \
               different parameter values, right after another query — the parent whose rows the loop walks. \
               Needs a log whose line prefix shows the timestamp and the backend pid (`%m [%p]`).",
        why: "Each iteration is a network round trip, a parse or bind, an executor start and a lock on the \
              index: 200 children of 0.2 ms each cost 40 ms of database time and far more in latency, where one \
              query would take 1 ms. ORMs produce this silently when a relation is loaded lazily inside a loop.",
        example: "2024-05-01 10:00:00.000 UTC [7] LOG:  duration: 1.0 ms  statement: SELECT id FROM orders WHERE user_id = 42\n\
                  2024-05-01 10:00:00.010 UTC [7] LOG:  duration: 0.2 ms  statement: SELECT * FROM order_items WHERE order_id = 1\n\
                  2024-05-01 10:00:00.011 UTC [7] LOG:  duration: 0.2 ms  statement: SELECT * FROM order_items WHERE order_id = 2\n\
                  -- ... 10 or more times, one per order",
        use_instead: "-- one query for all the parent's rows:\nSELECT * FROM order_items WHERE order_id = ANY($1);  -- $1 = the order ids\n\
                      -- or a join in the parent query:\nSELECT o.id, i.* FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.user_id = 42;",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX",
        ],
    },
    fixtures: fixtures!("QRY021"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    // The loops were found while the log was read (`dbarch_workload::loops`, with this rule's
    // thresholds): one finding per parent query.
    let mut by_parent: BTreeMap<usize, Vec<&dbarch_workload::Loop>> = BTreeMap::new();
    for &i in cx.loops {
        if let Some(l) = cx.workload.loops.get(i) {
            by_parent.entry(l.parent).or_default().push(l);
        }
    }
    for (parent, loops) in by_parent {
        let count: usize = loops.iter().map(|l| l.count).sum();
        let largest = loops.iter().map(|l| l.count).max().unwrap_or(0);
        let ms: f64 = loops.iter().map(|l| l.duration_ms).sum();
        let first = loops[0];
        let parent_query = cx.workload.queries.get(parent);
        let parent_text = parent_query
            .map(|q| {
                let place = cx
                    .sources
                    .get(q.statement.span.file)
                    .map(|f| format!(" (line {})", f.line_col(q.statement.span.start).line))
                    .unwrap_or_default();
                format!(" right after `{}`{place}", abbreviate(&q.statement.sql))
            })
            .unwrap_or_default();
        out.push(
            first.first.into(),
            format!("n-plus-one:{}:{}", cx.query.fingerprint, parent_query.map(|q| q.fingerprint.as_str()).unwrap_or("-")),
            format!(
                "N+1: {count} executions in {} loop{}{parent_text}; up to {largest} in a row in one session, each with other values, {ms:.1} ms in total",
                loops.len(),
                if loops.len() == 1 { "" } else { "s" },
            ),
            rewrite(cx, parent_query.map(|q| &q.statement.node)),
            None,
        );
    }
}

/// The rewrite, named after the child's filter column and the parent's table when they can be read.
fn rewrite(cx: &QueryContext, parent: Option<&dbarch_sql::NodeEnum>) -> String {
    let shape = cx.shapes.first();
    let filter = shape.and_then(|s| {
        s.predicates
            .iter()
            .find(|p| p.kind == PredicateKind::Equal && p.expression.is_none())
            .map(|p| {
                let table = p
                    .relation
                    .and_then(|r| s.relations.get(r))
                    .map(|r| r.name.clone())
                    .unwrap_or_default();
                (table, p.column.clone())
            })
    });
    let Some((table, column)) = filter else {
        return "Fetch all the rows in one query (WHERE key = ANY($1) with the parent's keys), or join them into the parent query.".into();
    };
    let parent_table = parent
        .and_then(|n| QueryShape::of(n).into_iter().next())
        .and_then(|s| s.relations.first().map(|r| r.name.clone()));
    let join = match parent_table {
        Some(p) => {
            let key = if column == format!("{}_id", p.trim_end_matches('s')) {
                "id"
            } else {
                "<key>"
            };
            format!(
                ", or join it into the parent query: JOIN {table} ON {table}.{column} = {p}.{key}"
            )
        }
        None => String::new(),
    };
    format!(
        "Fetch all the rows in one query: ... FROM {table} WHERE {column} = ANY($1), with $1 the array of keys{join}."
    )
}

fn abbreviate(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}...", one_line.chars().take(57).collect::<String>())
    } else {
        one_line
    }
}
