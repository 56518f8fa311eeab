//! Reading EXPLAIN (FORMAT JSON) plans, with or without ANALYZE and BUFFERS: each node's own time and
//! share, and the tips a performance engineer gives, ranked by the time at stake — the slowest nodes, row
//! misestimates, sequential scans that a selective filter makes worth an index (named), rows removed by
//! filters, sorts and hashes spilling to disk, nested loops with many loops, heap fetches in index-only
//! scans, lossy bitmaps, parallel workers planned but not launched, JIT time.

use dbarch_report::{Evidence, PlanNode, PlanReport, PlanTip, Severity};
use dbarch_workload::{PredicateKind, QueryShape};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct PlanError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Read a plan: `EXPLAIN (FORMAT JSON)` output (an array of one object), the object itself, or an
/// auto_explain entry (`{"Query Text": ..., "Plan": ...}`).
pub fn parse(path: &str, text: &str) -> Result<Value, PlanError> {
    // An auto_explain entry as the server log has it: `... LOG:  duration: 72.4 ms  plan:` and the JSON
    // plan on the lines after (later log lines follow it); the duration is the execution time.
    let (json, at, duration) = match auto_explain_entry(text) {
        Some((from, duration)) => (&text[from..], from, duration),
        None => (text, 0, None),
    };
    let place = |e: &serde_json::Error| {
        let before = &text[..at];
        let line = before.matches('\n').count() + e.line();
        let column = if e.line() == 1 {
            before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + e.column()
        } else {
            e.column()
        };
        (line, column)
    };
    let mut values = serde_json::Deserializer::from_str(json).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e),
        None => serde_json::from_str::<Value>(""),
    };
    let mut v: Value = first.map_err(|e| {
        let (line, column) = place(&e);
        let message = e.to_string();
        PlanError {
            path: path.to_string(),
            line,
            column,
            // The position is the file's, given above; serde's is within the JSON.
            message: message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string(),
        }
    })?;
    // Whatever follows a plain plan file is an error; after a log entry it is the rest of the log.
    let end = values.byte_offset();
    if at == 0 && !json[end..].trim().is_empty() {
        let before = &json[..end + (json[end..].len() - json[end..].trim_start().len())];
        return Err(PlanError {
            path: path.to_string(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            message: "trailing characters after the plan".into(),
        });
    }
    if let (Some(ms), Value::Object(o)) = (duration, &mut v)
        && !o.contains_key("Execution Time")
    {
        o.insert("Execution Time".into(), Value::from(ms));
    }
    let top = match &v {
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    if top.get("Plan").is_none() {
        return Err(PlanError {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: "not an EXPLAIN (FORMAT JSON) plan: no \"Plan\" object".into(),
        });
    }
    Ok(top)
}

/// Where the JSON plan of an auto_explain log entry starts, and the entry's duration in ms: the text
/// does not start with JSON and has a line `... duration: N ms  plan:`.
fn auto_explain_entry(text: &str) -> Option<(usize, Option<f64>)> {
    let head = text.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        return None;
    }
    let marker = text.find("plan:")?;
    let from = marker + text[marker..].find(['{', '['])?;
    let line_start = text[..marker].rfind('\n').map_or(0, |i| i + 1);
    let duration = text[line_start..marker]
        .split("duration:")
        .nth(1)
        .and_then(|d| d.split_whitespace().next())
        .and_then(|d| d.parse().ok());
    Some((from, duration))
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn label(n: &Value) -> String {
    let mut l = text(n, "Node Type").unwrap_or("?").to_string();
    if let Some(s) = text(n, "Strategy").filter(|s| *s != "Plain")
        && l == "Aggregate"
    {
        l = format!("{s} Aggregate");
    }
    if let Some(j) = text(n, "Join Type").filter(|j| *j != "Inner") {
        l = format!("{l} ({j})");
    }
    if let Some(i) = text(n, "Index Name") {
        l = format!("{l} using {i}");
    }
    if let Some(r) = text(n, "Relation Name") {
        let alias = text(n, "Alias").filter(|a| *a != r);
        l = match alias {
            Some(a) => format!("{l} on {r} {a}"),
            None => format!("{l} on {r}"),
        };
    }
    l
}

struct Walk<'a> {
    nodes: Vec<PlanNode>,
    raw: Vec<&'a Value>,
    /// The node is below a Limit: it may have stopped early, its rows are not the planner's estimate.
    under_limit: Vec<bool>,
}

