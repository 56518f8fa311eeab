//! A reading of an EXPLAIN plan (`dbarch explain`): the tree with each node's own time and its share,
//! and the tips, ranked by the time at stake.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Evidence, Severity};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanNode {
    pub depth: usize,
    /// `Seq Scan on orders`, `Index Scan using orders_pkey on orders`, `Hash Join`.
    pub label: String,
    pub estimated_rows: f64,
    /// Rows per loop, when the plan was run (EXPLAIN ANALYZE).
    pub actual_rows: Option<f64>,
    pub loops: Option<f64>,
    /// Milliseconds spent in this node itself (children excluded), over all loops.
    pub exclusive_ms: Option<f64>,
    /// Share of the execution time.
    pub share: Option<f64>,
    pub total_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTip {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// Index of the node in `nodes`.
    pub node: usize,
    pub message: String,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<crate::Fix>,
    /// Milliseconds the tip is about (for ranking); the node's cost share when not analysed.
    pub at_stake_ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    pub source: String,
    pub analyzed: bool,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
    pub total_cost: f64,
    pub nodes: Vec<PlanNode>,
    pub tips: Vec<PlanTip>,
}

impl PlanReport {
    pub fn max_severity(&self) -> Option<Severity> {
        self.tips.iter().map(|t| t.severity).max()
    }
}

pub fn render_plan(r: &PlanReport) -> String {
    let mut s = String::new();
    let timing = match (r.execution_ms, r.planning_ms) {
        (Some(e), Some(p)) => format!("executed in {e:.1} ms (planning {p:.1} ms)"),
        (Some(e), None) => format!("executed in {e:.1} ms"),
        _ => format!(
            "not executed (EXPLAIN without ANALYZE); total cost {:.0}",
            r.total_cost
        ),
    };
    let _ = writeln!(s, "{}: {timing}\n", r.source);
    for n in &r.nodes {
        let rows = match (n.actual_rows, n.loops) {
            (Some(a), Some(l)) if l > 1.0 => format!(
                "rows {:.0} est / {a:.0} actual x {l:.0} loops",
                n.estimated_rows
            ),
            (Some(a), _) => format!("rows {:.0} est / {a:.0} actual", n.estimated_rows),
            _ => format!("rows {:.0} est, cost {:.0}", n.estimated_rows, n.total_cost),
        };
        let time = match (n.exclusive_ms, n.share) {
            (Some(ms), Some(sh)) => format!("{ms:>9.1} ms {:>5.1} %  ", sh * 100.0),
            _ => String::new(),
        };
        let _ = writeln!(s, "{time}{}{}  ({rows})", "  ".repeat(n.depth), n.label);
    }
    if !r.tips.is_empty() {
        s.push('\n');
    }
    for t in &r.tips {
        let _ = writeln!(
            s,
            "{}[{}]: {}  ({})",
            t.severity.as_str(),
            t.code,
            t.message,
            t.name
        );
        if !t.evidence.is_empty() {
            let ev: Vec<String> = t
                .evidence
                .iter()
                .map(|e| format!("{} {}", e.name, e.value))
                .collect();
            let _ = writeln!(s, "   evidence: {}", ev.join(", "));
        }
        if let Some(fix) = &t.fix {
            let _ = writeln!(s, "   fix: {}", fix.sql);
            if let Some(cost) = fix.cost() {
                let _ = writeln!(s, "   cost: {cost}");
            }
            if let Some(safety) = &fix.safety {
                let _ = writeln!(s, "   safety: {safety}");
            }
        }
    }
    let _ = writeln!(
        s,
        "\n{}",
        if r.tips.is_empty() {
            "no tips".to_string()
        } else {
            crate::plural(r.tips.len(), "tip")
        }
    );
    s
}
