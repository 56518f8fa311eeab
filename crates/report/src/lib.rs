//! A report is plain data; renderers turn it into text. Renderers never re-analyse.
//!
//! The JSON form (`version: 2`) is a stable interface, documented in `docs/json-format.md`.

mod health;
mod human;
mod locks;
mod markdown;
mod plan;
mod sarif;
mod trace;

use serde::{Deserialize, Serialize};

pub use health::{Evidence, HealthFinding, HealthReport, SkippedCheck, render_health};
pub use human::render_human;
pub use locks::{
    HeldLock, LockLevel, LockReport, MigrationLocks, StatementLock, TableLock, render_locks_human,
};
pub use markdown::{render_health_markdown, render_markdown, render_plan_markdown};
pub use plan::{PlanNode, PlanReport, PlanTip, render_plan};
pub use sarif::{render_health_sarif, render_plan_sarif, render_sarif};
pub use trace::{
    MigrationTrace, Predicted, TraceReport, TraceSummary, TracedLock, TracedStatement,
    render_trace_human, unqualified,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding, located in a file with 1-based lines and columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<Fix>,
    /// Stable across edits that move lines: the rule and the identity of the object it is about.
    pub fingerprint: String,
    /// The source line the finding starts on (a window of it when it is long), for renderers that show it.
    #[serde(skip)]
    pub source_line: Option<SourceLine>,
}

/// A fix as dbarch prints it: the SQL, what running it costs (the lock knowledge table asked about its
/// statements, on the schema the finding is about) and the rule's note on running it safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub sql: String,
    /// What to watch when running it (the rule's fix-safety text).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety: Option<String>,
    /// The strongest table lock its statements take (`ACCESS EXCLUSIVE`), when they take one the lock
    /// table knows.
    #[serde(default)]
    pub lock: Option<String>,
    /// Whether a statement rewrites a table (and its indexes) while holding its lock.
    #[serde(default)]
    pub rewrites: bool,
    /// Whether a statement reads a whole table while holding its lock.
    #[serde(default)]
    pub scans: bool,
    /// Every table lock its statements take, in order, with the table's size when statistics give it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub locks: Vec<FixLock>,
}

/// One table lock a fix takes, and the size of the table it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixLock {
    #[serde(flatten)]
    pub taken: TableLock,
    /// The table's rows, with `--stats` or `--db`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rows: Option<u64>,
    /// The table's size in bytes, with `--stats` or `--db`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bytes: Option<u64>,
}

impl Fix {
    /// SQL whose cost is not judged (yet).
    pub fn sql(sql: impl Into<String>) -> Self {
        Fix {
            sql: sql.into(),
            safety: None,
            lock: None,
            rewrites: false,
            scans: false,
            locks: vec![],
        }
    }