/// A node's time over all its loops. Below a Gather the loops are the workers' and the leader's, run at
/// the same time: the wall-clock time is one process's, the loops divided among them.
fn node_ms(n: &Value, processes: f64) -> Option<f64> {
    num(n, "Actual Total Time")
        .map(|t| t * (num(n, "Actual Loops").unwrap_or(1.0) / processes).max(1.0))
}

fn walk<'a>(n: &'a Value, depth: usize, processes: f64, under_limit: bool, w: &mut Walk<'a>) {
    let loops = num(n, "Actual Loops");
    let total_ms = node_ms(n, processes);
    let kind = text(n, "Node Type").unwrap_or("");
    // Below a Gather (Merge), the workers launched and the leader share the loops.
    let below = if matches!(kind, "Gather" | "Gather Merge") {
        num(n, "Workers Launched").unwrap_or(0.0) + 1.0
    } else {
        processes
    };
    let children: Vec<&Value> = n
        .get("Plans")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let children_ms: f64 = children.iter().filter_map(|c| node_ms(c, below)).sum();
    w.nodes.push(PlanNode {
        depth,
        label: label(n),
        estimated_rows: num(n, "Plan Rows").unwrap_or(0.0),
        actual_rows: num(n, "Actual Rows"),
        loops,
        exclusive_ms: total_ms.map(|t| (t - children_ms).max(0.0)),
        share: None,
        total_cost: num(n, "Total Cost").unwrap_or(0.0),
    });
    w.raw.push(n);
    w.under_limit.push(under_limit);
    for c in children {
        walk(c, depth + 1, below, under_limit || kind == "Limit", w);
    }
}

/// Whether a filter negates a subplan that is not hashed: `(NOT (SubPlan 1))` (PostgreSQL 16 and
/// before), `(NOT (ANY (x = (SubPlan 1).col1)))` (17 and later); a hashed one says `hashed SubPlan`.
fn unhashed_not_in(filter: &str) -> bool {
    let f = filter.to_ascii_lowercase();
    f.contains("subplan") && !f.contains("hashed subplan") && f.contains("not (")
}

/// The time of a node with everything below it (a node's own time leaves out its subplans' children).
fn subtree_ms(i: usize, nodes: &[PlanNode]) -> f64 {
    let depth = nodes[i].depth;
    nodes[i].exclusive_ms.unwrap_or(0.0)
        + nodes[i + 1..]
            .iter()
            .take_while(|n| n.depth > depth)
            .filter_map(|n| n.exclusive_ms)
            .sum::<f64>()
}

/// The keys a filter tests with equality or a range, through the query-shape reader, equalities first:
/// `(status = 'open'::text) AND (created_at > ...)` -> `status`, `created_at`; an expression of a column
/// (`lower(email) = ...`) when it may be an index key (immutable: the plan does not give the columns'
/// types, so only what is immutable whatever they are).
fn filter_keys(filter: &str) -> Vec<(FilterKey, bool)> {
    let Ok(parsed) = dbarch_sql::raw::parse(&format!("SELECT 1 FROM t WHERE {filter}")) else {
        return vec![];
    };
    let Some(node) = parsed
        .stmts
        .first()
        .and_then(|s| s.stmt.as_ref())
        .and_then(|n| n.node.clone())
    else {
        return vec![];
    };
    let shapes = QueryShape::of(&node);
    let Some(shape) = shapes.first() else {
        return vec![];
    };
    let unknown = |_: &str| None;
    let mut keys: Vec<(FilterKey, bool)> = shape
        .predicates
        .iter()
        .filter(|p| {
            p.expression
                .as_deref()
                .is_none_or(|e| dbarch_sql::immutable::index_expression_is_immutable(e, &unknown))
        })
        .filter_map(|p| {
            let key = FilterKey {
                column: p.column.clone(),
                expression: p.expression.clone(),
            };
            match p.kind {
                PredicateKind::Equal | PredicateKind::In(_) => Some((key, true)),
                PredicateKind::Range | PredicateKind::LikePrefix => Some((key, false)),
                _ => None,
            }
        })
        .collect();
    keys.sort_by_key(|(_, eq)| !eq);
    keys.dedup();
    keys
}

