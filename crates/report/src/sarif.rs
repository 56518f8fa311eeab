//! SARIF 2.1.0, for code-scanning dashboards.

use serde_json::{Value, json};

use crate::{Report, RuleInfo, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a result is: a span of a file, or an object of a database (a table, an index, a role, a plan
/// node), which has no file.
enum Place<'a> {
    File(&'a crate::Finding),
    Object { name: &'a str, kind: &'a str },
}

/// One result of a SARIF log.
struct Item<'a> {
    code: &'a str,
    severity: Severity,
    message: String,
    fingerprint: String,
    fix: Option<&'a crate::Fix>,
    place: Place<'a>,
}

/// Render a SARIF log. `rules` describes every rule that may appear (the driver's rule table).
pub fn render_sarif(report: &Report, rules: &[RuleInfo], tool_version: &str) -> String {
    let items = report.findings.iter().map(|f| {
        let mut message = f.message.clone();
        if !f.help.is_empty() {
            message.push('\n');
            message.push_str(&f.help);
        }
        Item {
            code: &f.code,
            severity: f.severity,
            message,
            fingerprint: f.fingerprint.clone(),
            fix: f.fix.as_ref(),
            place: Place::File(f),
        }
    });
    render(items.collect(), rules, tool_version)
}

/// A live database's health report as a SARIF log: each result is located at the database object it is
/// about (a logical location: there is no file).
pub fn render_health_sarif(
    report: &crate::HealthReport,
    rules: &[RuleInfo],
    tool_version: &str,
) -> String {
    let items = report.findings.iter().map(|f| Item {
        code: &f.code,
        severity: f.severity,
        message: f.message.clone(),
        fingerprint: f.fingerprint.clone(),
        fix: f.fix.as_ref(),
        place: Place::Object {
            name: &f.object,
            kind: "object",
        },
    });
    render(items.collect(), rules, tool_version)
}

/// A plan's tips as a SARIF log: each result is located at its plan node.
pub fn render_plan_sarif(
    report: &crate::PlanReport,
    rules: &[RuleInfo],
    tool_version: &str,
) -> String {
    let items = report.tips.iter().map(|t| Item {
        code: &t.code,
        severity: t.severity,
        message: t.message.clone(),
        fingerprint: format!(
            "{}:{}",
            t.code,
            report
                .nodes
                .get(t.node)
                .map_or("plan", |n| n.label.as_str())
        ),
        fix: t.fix.as_ref(),
        place: Place::Object {
            name: report
                .nodes
                .get(t.node)
                .map_or("plan", |n| n.label.as_str()),
            kind: "element",
        },
    });
    render(items.collect(), rules, tool_version)
}

fn render(items: Vec<Item>, rules: &[RuleInfo], tool_version: &str) -> String {
    let rule_index = |code: &str| rules.iter().position(|r| r.code == code);
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.summary, "markdown": r.help_markdown },
                "defaultConfiguration": { "level": level(r.severity) },
                "helpUri": format!("https://github.com/dbarch/dbarch/blob/main/docs/rules/{}.md", r.code),
            })
        })
        .collect();
    let results: Vec<Value> = items
        .into_iter()
        .map(|f| {
            let location = match f.place {
                Place::File(f) => json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.replace('\\', "/") },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        }
                    }
                }),
                Place::Object { name, kind } => json!({
                    "logicalLocations": [{ "fullyQualifiedName": name, "kind": kind }]
                }),
            };
            let mut r = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": { "dbarch/v1": f.fingerprint },
            });
            if let Some(i) = rule_index(f.code) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(fix) = f.fix {
                r["properties"] = json!({
                    "fix": fix.sql,
                    "fixSafety": fix.safety,
                    "fixLock": fix.lock,
                    "fixRewrites": fix.rewrites,
                    "fixScans": fix.scans,
                });
            }
            r
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "dbarch",
                    "version": tool_version,
                    "informationUri": "https://github.com/dbarch/dbarch",
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
