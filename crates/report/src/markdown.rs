//! Markdown, for pull-request comments and CI summaries.

use std::fmt::Write;

use crate::{Report, shown, summary_line};

fn cell(s: &str) -> String {
    shown(s).replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(report: &Report) -> String {
    let mut out = String::from("# dbarch review\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(&report.summary));
    if report.findings.is_empty() {
        return out;
    }
    out.push_str("| Severity | Rule | Location | Finding |\n|---|---|---|---|\n");
    for f in &report.findings {
        let icon = f.severity.as_str();
        let _ = writeln!(
            out,
            "| {icon} | `{}` {} | `{}:{}:{}` | {} |",
            f.code,
            f.name,
            cell(&f.file),
            f.line,
            f.column,
            cell(&f.message)
        );
    }
    out.push_str("\n## Details\n");
    for f in &report.findings {
        let _ = writeln!(
            out,
            "\n### `{}` {} — `{}:{}`\n\n{}\n",
            f.code,
            f.name,
            shown(&f.file),
            f.line,
            shown(&f.message)
        );
        if !f.help.is_empty() {
            let _ = writeln!(out, "{}\n", shown(&f.help));
        }
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "```sql\n{}\n```", shown(&fix.sql));
            fix_notes(&mut out, fix);
        }
    }
    out
}

/// A live database's health report (`dbarch inspect`) as Markdown: a table of findings, then each with its
/// evidence and fix.
pub fn render_health_markdown(r: &crate::HealthReport) -> String {
    let mut out = format!(
        "# dbarch inspect: {}

**{} checks run, {} finding{}, {} skipped** (PostgreSQL {}{})

",
        cell(&r.database),
        r.checks_run,
        r.findings.len(),
        if r.findings.len() == 1 { "" } else { "s" },
        r.skipped.len(),
        cell(&r.server_version),
        if r.replica { ", a replica" } else { "" }
    );
    if !r.findings.is_empty() {
        out.push_str("| Severity | Rule | Object | Finding |\n|---|---|---|---|\n");
        for f in &r.findings {
            let _ = writeln!(
                out,
                "| {} | `{}` {} | `{}` | {} |",
                f.severity.as_str(),
                f.code,
                f.name,
                cell(&f.object),
                cell(&f.message)
            );
        }
        out.push_str("\n## Details\n");
        for f in &r.findings {
            let _ = writeln!(
                out,
                "\n### `{}` {} — `{}`\n\n{}\n",
                f.code,
                f.name,
                cell(&f.object),
                shown(&f.message)
            );
            for e in &f.evidence {
                let _ = writeln!(out, "- {}: {}", shown(&e.name), shown(&e.value));
            }
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "\n```sql\n{}\n```", shown(&fix.sql));
                fix_notes(&mut out, fix);
            }
        }
    }
    if !r.skipped.is_empty() {
        out.push_str("\n## Skipped\n\n");
        for s in &r.skipped {
            let _ = writeln!(out, "- {}: {}", shown(&s.check), shown(&s.reason));
        }
    }
    out
}

/// A plan's tips (`dbarch explain`) as Markdown.
pub fn render_plan_markdown(r: &crate::PlanReport) -> String {
    let mut out = format!("# dbarch explain: {}\n\n", cell(&r.source));
    if let Some(ms) = r.execution_ms {
        let _ = writeln!(
            out,
            "**Execution {ms:.1} ms**, total cost {:.0}\n",
            r.total_cost
        );
    } else {
        let _ = writeln!(out, "**Estimated** total cost {:.0}\n", r.total_cost);
    }
    if r.tips.is_empty() {
        out.push_str("No tips.\n");
        return out;
    }
    out.push_str("| Severity | Rule | Node | Tip |\n|---|---|---|---|\n");
    for t in &r.tips {
        let node = r.nodes.get(t.node).map_or("plan", |n| n.label.as_str());
        let _ = writeln!(
            out,
            "| {} | `{}` {} | {} | {} |",
            t.severity.as_str(),
            t.code,
            t.name,
            cell(node),
            cell(&t.message)
        );
    }
    for t in r.tips.iter().filter(|t| t.fix.is_some()) {
        if let Some(fix) = &t.fix {
            let _ = writeln!(out, "\n`{}`:\n\n```sql\n{}\n```", t.code, shown(&fix.sql));
            fix_notes(&mut out, fix);
        }
    }
    out
}

/// A fix's cost and safety note, under its SQL.
fn fix_notes(out: &mut String, fix: &crate::Fix) {
    if let Some(cost) = fix.cost() {
        let _ = writeln!(out, "\nCost: {}", shown(&cost));
    }
    if let Some(safety) = &fix.safety {
        let _ = writeln!(out, "\nSafety: {}", shown(safety));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(super::render_markdown(&crate::test_data::sample()));
    }
}
