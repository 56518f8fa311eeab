//! Query workloads: what the application runs, how often, and for how long.
//!
//! A workload is read from SQL files (one statement each; `-- calls: N` before a statement gives its
//! frequency), pg_stat_statements exports (CSV or JSON with `query`, `calls`, `total_exec_time`, `rows`) or
//! PostgreSQL server logs (stderr format, `duration: ... statement:` / `execute ...:` lines). Queries are
//! grouped by their pg_query fingerprint, so `WHERE id = 5`, `WHERE id = 7` and `WHERE id = $1` are one
//! query. Every query keeps where it was first seen (file, byte span), so findings point at a line.
//! [`shape`] describes what a query reads and filters on; analyses work on that and on the parse tree.

mod log;
pub mod loops;
mod pgss;
pub mod shape;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use dbarch_sql::{NodeEnum, SourceFile, SourceMap, Span, Statement};

pub use loops::{Loop, LoopOptions};
pub use shape::{PredicateKind, QueryShape};

/// Where a workload came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Sql,
    PgStatStatementsCsv,
    PgStatStatementsJson,
    StderrLog,
    CsvLog,
    JsonLog,
}

impl Format {
    /// What the file was read as, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Sql => "SQL",
            Format::PgStatStatementsCsv => "a pg_stat_statements CSV export",
            Format::PgStatStatementsJson => "a pg_stat_statements JSON export",
            Format::StderrLog => "a PostgreSQL server log (stderr format)",
            Format::CsvLog => "a PostgreSQL csvlog",
            Format::JsonLog => "a PostgreSQL jsonlog",
        }
    }

    /// What a file of this kind must hold to be read, for the message about one that held nothing.
    pub fn hint(self) -> &'static str {
        match self {
            Format::Sql => "",
            Format::PgStatStatementsCsv => {
                " (expected a header line with a `query` column, then one row per statement)"
            }
            Format::PgStatStatementsJson => {
                " (expected a JSON array of objects with a `query` field)"
            }
            Format::StderrLog => {
                " (expected entries that begin with a timestamp, as log_line_prefix = '%m [%p] ' \
                 writes, and carry `statement:` or `execute ...:`; log_min_duration_statement or \
                 log_statement makes the server log them)"
            }
            Format::CsvLog | Format::JsonLog => {
                " (expected records with a `statement:` or `duration: ... statement:` message)"
            }
        }
    }
}

/// One query of the workload (all executions with the same fingerprint).
#[derive(Debug, Clone)]
pub struct Query {
    /// The first occurrence: its span in the input file and its parse tree.
    pub statement: Statement,
    pub fingerprint: String,
    /// How many times it ran (1 for a SQL file statement without `-- calls:`).
    pub calls: u64,
    /// Total execution time in milliseconds, when the source says.
    pub total_ms: Option<f64>,
    /// Rows returned or affected in total, when the source says.
    pub rows: Option<u64>,
    /// The slowest execution plan auto_explain logged for it (EXPLAIN JSON: `Query Text`, `Plan`, ...).
    pub plan: Option<serde_json::Value>,
    /// The duration of the execution that plan is from.
    pub plan_ms: Option<f64>,
}

impl Query {
    pub fn mean_ms(&self) -> Option<f64> {
        self.total_ms.map(|t| t / self.calls.max(1) as f64)
    }
}

/// A whole workload: the distinct queries, and the loops the logs showed.
#[derive(Debug, Default)]
pub struct Workload {
    pub queries: Vec<Query>,
    /// Loops of one query in one session of a log ([`loops`]), by session and then as they began.
    pub loops: Vec<Loop>,
    /// Statements that could not be parsed (log lines cut short, client-side syntax), with where they are:
    /// the first [`SKIPPED_LISTED`]; `skipped_more` counts the others.
    pub skipped: Vec<(Span, String)>,
    pub skipped_more: usize,
    /// How many statements the files held (SQL statements, pg_stat_statements rows, log entries with a
    /// statement), queries or not.
    pub recognised: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error(transparent)]
    File(#[from] dbarch_sql::read::ReadError),
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Recognise a workload file by its name and first line.
pub fn detect(path: &Path, text: &str) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match ext.as_str() {
        _ if log::is_jsonlog_line(first) => Format::JsonLog,
        "csv" if log::is_csvlog_line(first) => Format::CsvLog,
        "csv" => Format::PgStatStatementsCsv,
        "json" => Format::PgStatStatementsJson,
        "log" => Format::StderrLog,
        _ if log::is_log_line(first) => Format::StderrLog,
        _ => Format::Sql,
    }
}

