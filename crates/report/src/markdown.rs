//! Markdown, for pull-request comments and CI summaries.

use std::fmt::Write;

use crate::{Report, Severity, shown, summary_line};

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
        let icon = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
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
            let _ = writeln!(out, "```sql\n{}\n```", shown(fix));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(super::render_markdown(&crate::test_data::sample()));
    }
}