/// A key of an index a filter wants: a column, or an expression of one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FilterKey {
    column: String,
    expression: Option<String>,
}

impl FilterKey {
    fn shown(&self) -> &str {
        self.expression.as_deref().unwrap_or(&self.column)
    }
}

#[allow(clippy::too_many_arguments)]
fn tip(
    tips: &mut Vec<PlanTip>,
    code: &str,
    name: &str,
    severity: Severity,
    node: usize,
    message: String,
    evidence: Vec<(&str, String)>,
    fix: Option<String>,
    at_stake_ms: f64,
) {
    tips.push(PlanTip {
        code: code.into(),
        name: name.into(),
        severity,
        node,
        message,
        evidence: evidence
            .into_iter()
            .map(|(n, v)| Evidence {
                name: n.into(),
                value: v,
            })
            .collect(),
        fix: fix.map(dbarch_report::Fix::sql),
        at_stake_ms,
    });
}

/// Planner cost units a sequential scan spends per row read, about (without ANALYZE, the rows it reads are
/// judged from its cost).
const ESTIMATED_COST_PER_ROW: f64 = 0.02;

/// Analyse a parsed plan.
pub fn analyze(source: &str, top: &Value) -> PlanReport {
    let plan = &top["Plan"];
    let mut w = Walk {
        nodes: vec![],
        raw: vec![],
        under_limit: vec![],
    };
    walk(plan, 0, 1.0, false, &mut w);
    let execution_ms = num(top, "Execution Time");
    let analyzed = w.nodes.iter().any(|n| n.actual_rows.is_some());
    let total = execution_ms
        .or_else(|| w.nodes.first().and_then(|n| n.exclusive_ms.map(|_| 0.0)))
        .filter(|t| *t > 0.0);
    let root_cost = num(plan, "Total Cost").unwrap_or(0.0);
    for n in &mut w.nodes {
        n.share = match (n.exclusive_ms, total) {
            (Some(ms), Some(t)) => Some(ms / t),
            _ => None,
        };
    }
    let mut tips = vec![];
    // Time at stake of a node: its own time, or (not analysed) its cost's share of the root's, in cost units.
    let stake = |i: usize, nodes: &[PlanNode]| -> f64 {
        nodes[i]
            .exclusive_ms
            .unwrap_or(nodes[i].total_cost / root_cost.max(1.0))
    };
    for (i, n) in w.raw.iter().enumerate() {
        let node = &w.nodes[i];
        let kind = text(n, "Node Type").unwrap_or("");
        let relation = text(n, "Relation Name").unwrap_or("");
        let loops = node.loops.unwrap_or(1.0);
        // Slowest nodes.
        if let Some(share) = node.share
            && share >= 0.3
            && node.exclusive_ms.unwrap_or(0.0) >= 1.0
        {
            tip(
                &mut tips,
                "PLN001",
                "slow-node",
                Severity::Info,
                i,
                format!(
                    "{} takes {:.0} % of the time ({:.1} ms)",
                    node.label,
                    share * 100.0,
                    node.exclusive_ms.unwrap_or(0.0)
                ),
                vec![],
                None,
                stake(i, &w.nodes),
            );
        }
        // Row misestimates (per loop).
        if let Some(actual) = node.actual_rows {
            let est = node.estimated_rows.max(1.0);
            let act = actual.max(1.0);
            let factor = (est / act).max(act / est);
            // Below a Limit a node stops once enough rows came up: fewer rows than estimated is the
            // Limit at work, not a misestimate.
            let stopped_early = w.under_limit[i] && act < est;
            if factor >= 10.0 && (est.max(act) >= 100.0) && !stopped_early {
                let severity = if factor >= 1000.0 {
                    Severity::Error
                } else if factor >= 100.0 {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                let direction = if act > est { "under" } else { "over" };
                tip(
                    &mut tips,
                    "PLN002",
                    "row-misestimate",
                    severity,
                    i,
                    format!(
                        "{}: the planner {direction}estimated the rows {factor:.0}x ({:.0} estimated, {:.0} actual): plans above it were chosen for the wrong size",
                        node.label, node.estimated_rows, actual
                    ),
                    vec![
                        ("estimated", format!("{:.0}", node.estimated_rows)),
                        ("actual", format!("{actual:.0}")),
                        ("loops", format!("{loops:.0}")),
                    ],
                    if relation.is_empty() {
                        Some("-- ANALYZE the tables involved; for correlated columns, extended statistics (CREATE STATISTICS ... (dependencies, mcv))".into())
                    } else {
                        analyze_fix(text(n, "Schema"), relation, &condition_columns(n))
                    },
                    stake(i, &w.nodes),
                );
            }
        }
        // Sequential scans with a selective filter.
        if kind == "Seq Scan" {
            let kept = node.actual_rows.unwrap_or(node.estimated_rows) * loops;
            // Without ANALYZE the rows a scan reads are not in the plan: they are judged from its cost,
            // about 0.02 units a row (its share of a page, the tuple, the filter) — an underestimate for
            // narrow rows, so the judgement errs toward silence.
            let removed = if analyzed {
                num(n, "Rows Removed by Filter").unwrap_or(0.0) * loops
            } else {
                (node.total_cost / ESTIMATED_COST_PER_ROW - kept).max(0.0)
            };
            let scanned = removed + kept;
            if let Some(filter) = text(n, "Filter") {
                let selective = scanned >= 10_000.0
                    && kept / scanned.max(1.0) <= 0.05
                    && (analyzed || root_cost > 1000.0);
                let cols = filter_keys(filter);
                if selective && !cols.is_empty() {
                    let mut keys: Vec<FilterKey> = vec![];
                    let mut had_range = false;
                    for (c, eq) in &cols {
                        if had_range {
                            break;
                        }
                        if !eq {
                            had_range = true;
                        }
                        if !keys.contains(c) {
                            keys.push(c.clone());
                        }
                    }
                    tip(
                        &mut tips,
                        MISSING_INDEX,
                        "seq-scan-with-selective-filter",
                        Severity::Warning,
                        i,
                        format!(
                            "sequential scan of {relation} {} {kept:.0} of {}{scanned:.0} rows: an index on ({}) would read only those",
                            if analyzed {
                                "keeps"
                            } else {
                                "is estimated to keep"
                            },
                            if analyzed { "" } else { "about " },
                            keys.iter()
                                .map(FilterKey::shown)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        vec![
                            ("filter", filter.to_string()),
                            (
                                if analyzed {
                                    "rows removed"
                                } else {
                                    "rows removed (estimated)"
                                },
                                format!("{removed:.0}"),
                            ),
                        ],
                        index_fix(text(n, "Schema"), relation, &keys),
                        stake(i, &w.nodes),
                    );
                } else if analyzed && removed >= 100_000.0 {
                    tip(
                        &mut tips,
                        "PLN004",
                        "rows-removed-by-filter",
                        Severity::Info,
                        i,
                        format!(
                            "{} reads {removed:.0} rows only to discard them",
                            node.label
                        ),
                        vec![("filter", filter.to_string())],
                        None,
                        stake(i, &w.nodes),
                    );
                }
            }
        } else if let Some(removed) = num(n, "Rows Removed by Filter") {
            let removed = removed * loops;
            if removed >= 100_000.0 {
                tip(
                    &mut tips,
                    "PLN004",
                    "rows-removed-by-filter",
                    Severity::Info,
                    i,
                    format!(
                        "{} reads {removed:.0} rows only to discard them: an index matching the filter would skip them",
                        node.label
                    ),
                    vec![("filter", text(n, "Filter").unwrap_or("").to_string())],
                    None,
                    stake(i, &w.nodes),
                );
            }
        }
        // NOT IN (SELECT ...) not hashed: the subquery's result is scanned again for every row.
        if let Some(filter) = text(n, "Filter").or_else(|| text(n, "Join Filter"))
            && unhashed_not_in(filter)
        {
            // How often the subplan ran: its loops (with ANALYZE), else the rows the node reads.
            let subplan_loops = n
                .get("Plans")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| text(c, "Parent Relationship") == Some("SubPlan"))
                .filter_map(|c| num(c, "Actual Loops"))
                .sum::<f64>();
            let rows = if subplan_loops > 0.0 {
                subplan_loops
            } else {
                node.actual_rows.unwrap_or(node.estimated_rows) * loops
                    + num(n, "Rows Removed by Filter").unwrap_or(0.0) * loops
            };
            tip(
                &mut tips,
                "PLN011",
                "not-in-subplan",
                Severity::Warning,
                i,
                format!(
                    "{}: NOT IN (SELECT ...) runs its subquery again for each of {rows:.0} rows (the subplan \
                     is not hashed): write it as NOT EXISTS (SELECT 1 FROM ... WHERE inner = outer), an \
                     anti-join, which also means what was meant when the subquery yields a NULL",
                    node.label
                ),
                vec![("filter", filter.to_string())],
                None,
                stake(i, &w.nodes).max(subtree_ms(i, &w.nodes)),
            );
        }
        // Sorts and hashes spilling to disk.
        if text(n, "Sort Space Type") == Some("Disk")
            || text(n, "Sort Method").is_some_and(|m| m.contains("external"))
        {
            let kb = num(n, "Sort Space Used").unwrap_or(0.0);
            tip(
                &mut tips,
                "PLN005",
                "sort-spills-to-disk",
                Severity::Warning,
                i,
                format!(
                    "{} spills {kb:.0} kB to disk ({})",
                    node.label,
                    text(n, "Sort Method").unwrap_or("external")
                ),
                vec![("disk kB", format!("{kb:.0}"))],
                Some(format!(
                    "SET work_mem = '{}MB';  -- for this query or role; or an index that returns the rows in order",
                    ((kb / 1024.0) * 2.0).ceil().max(8.0)
                )),
                stake(i, &w.nodes),
            );
        }
        if let Some(batches) = num(n, "Hash Batches")
            && batches > 1.0
        {
            tip(
                &mut tips,
                "PLN005",
                "hash-spills-to-disk",
                Severity::Warning,
                i,
                format!(
                    "{} runs in {batches:.0} batches: the hash table did not fit in work_mem",
                    node.label
                ),
                vec![
                    ("batches", format!("{batches:.0}")),
                    (
                        "peak memory kB",
                        format!("{:.0}", num(n, "Peak Memory Usage").unwrap_or(0.0)),
                    ),
                ],
                Some(format!(
                    "SET work_mem = '{}MB';",
                    (num(n, "Peak Memory Usage").unwrap_or(4096.0) * batches / 1024.0)
                        .ceil()
                        .max(8.0)
                )),
                stake(i, &w.nodes),
            );
        }
        // Nested loops with many inner loops.
        if kind == "Nested Loop"
            && let Some(inner) = n
                .get("Plans")
                .and_then(Value::as_array)
                .and_then(|p| p.get(1))
        {
            let inner_loops = num(inner, "Actual Loops").unwrap_or(0.0);
            if inner_loops >= 10_000.0 {
                tip(
                    &mut tips,
                    "PLN006",
                    "nested-loop-many-loops",
                    Severity::Warning,
                    i,
                    format!(
                        "nested loop runs its inner side {inner_loops:.0} times ({}): a hash or merge join, or a better index on the inner side, reads it once",
                        label(inner)
                    ),
                    vec![("inner loops", format!("{inner_loops:.0}"))],
                    None,
                    stake(i, &w.nodes),
                );
            }
        }
        // Heap fetches in index-only scans.
        if kind == "Index Only Scan" {
            let fetches = num(n, "Heap Fetches").unwrap_or(0.0) * loops;
            let rows = node.actual_rows.unwrap_or(0.0) * loops;
            if fetches >= 1000.0 && fetches >= 0.1 * rows {
                tip(
                    &mut tips,
                    "PLN007",
                    "heap-fetches",
                    Severity::Warning,
                    i,
                    format!(
                        "index-only scan on {relation} still visits the heap for {fetches:.0} of {rows:.0} rows: the visibility map is stale"
                    ),
                    vec![("heap fetches", format!("{fetches:.0}"))],
                    Some(format!(
                        "VACUUM {relation};  -- and let autovacuum keep up (autovacuum_vacuum_scale_factor)"
                    )),
                    stake(i, &w.nodes),
                );
            }
        }
        // Lossy bitmaps.
        if let Some(lossy) = num(n, "Lossy Heap Blocks")
            && lossy > 0.0
        {
            tip(
                &mut tips,
                "PLN008",
                "lossy-bitmap",
                Severity::Info,
                i,
                format!(
                    "{}: {lossy:.0} heap blocks went lossy (every row in them rechecked): the bitmap did not fit in work_mem",
                    node.label
                ),
                vec![("lossy blocks", format!("{lossy:.0}"))],
                Some("SET work_mem = '64MB';  -- for this query".into()),
                stake(i, &w.nodes),
            );
        }
        // Parallel workers planned and launched.
        if let (Some(planned), Some(launched)) =
            (num(n, "Workers Planned"), num(n, "Workers Launched"))
            && launched < planned
        {
            tip(
                &mut tips,
                "PLN009",
                "workers-not-launched",
                Severity::Warning,
                i,
                format!(
                    "{}: {planned:.0} parallel workers planned, {launched:.0} launched: the pool (max_parallel_workers) was exhausted",
                    node.label
                ),
                vec![],
                Some(
                    "ALTER SYSTEM SET max_parallel_workers = ...;  -- or max_worker_processes"
                        .into(),
                ),
                stake(i, &w.nodes),
            );
        }
    }
    // JIT.
    if let (Some(jit), Some(exec)) = (top.get("JIT"), execution_ms) {
        let t = jit
            .get("Timing")
            .and_then(|t| num(t, "Total"))
            .unwrap_or(0.0);
        if t >= 0.1 * exec && t >= 10.0 {
            tip(
                &mut tips,
                "PLN010",
                "jit-overhead",
                Severity::Warning,
                0,
                format!("JIT compilation took {t:.0} ms of {exec:.0} ms"),
                vec![(
                    "functions",
                    format!(
                        "{:.0}",
                        jit.get("Functions").and_then(Value::as_f64).unwrap_or(0.0)
                    ),
                )],
                Some("SET jit = off;  -- or raise jit_above_cost".into()),
                t,
            );
        }
    }
    tips.sort_by(|a, b| {
        b.at_stake_ms
            .total_cmp(&a.at_stake_ms)
            .then(b.severity.cmp(&a.severity))
    });
    PlanReport {
        source: source.to_string(),
        analyzed,
        planning_ms: num(top, "Planning Time"),
        execution_ms,
        total_cost: root_cost,
        nodes: w.nodes,
        tips,
    }
}

/// The tip of a sequential scan that wants an index (PLN003): the one the advisor can name.
pub const MISSING_INDEX: &str = "PLN003";

/// Whether a tip asks for an index the advisor could name ([`name_indexes`]).
pub fn wants_an_index(report: &PlanReport) -> bool {
    report.tips.iter().any(|t| t.code == MISSING_INDEX)
}

/// Replace the index a PLN003 tip guessed from the filter alone with the advisor's pick for that table,
/// made for the query the plan is of (with the schema's existing indexes, the statistics and, on a live
/// database, the planner): composite order, partial predicate, INCLUDE columns as the advisor chose them.
/// Tips whose table the advisor left alone keep their guess.
pub fn name_indexes(report: &mut PlanReport, advice: &crate::Advice) {
    for tip in report.tips.iter_mut().filter(|t| t.code == MISSING_INDEX) {
        let Some(relation) = report
            .nodes
            .get(tip.node)
            .and_then(|n| n.label.rsplit_once(" on "))
            .map(|(_, r)| r.split_whitespace().next().unwrap_or(r).to_string())
        else {
            continue;
        };
        let unqualified = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
        let Some(r) = advice
            .recommendations
            .iter()
            .find(|r| unqualified(&r.table) == unqualified(&relation))
        else {
            continue;
        };
        let sql = if r.sql.ends_with(';') {
            r.sql.clone()
        } else {
            format!("{};", r.sql)
        };
        tip.fix = Some(dbarch_report::Fix::sql(sql));
        if let Some(q) = r.queries.first() {
            tip.evidence.push(Evidence {
                name: if advice.verified {
                    "planner cost with it".into()
                } else {
                    "estimated cost with it".into()
                },
                value: format!("{:.0} -> {:.0}", q.cost_before, q.cost_after),
            });
        }
    }
}

/// The plain columns a scan node's conditions compare (its Index Cond, Recheck Cond and Filter), in the
/// order they come, each once.
fn condition_columns(n: &serde_json::Value) -> Vec<String> {
    let mut columns: Vec<String> = vec![];
    for field in ["Index Cond", "Recheck Cond", "Filter"] {
        for (k, _) in text(n, field).map(filter_keys).unwrap_or_default() {
            if k.expression.is_none() && !columns.contains(&k.column) {
                columns.push(k.column);
            }
        }
    }
    columns
}

/// `ANALYZE relation;`, written by the DDL emitter; when the node's conditions compare two columns or more
/// of the relation (the usual cause: the planner multiplies their selectivities as if they were
/// independent), extended statistics on them first, so the next ANALYZE measures how they go together.
/// Functional dependencies only: with an MCV list as well, the planner prefers the list, and a pair of
/// values not in it (a column with more distinct values than the statistics target) is estimated as if
/// the columns were independent again — checked on the server.
fn analyze_fix(schema: Option<&str>, relation: &str, columns: &[String]) -> Option<String> {
    use dbarch_sql::change::{Maintenance, ObjName, SchemaChange, emit};
    use dbarch_sql::expr::quote_ident;
    let analyze = SchemaChange::Maintain(Maintenance::Vacuum {
        tables: vec![ObjName::new(schema, relation)],
        full: false,
        analyze: false,
        analyze_only: true,
    });
    let analyze = emit(&analyze)?;
    if columns.len() < 2 {
        return Some(format!(
            "{analyze};  -- and for correlated columns, extended statistics on them (CREATE STATISTICS ... (dependencies, mcv))"
        ));
    }
    let columns = &columns[..columns.len().min(8)];
    let name = dbarch_catalog::default_name(relation, columns, "stats");
    let target = match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(relation)),
        None => quote_ident(relation),
    };
    Some(format!(
        "CREATE STATISTICS IF NOT EXISTS {} (dependencies) ON {} FROM {target};\n{analyze};",
        match schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&name)),
            None => quote_ident(&name),
        },
        columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `CREATE INDEX CONCURRENTLY ON relation (keys);`, written by the DDL emitter.