/// Read one workload file (its text already added to `sources`) into `into`.
pub fn load_into(
    file: &std::sync::Arc<SourceFile>,
    into: &mut Builder,
) -> Result<Format, WorkloadError> {
    let format = detect(&file.path, &file.text);
    match format {
        Format::Sql => sql_file(file, into)?,
        Format::PgStatStatementsCsv => pgss::csv(file, into)?,
        Format::PgStatStatementsJson => pgss::json(file, into)?,
        Format::StderrLog | Format::CsvLog | Format::JsonLog => {
            // The whole text is at hand: the excerpts the stream keeps are not needed.
            let mut stream =
                log::Stream::new(into, file.id, file.path.display().to_string(), usize::MAX);
            read_log(format, &mut stream, file.text.as_bytes())?;
            stream.finish();
        }
    }
    Ok(format)
}

fn read_log(
    format: Format,
    stream: &mut log::Stream,
    reader: impl BufRead,
) -> Result<(), WorkloadError> {
    match format {
        Format::CsvLog => log::csvlog(stream, reader),
        Format::JsonLog => log::jsonlog(stream, reader),
        _ => log::stderr(stream, reader),
    }
}

/// What [`load_file`] read.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    pub format: Format,
    /// How many lines the file has.
    pub lines: usize,
}

