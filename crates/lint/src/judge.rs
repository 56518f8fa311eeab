//! The configuration applied to the reports other engines make: a live database's health report
//! (`dbarch inspect`) and a plan's tips (`dbarch explain`). Their checks are rules of the registry like
//! any other, so `dbarch.toml` selects, ignores and re-grades them by code, former code or name.

use dbarch_report::{HealthReport, PlanReport, Severity};

use crate::config::Config;
use crate::registry::find_rule;

/// Keep the findings of enabled rules, under each rule's code and name, at the severity the configuration
/// sets (a check's own grading, which may depend on the evidence, when it sets none). Returns how many
/// findings the configuration excused.
pub fn health(report: &mut HealthReport, config: &Config) -> usize {
    let before = report.findings.len();
    report.findings.retain_mut(|f| {
        let kept = configure(&mut f.code, &mut f.name, &mut f.severity, config);
        if kept {
            f.fingerprint = format!("{}:{}", f.code, f.object);
        }
        kept
    });
    before - report.findings.len()
}

/// Each fix of a health report with the rule's note on running it and its cost, judged on the
/// database's schema (`catalog`) and sizes (`stats`).
pub fn health_fixes(
    report: &mut HealthReport,
    catalog: &dbarch_catalog::Catalog,
    stats: &dbarch_catalog::Stats,
    pg_version: u32,
    large_table_rows: u64,
) {
    let knowledge = crate::knowledge::Knowledge::shared();
    let nobody = std::collections::HashSet::new();
    let costing = crate::cost::Costing {
        catalog,
        created_here: &nobody,
        pg_version,
        knowledge,
        stats: Some(stats),
        large_table_rows,
    };
    for f in &mut report.findings {
        if let Some(fix) = f.fix.take() {
            let safety = find_rule(&f.code).and_then(|r| r.doc.fix_safety);
            match costing.offer(fix.sql, safety) {
                Ok(fix) => f.fix = Some(fix),
                Err(words) => f.message = format!("{} {words}", f.message),
            }
        }
    }
}

/// [`health`] for the tips on a plan.
pub fn plan(report: &mut PlanReport, config: &Config) -> usize {
    let before = report.tips.len();
    report
        .tips
        .retain_mut(|t| configure(&mut t.code, &mut t.name, &mut t.severity, config));
    // Each fix with the rule's note on running it and what it locks on the tables the plan reads.
    let pg_version = config.pg_version.unwrap_or(16);
    for t in &mut report.tips {
        if let Some(fix) = t.fix.take() {
            let safety = find_rule(&t.code).and_then(|r| r.doc.fix_safety);
            t.fix = Some(crate::cost::on_named_tables(fix.sql, safety, pg_version));
        }
    }
    before - report.tips.len()
}

/// Whether a finding of rule `code` is kept; its code and name made the rule's, its severity the one
/// configured.
fn configure(
    code: &mut String,
    name: &mut String,
    severity: &mut Severity,
    config: &Config,
) -> bool {
    let Some(rule) = find_rule(code) else {
        return true;
    };
    if !config.enabled(rule) {
        return false;
    }
    *code = rule.code.to_string();
    *name = rule.name.to_string();
    if let Some(s) = config.severity_set(rule) {
        *severity = s;
    }
    true
}

#[cfg(test)]
mod tests {
    use dbarch_report::HealthFinding;

    use super::*;

    fn finding(code: &str, severity: Severity) -> HealthFinding {
        HealthFinding {
            code: code.into(),
            name: "x".into(),
            severity,
            object: "public.t".into(),
            message: String::new(),
            evidence: vec![],
            fix: None,
            fingerprint: format!("{code}:public.t"),
        }
    }

    #[test]
    fn inspect_checks_are_configured_like_rules() {
        let config = Config::parse(
            "[rules]\nignore = [\"unused-index\"]\nseverity = { DB001 = \"error\", xid-wraparound = \"info\" }\n",
            "dbarch.toml",
        )
        .unwrap();
        let mut report = HealthReport {
            findings: vec![
                finding("DB002", Severity::Info),
                finding("IDX001", Severity::Warning),
                finding("DB009", Severity::Error),
                finding("DB014", Severity::Error),
            ],
            ..HealthReport::default()
        };
        assert_eq!(health(&mut report, &config), 1);
        let got: Vec<(&str, &str, Severity)> = report
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.name.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("IDX001", "duplicate-index", Severity::Error),
                ("DB009", "xid-wraparound", Severity::Info),
                ("DB014", "connections-near-max", Severity::Error),
            ]
        );
    }
}