    /// Its cost in one line: "takes SHARE UPDATE EXCLUSIVE on orders (blocks schema changes and VACUUM
    /// only), scans the table (1,200,000 rows, 80.0 MB)"; `None` when it takes no table lock the lock
    /// table knows.
    pub fn cost(&self) -> Option<String> {
        if self.locks.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = vec![];
        for l in &self.locks {
            let mut d = l.taken.describe();
            let size: Vec<String> = l
                .rows
                .map(|r| format!("{} rows", thousands(r)))
                .into_iter()
                .chain(l.bytes.map(|b| size(b as f64)))
                .collect();
            if !size.is_empty() && (l.taken.rewrite || l.taken.scan) {
                d.push_str(&format!(" ({})", size.join(", ")));
            }
            if !parts.contains(&d) {
                parts.push(d);
            }
        }
        Some(parts.join("; "))
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes as "84.0 MB" (powers of 1024, as PostgreSQL's pg_size_pretty).
pub fn size(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    // Nothing (or a negative zero a sum of nothing can give) is 0 B.
    let mut v = if bytes > 0.0 { bytes } else { 0.0 };
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A source line as renderers show it: the whole line, or for a long one (a 16 MB IN list on one line) a
/// window of [`SourceLine::WIDTH`] characters around the column a finding starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    /// The 1-based column of the line that `text` starts at (1 when nothing before it was cut).
    pub first_column: usize,
    /// Whether the line goes on past `text`.
    pub more: bool,
}

impl SourceLine {
    /// The most characters of a line kept.
    pub const WIDTH: usize = 240;

    /// `line`, or the window of it around 1-based `column`.
    pub fn around(line: &str, column: usize) -> SourceLine {
        let whole = || SourceLine {
            text: line.to_string(),
            first_column: 1,
            more: false,
        };
        // Counting stops past the width: a line of 16 MB is not counted through.
        let length = line.chars().take(Self::WIDTH + 1).count();
        if length <= Self::WIDTH {
            return whole();
        }
        let first = column.saturating_sub(1).saturating_sub(Self::WIDTH / 3);
        let Some((from, _)) = line.char_indices().nth(first) else {
            return whole();
        };
        let to = line[from..]
            .char_indices()
            .nth(Self::WIDTH)
            .map_or(line.len(), |(i, _)| from + i);
        SourceLine {
            text: line[from..to].to_string(),
            first_column: first + 1,
            more: to < line.len(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub statements: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings excused by inline `dbarch:ignore` comments or configuration.
    pub suppressed: usize,
}

/// The documentation of a rule, as reports that describe rules (SARIF) need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub summary: String,
    pub help_markdown: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// Things the tool skipped or could not model (shown with `--verbose`); not part of the JSON interface.
    #[serde(skip)]
    pub notes: Vec<String>,
}

/// A baseline: the findings a team has accepted for now, one `file<TAB>fingerprint` line each (`#` lines
/// are comments), so a long-lived project sees only what is new. A finding is known by its file and
/// fingerprint, not its line: edits above it do not make it new.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    known: std::collections::BTreeSet<(String, String)>,
}

impl Baseline {
    /// The baseline of a report's findings.
    pub fn of(report: &Report) -> Self {
        Baseline {
            known: report
                .findings
                .iter()
                .map(|f| (f.file.clone(), f.fingerprint.clone()))
                .collect(),
        }
    }

    /// A baseline file's text; `None` for a line that is neither a comment nor `file<TAB>fingerprint`
    /// (its 1-based number is returned as the error).
    pub fn parse(text: &str) -> Result<Self, usize> {
        let mut known = std::collections::BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (file, fingerprint) = line.split_once('\t').ok_or(n + 1)?;
            known.insert((file.to_string(), fingerprint.to_string()));
        }
        Ok(Baseline { known })
    }

    /// The file's text: a comment, then the entries sorted.
    pub fn text(&self) -> String {
        let mut out = String::from(
            "# dbarch baseline: findings accepted for now (file<TAB>fingerprint); see --baseline\n",
        );
        for (file, fingerprint) in &self.known {
            out.push_str(&format!("{file}\t{fingerprint}\n"));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The report without the findings the baseline holds (counted as suppressed).
    pub fn filter(&self, report: &Report) -> Report {
        let (hidden, kept): (Vec<&Finding>, Vec<&Finding>) =
            report.findings.iter().partition(|f| {
                self.known
                    .contains(&(f.file.clone(), f.fingerprint.clone()))
            });
        let mut out = Report::new(
            kept.into_iter().cloned().collect(),
            report.summary.files,
            report.summary.statements,
            report.summary.suppressed + hidden.len(),
        );
        out.notes = report.notes.clone();
        out
    }
}

impl Report {
    pub fn new(
        mut findings: Vec<Finding>,
        files: usize,
        statements: usize,
        suppressed: usize,
    ) -> Self {
        findings.sort_by(|a, b| {
            (a.file.as_str(), a.line, a.column, &a.code, &a.message).cmp(&(
                b.file.as_str(),
                b.line,
                b.column,
                &b.code,
                &b.message,
            ))
        });
        findings.dedup_by(|a, b| {
            a.fingerprint == b.fingerprint
                && a.file == b.file
                && a.line == b.line
                && a.message == b.message
        });
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            files,
            statements,
            findings: findings.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            suppressed,
        };
        Report {
            version: 2,
            findings,
            summary,
            notes: vec![],
        }
    }

    /// The highest severity present, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The report as pretty JSON. The findings are written in parallel, each indented to its place in
    /// the array: the text is the one `serde_json::to_string_pretty` writes (pretty JSON has raw
    /// newlines only between tokens, so indenting line by line cannot touch a string).
    pub fn to_json(&self) -> String {
        use rayon::prelude::*;
        let error = |e: serde_json::Error| format!("{{\"error\": \"{e}\"}}");
        let findings: Result<Vec<String>, _> = self
            .findings
            .par_iter()
            .map(|f| serde_json::to_string_pretty(f).map(|s| indented(&s, 4)))
            .collect();
        let (findings, summary) = match (findings, serde_json::to_string_pretty(&self.summary)) {
            (Ok(f), Ok(s)) => (f, s),
            (Err(e), _) | (_, Err(e)) => return error(e),
        };
        let mut out =
            String::with_capacity(findings.iter().map(|f| f.len() + 2).sum::<usize>() + 256);
        out.push_str(&format!(
            "{{\n  \"version\": {},\n  \"findings\": ",
            self.version
        ));
        if findings.is_empty() {
            out.push_str("[]");
        } else {
            out.push_str("[\n");
            out.push_str(&findings.join(",\n"));
            out.push_str("\n  ]");
        }
        out.push_str(",\n  \"summary\": ");
        out.push_str(&summary.replace('\n', "\n  "));
        out.push_str("\n}");
        out
    }
}

/// `text` with each line indented by `by` spaces.
fn indented(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

/// "1 error", "2 warnings", "3 indexes".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else if word.ends_with(['s', 'x']) || word.ends_with("ch") || word.ends_with("sh") {
        format!("{n} {word}es")
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {word}s")
    }
}

/// Text for a terminal or a page: control characters (other than newline and tab) and Unicode's
/// bidirectional controls written as `\u{..}` escapes, so a name in the input cannot move the cursor,
/// retitle the terminal or reorder what is shown.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub(crate) fn summary_line(s: &Summary) -> String {
    let mut line = if s.findings == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{}: {}, {}, {}",
            plural(s.findings, "finding"),
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info")
        )
    };
    line.push_str(&format!(
        " in {} ({})",
        plural(s.files, "file"),
        plural(s.statements, "statement")
    ));
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", s.suppressed));
    }
    line
}