/// Read the workload file at `path` into `into`, its text (or, for a server log, what findings point at)
/// into `sources`. A server log is read as a stream — each line once, in order, nothing kept but each
/// query's first entry and where its loops begin — so a log of any length takes the memory of its
/// distinct queries; `max_mb` bounds each of its entries instead of the whole file. Other files are read
/// whole, at most `max_mb` MB.
pub fn load_file(
    path: &Path,
    max_mb: u64,
    sources: &mut SourceMap,
    into: &mut Builder,
) -> Result<Loaded, WorkloadError> {
    let shown = path.display().to_string();
    let (file, _) = dbarch_sql::read::open(path)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(|e| WorkloadError::Read {
        path: shown.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let bom = head.starts_with("\u{feff}".as_bytes());
    let head = String::from_utf8_lossy(&head[if bom { 3 } else { 0 }..]).into_owned();
    let format = detect(path, &head);
    if matches!(format, Format::StderrLog | Format::CsvLog | Format::JsonLog) {
        if bom {
            reader.consume(3);
        }
        let max_entry = usize::try_from(max_mb.min(dbarch_sql::read::LARGEST_MAX_MB) * 1024 * 1024)
            .unwrap_or(usize::MAX);
        let id = sources.next_id();
        let mut stream = log::Stream::new(into, id, shown.clone(), max_entry);
        read_log(format, &mut stream, reader)?;
        let (mut excerpts, lines) = stream.finish();
        if bom {
            for e in &mut excerpts {
                e.offset += 3;
            }
        }
        sources.add_file(SourceFile::streamed(id, path, excerpts, lines));
        return Ok(Loaded { format, lines });
    }
    drop(reader);
    let text = dbarch_sql::read::read_text(path, max_mb)?;
    let file = sources.add(path, text);
    let format = load_into(&file, into)?;
    Ok(Loaded {
        format,
        lines: file.lines(),
    })
}

/// Read workload files into one workload.
pub fn load(paths: &[&Path], sources: &mut SourceMap) -> Result<Workload, WorkloadError> {
    let mut b = Builder::default();
    for path in paths {
        load_file(path, dbarch_sql::read::DEFAULT_MAX_MB, sources, &mut b)?;
    }
    Ok(b.finish())
}

/// How many statements not analysed are listed with where they are (the rest are counted).
pub const SKIPPED_LISTED: usize = 1000;

/// The masked texts remembered ([`Builder`]'s `by_text`) take at most this many bytes: a log whose
/// statements all differ in more than constants starts over rather than grow.
const BY_TEXT_BYTES: usize = 32 << 20;

/// Collects queries and merges those with the same fingerprint.
#[derive(Default)]
pub struct Builder {
    workload: Workload,
    by_fingerprint: HashMap<String, usize>,
    /// Statement texts with their literals masked ([`literal_key`]) -> query, for texts seen before.
    by_text: HashMap<String, usize>,
    by_text_bytes: usize,
    recognised: usize,
    loop_options: LoopOptions,
}

/// What [`Builder::add_text`] made of a statement.
pub(crate) enum Added {
    /// An execution of query `index`; `new` when it is the query's first.
    Query { index: usize, new: bool },
    /// Not analysed (it does not parse); `noted` when it is among those listed.
    Skipped { noted: bool },
}

impl Builder {
    /// A builder that finds loops in logs with these thresholds.
    pub fn new(loop_options: LoopOptions) -> Self {
        Builder {
            loop_options,
            ..Builder::default()
        }
    }

    /// Note a statement not analysed; returns whether it is listed (the first [`SKIPPED_LISTED`]).
    pub(crate) fn skip(&mut self, span: Span, message: String) -> bool {
        if self.workload.skipped.len() < SKIPPED_LISTED {
            self.workload.skipped.push((span, message));
            true
        } else {
            self.workload.skipped_more += 1;
            false
        }
    }

    fn remember_text(&mut self, key: String, i: usize) {
        if self.by_text_bytes + key.len() > BY_TEXT_BYTES {
            self.by_text.clear();
            self.by_text_bytes = 0;
        }
        self.by_text_bytes += key.len();
        self.by_text.insert(key, i);
    }

    /// How many statements (SQL statements, pg_stat_statements rows, log entries with a statement) the
    /// files read so far held, whether or not they became queries: a file that adds none was not read as
    /// a workload at all.
    pub fn recognised(&self) -> usize {
        self.recognised
    }

    /// Add `calls` executions of a query whose text is `sql` (found at `span` of its file); returns the
    /// query's index. The text is fingerprinted first and parsed only when the query is new, so a log
    /// repeating one query a million times parses it once into a tree.
    pub(crate) fn add_text(
        &mut self,
        span: Span,
        sql: &str,
        calls: u64,
        total_ms: Option<f64>,
        rows: Option<u64>,
    ) -> Added {
        self.recognised += 1;
        // A log repeats the same statement with other values: the text with its literals masked finds
        // the query without parsing it again (the fingerprint ignores constants, so it would be the same).
        let key = literal_key(sql);
        if let Some(&i) = self.by_text.get(&key) {
            self.count(i, calls, total_ms, rows);
            return Added::Query {
                index: i,
                new: false,
            };
        }
        // Long constant lists cut short (the fingerprint is the same; the tree is what costs).
        let fingerprint = match fingerprint(sql) {
            Ok(f) => f,
            Err(e) => {
                return Added::Skipped {
                    noted: self.skip(span, e.to_string()),
                };
            }
        };
        if let Some(&i) = self.by_fingerprint.get(&fingerprint) {
            self.remember_text(key, i);
            self.count(i, calls, total_ms, rows);
            return Added::Query {
                index: i,
                new: false,
            };
        }
        let shortened = dbarch_sql::shorten::shorten(sql);
        let parsed_text = shortened.as_deref().unwrap_or(sql);
        let parsed = dbarch_sql::raw::parse_limited(parsed_text, dbarch_sql::raw::MAX_QUERY_TREE);
        let node = match parsed.map(|p| p.stmts.into_iter().next().and_then(|s| s.stmt?.node)) {
            Ok(Some(node)) => node,
            Ok(None) => {
                return Added::Skipped {
                    noted: self.skip(span, "no statement".into()),
                };
            }
            Err(e) => {
                return Added::Skipped {
                    noted: self.skip(span, e.message),
                };
            }
        };
        let statement = Statement {
            span,
            sql: sql.to_string(),
            node,
            outline: None,
        };
        let i = self.insert(fingerprint, statement, calls, total_ms, rows);
        self.remember_text(key, i);
        Added::Query {
            index: i,
            new: true,
        }
    }

    /// Add a parsed statement; returns the query's index.
    pub(crate) fn add(
        &mut self,
        statement: Statement,
        calls: u64,
        total_ms: Option<f64>,
        rows: Option<u64>,
    ) -> usize {
        let fingerprint = fingerprint(&statement.sql).unwrap_or_else(|_| statement.sql.clone());
        match self.by_fingerprint.get(&fingerprint) {
            Some(&i) => {
                self.count(i, calls, total_ms, rows);
                i
            }
            None => self.insert(fingerprint, statement, calls, total_ms, rows),
        }
    }

    fn count(&mut self, i: usize, calls: u64, total_ms: Option<f64>, rows: Option<u64>) {
        let q = &mut self.workload.queries[i];
        // Counts from the input (a `-- calls:` comment, an export's column) can be anything: they add up
        // without wrapping around.
        q.calls = q.calls.saturating_add(calls);
        q.total_ms = sum(q.total_ms, total_ms);
        q.rows = match (q.rows, rows) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            (a, b) => a.or(b),
        };
    }

    fn insert(
        &mut self,
        fingerprint: String,
        statement: Statement,
        calls: u64,
        total_ms: Option<f64>,
        rows: Option<u64>,
    ) -> usize {
        let i = self.workload.queries.len();
        self.by_fingerprint.insert(fingerprint.clone(), i);
        self.workload.queries.push(Query {
            statement,
            fingerprint,
            calls,
            total_ms,
            rows,
            plan: None,
            plan_ms: None,
        });
        i
    }

    pub fn finish(mut self) -> Workload {
        self.workload.recognised = self.recognised;
        self.workload
    }
}

/// libpg_query's fingerprint of `sql`, its long constant lists left out first (the fingerprint does not
/// change; handing libpg_query a 16 MB list would cost it a tree of that list).
fn fingerprint(sql: &str) -> Result<String, pg_query::Error> {
    let compact = dbarch_sql::shorten::compact(sql);
    pg_query::fingerprint(compact.as_deref().unwrap_or(sql), 0, 0).map(|f| f.hex)
}

/// `sql` with each standalone number and each single-quoted string replaced by a placeholder: two texts
/// with the same key differ only in constants, which the fingerprint ignores. A number that touches a
/// word (`t1`, `1x`) or a dot stays as written, so no text that would not parse can borrow another's query.
fn literal_key(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            let mut j = i + 1;
            while j < b.len() {
                if b[j] == b'\'' {
                    if b.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            out.extend_from_slice(b"''");
            i = (j + 1).min(b.len());
        } else if c.is_ascii_digit() && (i == 0 || !word(b[i - 1]) && b[i - 1] != b'.') {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j < b.len() && (word(b[j]) || b[j] == b'.') {
                out.extend_from_slice(&b[i..j]);
            } else {
                out.push(b'0');
            }
            i = j;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sum<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A SQL file: each statement is a query; `-- calls: N` in the comments just before it sets its frequency.
/// Statements are handed on as they are parsed, and only the first of each fingerprint keeps its tree, so
/// memory follows the distinct queries, not the file's length.
fn sql_file(file: &std::sync::Arc<SourceFile>, into: &mut Builder) -> Result<(), WorkloadError> {
    let mut previous_end = 0;
    let parsed = dbarch_sql::parse_file_with(file, dbarch_sql::ParseOptions::WORKLOAD, |stmt| {
        add_statement(&file.text, &mut previous_end, stmt, into)
    })
    .map_err(|e| WorkloadError::Syntax {
        path: e.path.clone(),
        line: e.line,
        column: e.column,
        message: e.message.clone(),
    })?;
    // A statement refused alone (too deep, too large) was read: the binary reports it and exits 2.
    into.recognised += parsed.refused.len();
    Ok(())
}

pub fn add_parsed(parsed: dbarch_sql::ParsedFile, into: &mut Builder) {
    let mut previous_end = 0;
    let text = parsed.file.text.clone();
    for stmt in parsed.statements {
        add_statement(&text, &mut previous_end, stmt, into);
    }
}

/// One statement of a SQL file (`text`), the previous one ending at `previous_end`.
fn add_statement(text: &str, previous_end: &mut usize, stmt: Statement, into: &mut Builder) {
    into.recognised += 1;
    let gap = text.get(*previous_end..stmt.span.start).unwrap_or("");
    *previous_end = stmt.span.end;
    let calls = calls_comment(gap).unwrap_or(1);
    // A view the workload creates for a query (TPC-H Q15) runs where it is used: its body is a query.
    if let NodeEnum::ViewStmt(v) = &stmt.node {
        if let Some(body) = v.query.as_ref().and_then(|q| q.node.clone()) {
            let sql = dbarch_sql::expr::deparse_stmt(&body);
            if !sql.is_empty() {
                into.add(
                    Statement {
                        span: stmt.span,
                        sql,
                        node: body,
                        outline: None,
                    },
                    calls,
                    None,
                    None,
                );
            }
        }
        return;
    }
    // Schema statements in a workload file (a fixture's tables, say) are not queries.
    if !is_query(&stmt.node) {
        return;
    }
    into.add(stmt, calls, None, None);
}

/// Statements a workload is made of: reads and writes of data.
pub fn is_query(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::MergeStmt(_)
            | NodeEnum::ExplainStmt(_)
    )
}

/// The last `-- calls: N` comment in the text before a statement.
fn calls_comment(gap: &str) -> Option<u64> {
    gap.lines().rev().find_map(|l| {
        let rest = l.trim().strip_prefix("--")?.trim();
        let n = rest.strip_prefix("calls:")?.trim();
        n.replace(['_', ','], "").parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(name: &str, text: &str) -> (Workload, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add(name, text.to_string());
        let mut b = Builder::default();
        load_into(&file, &mut b).unwrap();
        (b.finish(), sources)
    }

    #[test]
    fn literal_keys_ignore_values_only() {
        use super::literal_key;
        assert_eq!(
            literal_key("SELECT * FROM t1 WHERE a = 42 AND b = 'x''y' LIMIT 10"),
            literal_key("SELECT * FROM t1 WHERE a = 7 AND b = 'z' LIMIT 100")
        );
        assert_ne!(literal_key("SELECT 1x"), literal_key("SELECT 2x"));
        assert_ne!(
            literal_key("SELECT a FROM t1"),
            literal_key("SELECT a FROM t2")
        );
        assert_ne!(literal_key("SELECT 1.5"), literal_key("SELECT 1.25"));
    }

    #[test]
    fn sql_files_group_literals_and_parameters_and_read_calls() {
        let (w, _) = load_text(
            "w.sql",
            "-- calls: 1_000\nselect * from users where id = 5;\nselect * from users where id = $1;\n\
             -- calls: 7\nselect name from users where email = 'a';\n",
        );
        assert_eq!(w.queries.len(), 2);
        assert_eq!(w.queries[0].calls, 1001);
        assert_eq!(w.queries[1].calls, 7);
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect(Path::new("a.sql"), "select 1"), Format::Sql);
        assert_eq!(
            detect(Path::new("a.csv"), "query,calls"),
            Format::PgStatStatementsCsv
        );
        assert_eq!(
            detect(
                Path::new("postgresql.txt"),
                "2024-05-01 10:00:00.000 UTC [42] LOG:  duration: 1.0 ms  statement: select 1"
            ),
            Format::StderrLog
        );
    }
}
