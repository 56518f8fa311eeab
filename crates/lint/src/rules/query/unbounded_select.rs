use dbarch_sql::NodeEnum;
use dbarch_workload::PredicateKind;

use super::QueryContext;
use crate::query::has_aggregate;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY013",
    name: "select-without-limit-on-large-table",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "A SELECT with no LIMIT returns a large share of a large table.",
    doc: Doc {
        what: "A SELECT without LIMIT or aggregation whose filters, estimated from `--stats`, keep at least the \
               `large-result-rows` option (default 10000) rows of a table. Silent without statistics.",
        why: "The server reads, sorts and sends every row, the driver buffers them all in the application's \
              memory, and the cost grows with the table: a query that was fine at launch becomes an outage \
              at a million rows. Screens show a page; exports and jobs should stream in batches.",
        example: "-- stats: {\"tables\": {\"orders\": {\"rows\": 5000000, \"columns\": {\"status\": {\"n_distinct\": 4}}}}}\nSELECT id, total FROM orders WHERE status = 'shipped';",
        use_instead: "SELECT id, total FROM orders WHERE status = 'shipped'\nORDER BY id LIMIT 100;  -- then WHERE id > $last for the next page",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/queries-limit.html"],
    },
    fixtures: fixtures!("QRY013"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let NodeEnum::SelectStmt(select) = &cx.query.statement.node else {
        return;
    };
    if cx.stats.is_none() || select.larg.is_some() || has_aggregate(&select.target_list) {
        return;
    }
    let Some(shape) = cx.shapes.first() else {
        return;
    };
    if shape.limit.is_some() || !shape.group_by.is_empty() || !select.distinct_clause.is_empty() {
        return;
    }
    let threshold = cx.options.large_result_rows as f64;
    // Rows each relation keeps after its own conditions; a join returns about as many rows as its most
    // selective side keeps (joins along keys), so the smallest estimate is the query's.
    let mut estimate: Option<(f64, f64, &str)> = None;
    for (r, relation) in shape.relations.iter().enumerate() {
        let Some(stats) = cx.table_stats(shape, r) else {
            if shape.relations.len() > 1 {
                // A table without statistics in a join: its side may be the selective one.
                return;
            }
            continue;
        };
        // An equality on a column without statistics may well be selective: say nothing.
        let unknown = shape.predicates.iter().any(|p| {
            p.relation == Some(r)
                && matches!(p.kind, PredicateKind::Equal | PredicateKind::In(_))
                && stats.distinct(&p.column).is_none()
        });
        if unknown {
            return;
        }
        let kept = stats.rows * shape.selectivity(r, Some(stats));
        if estimate.is_none_or(|(k, ..)| kept < k) {
            estimate = Some((kept, stats.rows, relation.name.as_str()));
        }
    }
    let Some((kept, rows, name)) = estimate else {
        return;
    };
    if kept >= threshold {
        out.push(
            cx.span().into(),
            format!("unbounded:{name}:{}", cx.query.fingerprint),
            format!(
                "no LIMIT: returns an estimated {} of the {} rows of {name}",
                round(kept),
                round(rows),
            ),
            "Page through the rows (ORDER BY key LIMIT n, then WHERE key > last), or aggregate in SQL.",
            None,
        );
    }
}

/// A row count for a message: two significant digits, thousands separated.
fn round(n: f64) -> String {
    let n = n.max(0.0) as u64;
    let magnitude = 10u64.pow((n.max(1).ilog10()).saturating_sub(1));
    dbarch_report::thousands(n / magnitude * magnitude)
}
