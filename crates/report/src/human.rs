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
            // A window of a long line is marked where it was cut.
            let cut_before = src.first_column > 1;
            let shown_line = format!(
                "{}{}{}",
                if cut_before { "…" } else { "" },
                src.text.replace('\t', " "),
                if src.more { "…" } else { "" }
            );
            let _ = writeln!(out, "{pad} {}", paint(st.dim, "|"));
            let _ = writeln!(
                out,
                "{} {} {}",
                paint(st.dim, &f.line.to_string()),
                paint(st.dim, "|"),
                shown(&shown_line)
            );
            let start = f.column.saturating_sub(src.first_column) + usize::from(cut_before);
            let line_len = shown_line.chars().count() - usize::from(src.more);
            let end = if f.end_line == f.line {
                f.end_column.saturating_sub(src.first_column) + usize::from(cut_before)
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
            let mut lines = fix.sql.lines();
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
            if let Some(cost) = fix.cost() {
                let _ = writeln!(out, "{pad} {} {}", paint(st.dim, "= cost:"), shown(&cost));
            }
            if let Some(safety) = &fix.safety {
                let _ = writeln!(
                    out,
                    "{pad} {} {}",
                    paint(st.dim, "= safety:"),
                    shown(safety)
                );
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

    /// A line of a million characters is shown as a window around the finding, the caret under it.
    #[test]
    fn long_lines_are_shown_around_the_finding() {
        let mut r = crate::test_data::sample();
        let line = format!("SELECT * FROM t WHERE id IN ({})", "1, ".repeat(300_000));
        let column = line.len() - 400;
        let f = &mut r.findings[0];
        (f.line, f.column, f.end_line, f.end_column) = (1, column, 1, column + 3);
        f.source_line = Some(crate::SourceLine::around(&line, column));
        let out = render_human(&r, false);
        assert!(out.len() < 4000, "{}", out.len());
        let lines: Vec<&str> = out.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains("...") || l.contains('…'))
            .unwrap();
        let (text, caret) = (lines[i], lines[i + 1]);
        assert!(text.starts_with("1 | …") && text.ends_with('…'), "{text}");
        let at = caret.find('^').unwrap();
        assert_eq!(caret[at..].trim_end(), "^^^");
        // The caret stands under the column's character.
        let under: String = text
            .chars()
            .skip(caret[..at].chars().count())
            .take(3)
            .collect();
        let want: String = line.chars().skip(column - 1).take(3).collect();
        assert_eq!(under, want);
        // A line that fits is whole, wherever the column is.
        assert_eq!(crate::SourceLine::around("abc", 2).text, "abc");
        let fits = "x".repeat(crate::SourceLine::WIDTH);
        let s = crate::SourceLine::around(&fits, 200);
        assert_eq!(
            (s.text.len(), s.first_column, s.more),
            (fits.len(), 1, false)
        );
    }

    /// Control characters and bidirectional overrides in names reach the terminal escaped, never raw.
    #[test]
    fn control_characters_are_escaped() {
        let mut r = crate::test_data::sample();
        r.findings[0].message = "column \"\x1b[2J\u{202e}x\u{7}\" is renamed".to_string();
        r.findings[0].fix = Some(crate::Fix::sql(
            "ALTER TABLE t RENAME COLUMN \"\x1b]0;x\u{7}\" TO \"j\";",
        ));
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