#[cfg(test)]
pub(crate) mod test_data {
    use super::*;

    pub fn sample() -> Report {
        let f = |code: &str, name: &str, sev, line, col, end_col, fix: Option<&str>| Finding {
            code: code.into(),
            name: name.into(),
            severity: sev,
            message: format!("{name} at line {line}"),
            help: "Do the right thing.".into(),
            file: "schema.sql".into(),
            line,
            column: col,
            end_line: line,
            end_column: end_col,
            fix: fix.map(Fix::sql),
            fingerprint: format!("{code}:orders"),
            source_line: Some(SourceLine::around(
                "    user_id bigint REFERENCES users (id),",
                col,
            )),
        };
        Report::new(
            vec![
                f(
                    "KEY002",
                    "fk-without-index",
                    Severity::Warning,
                    3,
                    5,
                    12,
                    Some("CREATE INDEX CONCURRENTLY ON orders (user_id);"),
                ),
                f(
                    "KEY004",
                    "fk-to-non-unique",
                    Severity::Error,
                    3,
                    20,
                    30,
                    None,
                ),
                f(
                    "TYP006",
                    "arbitrary-varchar-length",
                    Severity::Info,
                    5,
                    5,
                    9,
                    None,
                ),
            ],
            1,
            4,
            1,
        )
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    /// The findings written in parallel give the text serde_json writes for the whole report, with
    /// findings, without, and with strings that hold newlines and quotes.
    #[test]
    fn parallel_json_is_serde_json_pretty() {
        let mut report = test_data::sample();
        report.findings[0].message = "two\nlines \"quoted\" \\ and\ttab".into();
        report.findings[1].fix = Some(Fix::sql("SELECT 1;\nSELECT 2;"));
        let empty = Report::new(vec![], 0, 0, 0);
        for r in [&report, &empty] {
            assert_eq!(r.to_json(), serde_json::to_string_pretty(r).unwrap());
        }
    }
}