fn index_fix(schema: Option<&str>, relation: &str, keys: &[FilterKey]) -> Option<String> {
    use dbarch_sql::change::{CreateIndex, IndexKey, IndexKeyExpr, ObjName, SchemaChange, emit};
    let mut index = CreateIndex::on_columns(ObjName::new(schema, relation), None, &[]);
    index.concurrently = true;
    index.keys = keys
        .iter()
        .map(|k| match &k.expression {
            None => IndexKey::column(&k.column),
            Some(e) => IndexKey {
                expr: IndexKeyExpr::Expression {
                    sql: e.clone(),
                    columns: vec![k.column.clone()],
                },
                ..IndexKey::column(&k.column)
            },
        })
        .collect();
    Some(format!("{};", emit(&SchemaChange::CreateIndex(index))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"[{"Plan": {"Node Type": "Sort", "Plan Rows": 5, "Actual Rows": 4800, "Actual Loops": 1,
        "Actual Total Time": 120.0, "Total Cost": 1900.0, "Sort Method": "external merge", "Sort Space Type": "Disk", "Sort Space Used": 9000,
        "Plans": [{"Node Type": "Seq Scan", "Relation Name": "orders", "Alias": "orders", "Plan Rows": 5, "Actual Rows": 4800,
                   "Actual Loops": 1, "Actual Total Time": 100.0, "Total Cost": 1693.0,
                   "Filter": "((status = 'open'::text) AND (customer_id = 42))", "Rows Removed by Filter": 995200}]},
        "Planning Time": 0.2, "Execution Time": 121.0}]"#;

    #[test]
    fn reads_times_misestimates_and_the_missing_index() {
        let top = parse("plan.json", PLAN).unwrap();
        let r = analyze("plan.json", &top);
        assert!(r.analyzed);
        assert_eq!(r.nodes.len(), 2);
        assert_eq!(r.nodes[1].label, "Seq Scan on orders");
        assert!((r.nodes[0].exclusive_ms.unwrap() - 20.0).abs() < 1e-9);
        let codes: Vec<&str> = r.tips.iter().map(|t| t.code.as_str()).collect();
        assert!(codes.contains(&"PLN002"), "{codes:?}");
        assert!(codes.contains(&"PLN005"), "{codes:?}");
        let seq = r.tips.iter().find(|t| t.code == "PLN003").unwrap();
        assert_eq!(
            seq.fix.as_ref().map(|f| f.sql.as_str()),
            Some("CREATE INDEX CONCURRENTLY ON orders USING btree (status, customer_id);")
        );
        let mis = r.tips.iter().find(|t| t.code == "PLN002").unwrap();
        assert_eq!(mis.severity, Severity::Warning, "960x is past 100x");
        // Ranked by time at stake: the scan (100 ms) first.
        assert_eq!(r.tips[0].node, 1);
    }

    #[test]
    fn an_estimated_plan_names_the_index_too() {
        // EXPLAIN without ANALYZE: 1 row estimated out of a scan costing 4853 (some 240,000 rows).
        let plan = r#"[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders", "Alias": "orders",
            "Plan Rows": 1, "Total Cost": 4853.0,
            "Filter": "((customer_id = 42) AND (status = 'open'::text))"}}]"#;
        let r = analyze("plan.json", &parse("plan.json", plan).unwrap());
        let seq = r.tips.iter().find(|t| t.code == "PLN003").unwrap();
        assert_eq!(
            seq.fix.as_ref().map(|f| f.sql.as_str()),
            Some("CREATE INDEX CONCURRENTLY ON orders USING btree (customer_id, status);")
        );
        assert!(
            seq.message.contains("estimated to keep 1 of about"),
            "{}",
            seq.message
        );
        // A small table's scan stays unflagged.
        let small = plan.replace("4853.0", "40.0");
        let r = analyze("plan.json", &parse("plan.json", &small).unwrap());
        assert!(r.tips.iter().all(|t| t.code != "PLN003"));
    }

    /// An auto_explain entry as PostgreSQL 15 logs it (log_format = json, log_analyze on), cut short.
    const AUTO_EXPLAIN: &str = "2026-12-01 23:39:14.696 UTC [31604] LOG:  duration: 72.412 ms  plan:\n\t{\n\t  \"Query Text\": \"SELECT count(*) FROM big WHERE n = 7;\",\n\t  \"Plan\": {\n\t    \"Node Type\": \"Gather\", \"Plan Rows\": 2, \"Total Cost\": 26124.95, \"Actual Total Time\": 72.393, \"Actual Rows\": 3, \"Actual Loops\": 1, \"Workers Planned\": 2, \"Workers Launched\": 2,\n\t    \"Plans\": [{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"big\", \"Parallel Aware\": true, \"Plan Rows\": 828, \"Total Cost\": 25122.67, \"Actual Total Time\": 59.605, \"Actual Rows\": 667, \"Actual Loops\": 3, \"Filter\": \"(n = 7)\", \"Rows Removed by Filter\": 666000}]\n\t  }\n\t}\n2026-12-01 23:39:15.001 UTC [31604] LOG:  statement: SELECT 1\n";

    #[test]
    fn an_auto_explain_log_entry_is_a_plan_and_its_duration_the_time() {
        let top = parse("postgresql.log", AUTO_EXPLAIN).unwrap();
        let r = analyze("postgresql.log", &top);
        assert_eq!(r.execution_ms, Some(72.412));
        assert!(r.analyzed);
        // Parallel: the scan's 3 loops ran at once (2 workers and the leader): 59.6 ms, not 178.8.
        let scan = &r.nodes[1];
        assert!(
            (scan.exclusive_ms.unwrap() - 59.605).abs() < 0.01,
            "{scan:?}"
        );
        assert!(r.nodes.iter().all(|n| n.share.unwrap_or(0.0) <= 1.0));
        let cut = AUTO_EXPLAIN.split("\"Plans\"").next().unwrap();
        let e = parse("postgresql.log", cut).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(!e.message.contains("at line"), "{e}");
    }

    #[test]
    fn a_node_a_limit_stopped_is_not_a_misestimate() {
        let plan = r#"[{"Plan": {"Node Type": "Limit", "Plan Rows": 3, "Actual Rows": 3, "Actual Loops": 1, "Actual Total Time": 0.3, "Total Cost": 38.0,
            "Plans": [{"Node Type": "Seq Scan", "Relation Name": "big", "Plan Rows": 1988, "Actual Rows": 3, "Actual Loops": 1,
                       "Actual Total Time": 0.3, "Total Cost": 25000.0, "Filter": "(n = 5)", "Rows Removed by Filter": 5000}]},
            "Execution Time": 0.4}]"#;
        let r = analyze("p.json", &parse("p.json", plan).unwrap());
        assert!(r.tips.iter().all(|t| t.code != "PLN002"), "{:?}", r.tips);
    }

    #[test]
    fn bad_files_name_the_position() {
        let e = parse("p.json", "[{\"Plan\": ").unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("p.json", 1));
        assert!(parse("p.json", "{\"x\": 1}").is_err());
    }
}
