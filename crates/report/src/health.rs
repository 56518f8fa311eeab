//! The health report of a live database (`dbarch inspect`): findings with the numbers that support them
//! and the fix as SQL, and the checks that could not run (for lack of privilege, or because the server
//! does not have what they read).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Severity, plural};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthFinding {
    /// The code of the rule (`DB002`, or `IDX001` for a static rule's hazard found live).
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// The object it is about: `public.orders`, `orders_status_idx`, a role, a setting.
    pub object: String,
    pub message: String,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<crate::Fix>,
    /// The check and the object: stable across runs, for baselines.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedCheck {
    pub check: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The database, as shown (no password).
    pub database: String,
    pub server_version: String,
    /// When the statistics counters were last reset (usage counts are since then).
    pub stats_reset: Option<String>,
    /// The server is a replica (in recovery): its usage counters are its own, not the primary's.
    #[serde(default)]
    pub replica: bool,
    pub checks_run: usize,
    pub findings: Vec<HealthFinding>,
    pub skipped: Vec<SkippedCheck>,
}

impl HealthReport {
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The report for a terminal: most severe first, each finding with its evidence and fix.
pub fn render_health(r: &HealthReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Inspected {} (PostgreSQL {}{}): {} checks run{}.\n",
        r.database,
        r.server_version,
        if r.replica {
            ", a replica in recovery: its usage counters are its own, the primary's differ"
        } else {
            ""
        },
        r.checks_run,
        r.stats_reset
            .as_ref()
            .map(|t| format!("; usage statistics since {t}"))
            .unwrap_or_default()
    );
    let mut findings: Vec<&HealthFinding> = r.findings.iter().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.object.cmp(&b.object))
    });
    for f in findings {
        let _ = writeln!(
            s,
            "{}[{}]: {}  ({})",
            f.severity.as_str(),
            f.code,
            f.message,
            f.name
        );
        if !f.evidence.is_empty() {
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|e| format!("{} {}", e.name, e.value))
                .collect();
            let _ = writeln!(s, "   evidence: {}", ev.join(", "));
        }
        if let Some(fix) = &f.fix {
            let mut lines = fix.sql.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(s, "   fix: {first}");
            }
            for l in lines {
                let _ = writeln!(s, "        {l}");
            }
            if let Some(cost) = fix.cost() {
                let _ = writeln!(s, "   cost: {cost}");
            }
            if let Some(safety) = &fix.safety {
                let _ = writeln!(s, "   safety: {safety}");
            }
        }
        s.push('\n');
    }
    for k in &r.skipped {
        let _ = writeln!(s, "skipped {}: {}", k.check, k.reason);
    }
    let count = |sev: Severity| r.findings.iter().filter(|f| f.severity == sev).count();
    let _ = writeln!(
        s,
        "{}{}: {}, {}, {}{}",
        if r.skipped.is_empty() { "" } else { "\n" },
        if r.findings.is_empty() {
            "no findings".to_string()
        } else {
            plural(r.findings.len(), "finding")
        },
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "info"),
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!("; {} skipped", plural(r.skipped.len(), "check"))
        }
    );
    s
}
