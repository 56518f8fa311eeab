//! The terminal report: findings grouped by file, the source line with a caret under the span, help and
//! fix below, and a summary line.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::{Report, Severity, shown, summary_line};

struct Styles {
    error: Style,
    warning: Style,
    info: Style,
    bold: Style,
    dim: Style,
    fix: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        if !color {
            let p = Style::new();
            return Styles {
                error: p,
                warning: p,
                info: p,
                bold: p,
                dim: p,
                fix: p,
            };
        }
        Styles {
            error: AnsiColor::Red.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            info: AnsiColor::Cyan.on_default().bold(),
            bold: Style::new().bold(),
            dim: AnsiColor::Blue.on_default(),
            fix: AnsiColor::Green.on_default(),
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Render for a terminal. `color` adds ANSI styles (the caller decides: TTY and `NO_COLOR`).
pub fn render_human(report: &Report, color: bool) -> String {
    let st = Styles::new(color);
    let mut out = String::new();
    let mut current_file: Option<&str> = None;
    for f in &report.findings {
        if current_file != Some(f.file.as_str()) {
            let _ = writeln!(out, "{}", paint(st.bold, &shown(&f.file)));
            current_file = Some(&f.file);
        }
        let sev = st.severity(f.severity);
        let _ = writeln!(
            out,
            "{}: {}",
            paint(sev, &format!("{}[{}]", f.severity, f.code)),
            paint(st.bold, &shown(&f.message))
        );
        let gutter = f.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{} ({})",
            paint(st.dim, "-->"),
            shown(&f.file),
            f.line,
            f.column,
            f.name
        );
        if let Some(src) = &f.source_line {
            let _ = writeln!(out, "{pad} {}", paint(st.dim, "|"));
            let _ = writeln!(
                out,
                "{} {} {}",
                paint(st.dim, &f.line.to_string()),
                paint(st.dim, "|"),
                shown(&src.replace('\t', " "))
            );
            let start = f.column.saturating_sub(1);
            let line_len = src.chars().count();
            let end = if f.end_line == f.line {
                f.end_column.saturating_sub(1)
            } else {
                line_len
            };
            let width = end
                .saturating_sub(start)
                .clamp(1, line_len.saturating_sub(start).max(1));
            let _ = writeln!(
                out,
                "{pad} {} {}{}",
                paint(st.dim, "|"),
                " ".repeat(start),
                paint(sev, &"^".repeat(width))
            );
        }
        if !f.help.is_empty() {
            let _ = writeln!(out, "{pad} {} {}", paint(st.dim, "= help:"), shown(&f.help));
        }
        if let Some(fix) = &f.fix {
            let mut lines = fix.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(
                    out,
                    "{pad} {} {}",
                    paint(st.dim, "= fix:"),
                    paint(st.fix, &shown(first))
                );
                for l in lines {
                    let _ = writeln!(out, "{pad}        {}", paint(st.fix, &shown(l)));
                }
            }
        }
        out.push('\n');
    }
    let s = &report.summary;
    let style = if s.errors > 0 {
        st.error
    } else if s.warnings > 0 {
        st.warning
    } else {
        st.fix
    };
    let _ = writeln!(out, "{}", paint(style, &summary_line(s)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_report_snapshot() {
        insta::assert_snapshot!(render_human(&crate::test_data::sample(), false));
    }

    /// Control characters and bidirectional overrides in names reach the terminal escaped, never raw.
    #[test]
    fn control_characters_are_escaped() {
        let mut r = crate::test_data::sample();
        r.findings[0].message = "column \"\x1b[2J\u{202e}x\u{7}\" is renamed".to_string();
        r.findings[0].fix = Some("ALTER TABLE t RENAME COLUMN \"\x1b]0;x\u{7}\" TO \"j\";".into());
        let out = render_human(&r, false);
        assert!(
            !out.contains('\x1b') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{out}"
        );
        assert!(out.contains("\\u{1b}[2J\\u{202e}x\\u{7}"), "{out}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!render_human(&crate::test_data::sample(), false).contains('\x1b'));
        assert!(render_human(&crate::test_data::sample(), true).contains('\x1b'));
    }
}
