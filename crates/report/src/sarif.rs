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

/// Render a SARIF log. `rules` describes every rule that may appear (the driver's rule table).
pub fn render_sarif(report: &Report, rules: &[RuleInfo], tool_version: &str) -> String {
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
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut message = f.message.clone();
            if !f.help.is_empty() {
                message.push('\n');
                message.push_str(&f.help);
            }
            let mut r = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.replace('\\', "/") },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        }
                    }
                }],
                "partialFingerprints": { "dbarch/v1": f.fingerprint },
            });
            if let Some(i) = rule_index(&f.code) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(fix) = &f.fix {
                r["properties"] = json!({ "fix": fix });
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
