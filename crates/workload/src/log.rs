//! PostgreSQL server logs: entries written with `log_min_duration_statement` (or `log_statement`) —
//! `duration: 1.2 ms  statement: ...`, `duration: 0.3 ms  execute <unnamed>: ...` — and auto_explain's
//! JSON plans (`duration: 5.1 ms  plan: {"Query Text": ..., "Plan": ...}`), in the three log destinations:
//! - stderr: any `log_line_prefix` that starts with a timestamp and contains the backend's `[pid]`; a
//!   message that spans several lines continues on lines that start with a tab;
//! - csvlog: one CSV record per entry (timestamp, ..., process_id, ..., message, detail, ...);
//! - jsonlog (PostgreSQL 15+): one JSON object per line (`timestamp`, `pid`, `message`, `detail`).

use std::borrow::Cow;
use std::io::BufRead;

use dbarch_sql::{Excerpt, FileId, Span};

use crate::loops::{Detector, Execution};
use crate::{Added, Builder, WorkloadError};

/// Whether a line looks like the start of a server log entry.
pub(crate) fn is_log_line(line: &str) -> bool {
    timestamp(line).is_some()
        && ["LOG:", "ERROR:", "STATEMENT:", "DETAIL:", "WARNING:"]
            .iter()
            .any(|k| line.contains(k))
}

/// Parse `YYYY-MM-DD HH:MM:SS[.fff]` at the start of a line into seconds since 1970 (the zone is ignored:
/// only differences between lines of one log matter).
fn timestamp(line: &str) -> Option<f64> {
    let b = line.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| line.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    let mut frac = 0.0;
    if b.get(19) == Some(&b'.') {
        let digits: String = line[20..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        frac = format!("0.{digits}").parse().unwrap_or(0.0);
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) as f64 + frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The first `[digits]` of the line prefix (before the message level).
fn session(prefix: &str) -> Option<&str> {
    let mut rest = prefix;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let inner = &after[..close];
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Some(inner);
        }
        rest = &after[close..];
    }
    None
}

/// What a log message carries.
enum Message {
    /// `statement: ...` / `execute x: ...`: the SQL starts at this offset of the message.
    Statement(usize),
    /// auto_explain's `plan: {json}`: the JSON starts at this offset.
    Plan(usize),
}

/// From `duration: 12.5 ms  statement: select 1` (or `execute x:`, or `plan:`) take the time and what follows.
fn message(msg: &str) -> Option<(Option<f64>, Message)> {
    let mut duration = None;
    let mut rest_at = 0;
    if let Some(d) = msg.strip_prefix("duration: ") {
        let end = d.find(" ms")?;
        duration = d[..end].trim().parse().ok();
        rest_at = msg.len() - d.len() + end + 3;
        // A duration without a statement is logged when log_duration is on; nothing to read.
    }
    let rest = msg[rest_at..].trim_start();
    let skip = msg.len() - rest.len();
    if let Some(s) = rest.strip_prefix("statement: ") {
        return Some((duration, Message::Statement(skip + rest.len() - s.len())));
    }
    if let Some(p) = rest.strip_prefix("plan:") {
        return Some((duration, Message::Plan(skip + rest.len() - p.len())));
    }
    if let Some(e) = rest.strip_prefix("execute ") {
        let colon = e.find(": ")?;
        return Some((
            duration,
            Message::Statement(skip + rest.len() - e.len() + colon + 2),
        ));
    }
    None
}

/// One log entry, whatever the destination it was written to.
struct Entry<'a> {
    session: Option<&'a str>,
    at: Option<f64>,
    /// The message with continuation tabs removed.
    message: &'a str,
    detail: Option<&'a str>,
    /// The entry in the file, and the line it starts on.
    span: Span,
    line: usize,
    /// The entry as written in the file, when the reader has it (stderr, jsonlog): kept for the first
    /// execution of each query, and where the SQL starts in it when the message is stored verbatim
    /// (stderr) — else findings point at the whole entry.
    text: Option<&'a str>,
    sql_at: Option<usize>,
}

/// A log being read: the workload it adds to, the loops found so far, and the pieces of the file kept for
/// findings to point at.
pub(crate) struct Stream<'a> {
    pub(crate) into: &'a mut Builder,
    pub(crate) file: FileId,
    pub(crate) path: String,
    /// The longest entry read, in bytes (longer ones are skipped, with a note).
    pub(crate) max_entry: usize,
    pub(crate) excerpts: Vec<Excerpt>,
    pub(crate) lines: usize,
    /// Bytes read so far (where the next line starts).
    offset: usize,
    detector: Detector,
}

impl<'a> Stream<'a> {
    pub(crate) fn new(into: &'a mut Builder, file: FileId, path: String, max_entry: usize) -> Self {
        let detector = Detector::new(into.loop_options);
        Stream {
            into,
            file,
            path,
            max_entry,
            excerpts: vec![],
            lines: 0,
            offset: 0,
            detector,
        }
    }

    /// The log has ended: its loops join the workload.
    pub(crate) fn finish(mut self) -> (Vec<Excerpt>, usize) {
        let loops = self.detector.finish();
        for l in &loops {
            self.excerpts.push(Excerpt {
                offset: l.first.start,
                line: l.line,
                column: l.column,
                text: String::new(),
            });
        }
        self.into.workload.loops.extend(loops);
        (self.excerpts, self.lines)
    }

    /// Line and column of `offset` of an entry.
    fn place(entry: &Entry, offset: usize) -> (usize, usize) {
        let Some(text) = entry.text else {
            return (entry.line, 1);
        };
        let lc = dbarch_sql::place_in(text, entry.line, 1, offset.saturating_sub(entry.span.start));
        (lc.line, lc.column)
    }

    fn keep_position(&mut self, entry: &Entry, offset: usize) {
        let (line, column) = Self::place(entry, offset);
        self.excerpts.push(Excerpt {
            offset,
            line,
            column,
            text: String::new(),
        });
    }

    fn record(&mut self, entry: Entry) {
        if let Some(detail) = entry.detail
            && detail.trim_start().starts_with("parameters:")
            && let Some(session) = entry.session
        {
            self.detector.parameters(session, detail.trim());
        }
        let Some((duration, what)) = message(entry.message) else {
            return;
        };
        let (sql, plan, span): (Cow<str>, _, _) = match what {
            Message::Statement(at) => {
                let sql = entry.message[at..].trim_end();
                let span = match entry.sql_at {
                    Some(base) => Span::new(entry.span.file, base + at, entry.span.end),
                    None => entry.span,
                };
                (Cow::Borrowed(sql), None, span)
            }
            Message::Plan(at) => {
                let Ok(plan) =
                    serde_json::from_str::<serde_json::Value>(entry.message[at..].trim())
                else {
                    if self
                        .into
                        .skip(entry.span, "auto_explain plan is not valid JSON".into())
                    {
                        self.keep_position(&entry, entry.span.start);
                    }
                    return;
                };
                let Some(sql) = plan.get("Query Text").and_then(|t| t.as_str()) else {
                    return;
                };
                (Cow::Owned(sql.trim().to_string()), Some(plan), entry.span)
            }
        };
        let (query, new) = match self.into.add_text(span, &sql, 1, duration, None) {
            Added::Query { index, new } => (index, new),
            Added::Skipped { noted } => {
                if noted {
                    self.keep_position(&entry, span.start);
                }
                return;
            }
        };
        if new {
            // The first execution of a query is where its findings point: keep the entry.
            match entry.text {
                Some(text) => self.excerpts.push(Excerpt {
                    offset: entry.span.start,
                    line: entry.line,
                    column: 1,
                    text: text.trim_end().to_string(),
                }),
                None => self.keep_position(&entry, span.start),
            }
        }
        if let Some(plan) = plan {
            // Keep the slowest plan seen for each query.
            let q = &mut self.into.workload.queries[query];
            if q.plan.is_none() || duration > q.plan_ms {
                q.plan = Some(plan);
                q.plan_ms = duration;
            }
        }
        if let Some(session) = entry.session {
            let (line, column) = Self::place(&entry, span.start);
            self.detector.execution(
                session,
                Execution {
                    query,
                    at: entry.at,
                    duration_ms: duration,
                    values: hash(&*sql),
                    span,
                    line,
                    column,
                },
            );
        }
    }

    /// The next line of a line-oriented log (its line break kept; at most `max_entry` bytes of it, `cut`
    /// when it was longer), with where it starts in the file; `None` at the end.
    fn read_line<'b>(
        &mut self,
        reader: &mut impl BufRead,
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<(usize, &'b str, bool)>, WorkloadError> {
        let (n, cut) =
            next_line(reader, buf, self.max_entry).map_err(|e| io_error(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        let start = self.offset;
        self.offset += n;
        self.lines += 1;
        let line = line_text(buf, cut).map_err(|column| {
            self.syntax(
                self.lines,
                column,
                "not UTF-8 text (is this a binary file?)".into(),
            )
        })?;
        Ok(Some((start, line, cut)))
    }

    fn syntax(&self, line: usize, column: usize, message: String) -> WorkloadError {
        WorkloadError::Syntax {
            path: self.path.clone(),
            line,
            column,
            message,
        }
    }
}

/// The next line of `reader` into `buf` (its line break kept), at most `max` bytes of it kept: returns
/// the bytes the line took in the file (0 at the end) and whether it was cut.
fn next_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    buf.clear();
    let (mut read, mut cut) = (0, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((read, cut));
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if take > room {
            cut = true;
        }
        buf.extend_from_slice(&available[..take.min(room)]);
        reader.consume(take);
        read += take;
        if done {
            return Ok((read, cut));
        }
    }
}

/// Bytes of a line as text, or the column where they stop being UTF-8. A line that was cut may end in
/// the middle of a character: that end is dropped.
fn line_text(bytes: &[u8], cut: bool) -> Result<&str, usize> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) if cut && e.error_len().is_none() => {
            Ok(std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
        }
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            Err(String::from_utf8_lossy(valid).chars().count() + 1)
        }
    }
}

fn io_error(path: &str, e: std::io::Error) -> WorkloadError {
    WorkloadError::Read {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// stderr: entries start with a line that begins with a timestamp; tab-indented lines continue them.
pub(crate) fn stderr(stream: &mut Stream, mut reader: impl BufRead) -> Result<(), WorkloadError> {
    let mut buf = Vec::new();
    // The entry being read: its text, where it starts and on which line, and whether it was too long.
    let mut entry = String::new();
    let (mut entry_start, mut entry_line, mut entry_cut, mut in_entry) = (0, 0, false, false);
    while let Some((offset, line, cut)) = stream.read_line(&mut reader, &mut buf)? {
        // Only a line with a timestamp starts an entry (a log written with an empty log_line_prefix has
        // none: nothing in it is read, and the caller says so); lines before the first are not read.
        if timestamp(line).is_some() {
            if in_entry {
                stderr_entry(stream, &entry, entry_start, entry_line, entry_cut);
            }
            entry.clear();
            entry.push_str(line);
            (entry_start, entry_line, entry_cut, in_entry) = (offset, stream.lines, cut, true);
        } else if in_entry && !entry_cut {
            if entry.len() + line.len() > stream.max_entry || cut {
                entry_cut = true;
            } else {
                entry.push_str(line);
            }
        }
    }
    if in_entry {
        stderr_entry(stream, &entry, entry_start, entry_line, entry_cut);
    }
    Ok(())
}

/// One entry of a stderr log, `start` bytes into the file on line `line`.
fn stderr_entry(stream: &mut Stream, entry: &str, start: usize, line: usize, cut: bool) {
    let span = Span::new(stream.file, start, start + entry.trim_end().len());
    if cut {
        let message = format!(
            "log entry longer than the {} MB input limit (--max-file-size): not read",
            stream.max_entry / (1024 * 1024)
        );
        if stream.into.skip(span, message) {
            stream.excerpts.push(Excerpt {
                offset: start,
                line,
                column: 1,
                text: String::new(),
            });
        }
        return;
    }
    let (level_at, level_len) = match (entry.find("LOG:"), entry.find("DETAIL:")) {
        (Some(l), _) => (l, 4),
        (None, Some(d)) => (d, 7),
        _ => return,
    };
    let prefix = &entry[..level_at];
    let body = &entry[level_at + level_len..];
    let msg_start = level_at + level_len + (body.len() - body.trim_start().len());
    let raw = &entry[msg_start..];
    let is_detail = level_len == 7;
    // Continuation lines start with a tab, which is not part of the message. Offsets into the message
    // map to the file only on its first line, which is where the SQL of a statement starts.
    let message: Cow<str> = if raw.trim_end().contains('\n') {
        Cow::Owned(
            raw.split_inclusive('\n')
                .map(|l| l.strip_prefix('\t').unwrap_or(l))
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    stream.record(Entry {
        session: session(prefix),
        at: timestamp(entry),
        message: if is_detail { "" } else { &message },
        detail: is_detail.then_some(&*message),
        span,
        line,
        text: Some(entry),
        sql_at: Some(start + msg_start),
    });
}

/// csvlog: `log_time, user, database, pid, connection, session_id, line, tag, session_start, vxid, xid,
/// severity, sqlstate, message, detail, ...`.
pub(crate) fn csvlog(stream: &mut Stream, reader: impl BufRead) -> Result<(), WorkloadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut r = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut r).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
            stream.syntax(line, 1, format!("not a csvlog record: {e}"))
        })?;
        if !more {
            break;
        }
        let (position, line) = r
            .position()
            .map(|p| (p.byte() as usize, p.line() as usize))
            .unwrap_or((0, 1));
        let end = reader.position().byte() as usize;
        stream.lines = reader.position().line() as usize;
        if r.as_slice().len() > stream.max_entry {
            stream.into.skip(
                Span::new(stream.file, position, end),
                "csvlog record longer than the input limit (--max-file-size): not read".into(),
            );
            continue;
        }
        let field = |i: usize| r.get(i).filter(|f| !f.is_empty());
        let entry = Entry {
            session: field(3),
            at: field(0).and_then(timestamp),
            message: field(13).unwrap_or(""),
            detail: field(14),
            span: Span::new(stream.file, position, end.saturating_sub(1).max(position)),
            line,
            text: None,
            sql_at: None,
        };
        stream.record(entry);
    }
    Ok(())
}

/// jsonlog: one object per line with `timestamp`, `pid`, `message` and `detail`.
pub(crate) fn jsonlog(stream: &mut Stream, mut reader: impl BufRead) -> Result<(), WorkloadError> {
    let mut buf = Vec::new();
    while let Some((start, line, cut)) = stream.read_line(&mut reader, &mut buf)? {
        if line.trim().is_empty() {
            continue;
        }
        let span = Span::new(stream.file, start, start + line.trim_end().len());
        if cut {
            stream.into.skip(
                span,
                "jsonlog line longer than the input limit (--max-file-size): not read".into(),
            );
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            stream.syntax(stream.lines, e.column(), format!("not a jsonlog line: {e}"))
        })?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str());
        let pid = v.get("pid").map(|p| match p {
            serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.to_string()),
        });
        stream.record(Entry {
            session: pid.as_deref(),
            at: text("timestamp").and_then(timestamp),
            message: text("message").unwrap_or(""),
            detail: text("detail"),
            span,
            line: stream.lines,
            text: Some(line),
            sql_at: None,
        });
    }
    Ok(())
}

/// Whether the first line of a file is a csvlog record (it starts with a timestamp, unquoted).
pub(crate) fn is_csvlog_line(line: &str) -> bool {
    timestamp(line).is_some() && line.contains(',')
}

/// Whether the first line of a file is a jsonlog object.
pub(crate) fn is_jsonlog_line(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with('{') && l.contains("\"timestamp\"") && l.contains("\"message\"")
}

pub(crate) fn hash(v: &(impl std::hash::Hash + ?Sized)) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(v)
}

#[cfg(test)]
mod tests {
    use dbarch_sql::SourceMap;

    use crate::{Builder, load_into};

    #[test]
    fn stderr_log_entries() {
        let log = "2024-05-01 10:00:00.100 UTC [101] app@shop LOG:  duration: 2.000 ms  statement: select * from orders where customer_id = 7\n\
                   2024-05-01 10:00:00.102 UTC [101] app@shop LOG:  duration: 0.500 ms  execute <unnamed>: select * from items\n\
                   \twhere order_id = $1\n\
                   2024-05-01 10:00:00.103 UTC [101] app@shop DETAIL:  parameters: $1 = '3'\n\
                   2024-05-01 10:00:00.104 UTC [202] app@shop LOG:  duration: 0.700 ms  statement: select * from items where order_id = 4\n\
                   2024-05-01 10:00:01.000 UTC [202] app@shop LOG:  checkpoint starting: time\n";
        let mut sources = SourceMap::new();
        let f = sources.add("postgresql.log", log.to_string());
        let mut b = Builder::default();
        load_into(&f, &mut b).unwrap();
        let w = b.finish();
        assert_eq!(w.queries.len(), 2, "{:?}", w.queries);
        assert_eq!(w.queries[1].calls, 2);
        assert_eq!(
            w.queries[1].statement.sql,
            "select * from items\nwhere order_id = $1"
        );
        let dt = super::timestamp("2024-05-01 10:00:00.102 UTC").unwrap()
            - super::timestamp("2024-05-01 10:00:00.100 UTC").unwrap();
        assert!((dt - 0.002).abs() < 1e-6, "{dt}");
        assert_eq!(f.line_col(w.queries[1].statement.span.start).line, 2);
    }

    #[test]
    fn csvlog_jsonlog_and_auto_explain_plans() {
        let csvlog = "2024-05-01 10:00:00.100 UTC,\"app\",\"shop\",101,\"10.0.0.1:5000\",663a1.65,1,\"SELECT\",2024-05-01 09:00:00 UTC,3/7,0,LOG,00000,\"duration: 2.000 ms  execute <unnamed>: select * from items where order_id = $1\",\"parameters: $1 = '3'\",,,,,,,,\"app\",\"client backend\",,0\n\
                      2024-05-01 10:00:00.200 UTC,\"app\",\"shop\",101,\"10.0.0.1:5000\",663a1.65,2,\"SELECT\",2024-05-01 09:00:00 UTC,3/8,0,LOG,00000,\"duration: 1.000 ms  statement: select \"\"name\"\"\nfrom users where id = 1\",,,,,,,,,\"app\",\"client backend\",,0\n";
        let jsonlog = concat!(
            r#"{"timestamp":"2024-05-01 10:00:01.000 UTC","user":"app","dbname":"shop","pid":202,"error_severity":"LOG","message":"duration: 3.000 ms  statement: select id from orders where user_id = 5"}"#,
            "\n",
            r#"{"timestamp":"2024-05-01 10:00:01.500 UTC","user":"app","dbname":"shop","pid":202,"error_severity":"LOG","message":"duration: 40.000 ms  plan:\n{\n  \"Query Text\": \"select id from orders where user_id = 9\",\n  \"Plan\": {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"orders\", \"Total Cost\": 1693.0}\n}"}"#,
            "\n"
        );
        let stderr_plan = "2024-05-01 10:00:02.000 UTC [303] LOG:  duration: 12.500 ms  plan:\n\
                           \t{\n\
                           \t  \"Query Text\": \"select * from items where order_id = 8\",\n\
                           \t  \"Plan\": {\"Node Type\": \"Index Scan\", \"Total Cost\": 8.3}\n\
                           \t}\n";
        let mut sources = SourceMap::new();
        let mut b = Builder::default();
        for (name, text) in [
            ("postgresql.csv", csvlog),
            ("postgresql.json", jsonlog),
            ("postgresql.log", stderr_plan),
        ] {
            let f = sources.add(name, text.to_string());
            load_into(&f, &mut b).unwrap();
        }
        let w = b.finish();
        let texts: Vec<&str> = w.queries.iter().map(|q| q.statement.sql.as_str()).collect();
        assert_eq!(
            texts,
            [
                "select * from items where order_id = $1",
                "select \"name\"\nfrom users where id = 1",
                "select id from orders where user_id = 5",
            ],
            "{w:#?}"
        );
        // The auto_explain plans join their queries by fingerprint and keep the slowest plan.
        assert_eq!(w.queries[0].calls, 2);
        assert_eq!(w.queries[2].calls, 2);
        let plan = w.queries[2].plan.as_ref().unwrap();
        assert_eq!(plan["Plan"]["Node Type"], "Seq Scan");
        assert_eq!(w.queries[0].plan_ms, Some(12.5));
    }

    /// A log of session 7: a parent query, then `children` executions of one child query `step` ms apart,
    /// each with the values `value(i)` gives; `execute` with DETAIL parameters when `prepared`.
    fn loop_log(
        children: usize,
        step_ms: usize,
        prepared: bool,
        value: impl Fn(usize) -> usize,
    ) -> String {
        let mut log = String::from(
            "2024-05-01 10:00:00.000 UTC [7] LOG:  duration: 1.000 ms  statement: select id from orders where user_id = 42\n",
        );
        for i in 0..children {
            let ms = 10 + i * step_ms;
            let at = format!(
                "2024-05-01 10:{:02}:{:02}.{:03} UTC",
                ms / 60_000,
                ms / 1000 % 60,
                ms % 1000
            );
            if prepared {
                log.push_str(&format!(
                    "{at} [7] LOG:  duration: 0.200 ms  execute <unnamed>: select * from order_items where order_id = $1\n\
                     {at} [7] DETAIL:  parameters: $1 = '{}'\n",
                    value(i)
                ));
            } else {
                log.push_str(&format!(
                    "{at} [7] LOG:  duration: 0.200 ms  statement: select * from order_items where order_id = {}\n",
                    value(i)
                ));
            }
        }
        log
    }

    fn loops_of(log: &str) -> Vec<crate::Loop> {
        let mut sources = SourceMap::new();
        let f = sources.add("postgresql.log", log.to_string());
        let mut b = Builder::default();
        load_into(&f, &mut b).unwrap();
        b.finish().loops
    }

    #[test]
    fn loops_are_runs_of_one_query_with_other_values_after_a_parent() {
        let loops = loops_of(&loop_log(12, 5, false, |i| i));
        assert_eq!(loops.len(), 1, "{loops:?}");
        let l = &loops[0];
        assert_eq!(
            (l.query, l.parent, l.count, l.session.as_str()),
            (1, 0, 12, "7")
        );
        assert!((l.duration_ms - 2.4).abs() < 1e-9, "{}", l.duration_ms);
        assert_eq!((l.line, l.column), (2, 70));
        // The parameters of `execute` are its values.
        let loops = loops_of(&loop_log(12, 5, true, |i| i));
        assert_eq!(loops.len(), 1, "{loops:?}");
        assert_eq!(loops[0].count, 12);
        // The same row read again and again is not a walk over rows.
        assert!(loops_of(&loop_log(12, 5, true, |_| 3)).is_empty());
        assert!(loops_of(&loop_log(12, 5, false, |i| i % 3)).is_empty());
        // Too few, or too far apart.
        assert!(loops_of(&loop_log(9, 5, false, |i| i)).is_empty());
        assert!(loops_of(&loop_log(30, 1500, false, |i| i)).is_empty());
        // Without a parent: a poll.
        let log = loop_log(12, 5, false, |i| i);
        let poll: String = log.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(loops_of(&poll).is_empty());
        // Two sessions interleaved: each its own loop.
        let other = log.replace("[7]", "[8]");
        let mut both: Vec<&str> = log.lines().chain(other.lines()).collect();
        both.sort_by_key(|l| &l[..23]);
        let loops = loops_of(&(both.join("\n") + "\n"));
        assert_eq!(
            loops
                .iter()
                .map(|l| (l.session.as_str(), l.count))
                .collect::<Vec<_>>(),
            [("7", 12), ("8", 12)]
        );
    }

    #[test]
    fn a_streamed_log_places_findings_as_the_whole_text_does() {
        let mut log = loop_log(12, 5, false, |i| i);
        log.push_str("2024-05-01 10:00:02.000 UTC [9] LOG:  duration: 3.000 ms  statement: select name\n\tfrom users where id = 5\n");
        log.push_str("2024-05-01 10:00:02.100 UTC [9] LOG:  duration: 3.000 ms  statement: select from from\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("postgresql.log");
        std::fs::write(&path, &log).unwrap();
        let mut streamed = SourceMap::new();
        let mut b = Builder::default();
        let loaded = crate::load_file(&path, 64, &mut streamed, &mut b).unwrap();
        assert_eq!(loaded.lines, 16);
        let s = b.finish();
        assert!(streamed.get(dbarch_sql::FileId(0)).unwrap().is_streamed());
        let mut whole = SourceMap::new();
        let f = whole.add(&path, log.clone());
        let mut b = Builder::default();
        load_into(&f, &mut b).unwrap();
        let w = b.finish();
        let places = |w: &crate::Workload, m: &SourceMap| -> Vec<(usize, usize, String)> {
            let f = m.get(dbarch_sql::FileId(0)).unwrap();
            // Where queries start and end; where loops and statements not analysed start.
            let offsets = w
                .queries
                .iter()
                .flat_map(|q| [q.statement.span.start, q.statement.span.end])
                .chain(w.loops.iter().map(|l| l.first.start))
                .chain(w.skipped.iter().map(|(s, _)| s.start));
            offsets
                .map(|o| {
                    let lc = f.line_col(o);
                    (lc.line, lc.column, f.line_text(lc.line).to_string())
                })
                .collect()
        };
        let (a, b) = (places(&s, &streamed), places(&w, &whole));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((x.0, x.1), (y.0, y.1));
            // A streamed file knows the text of the lines it kept.
            assert!(x.2.is_empty() || x.2 == y.2, "{x:?} {y:?}");
        }
        assert_eq!(s.queries.len(), 3);
        assert_eq!(s.skipped.len(), 1);
        assert_eq!(
            streamed.get(dbarch_sql::FileId(0)).unwrap().line_text(15),
            "\tfrom users where id = 5"
        );
    }

    #[test]
    fn a_log_entry_past_the_limit_is_skipped_and_the_rest_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("postgresql.log");
        let big = "x".repeat(1024 * 1024 + 10);
        let log = format!(
            "2024-05-01 10:00:00.000 UTC [7] LOG:  statement: select '{big}'\n\
             2024-05-01 10:00:00.001 UTC [7] LOG:  statement: select 1\n\
             2024-05-01 10:00:00.002 UTC [7] LOG:  statement: select\n\t'{big}'\n\
             2024-05-01 10:00:00.003 UTC [7] LOG:  statement: select 2 from t\n"
        );
        std::fs::write(&path, &log).unwrap();
        let mut sources = SourceMap::new();
        let mut b = Builder::default();
        crate::load_file(&path, 1, &mut sources, &mut b).unwrap();
        let w = b.finish();
        assert_eq!(w.queries.len(), 2, "{:?}", w.queries);
        assert_eq!(w.skipped.len(), 2, "{:?}", w.skipped);
        let f = sources.get(dbarch_sql::FileId(0)).unwrap();
        assert_eq!(f.line_col(w.skipped[1].0.start).line, 3);
        assert!(
            w.skipped[0].1.contains("--max-file-size"),
            "{}",
            w.skipped[0].1
        );
        // Not UTF-8: the line and column.
        std::fs::write(&path, b"2024-05-01 10:00:00.000 UTC [7] LOG:  statement: select 1\n2024-05-01 10:00:00.001 UTC [7] LOG:  statement: select '\xff'\n").unwrap();
        let e =
            crate::load_file(&path, 1, &mut SourceMap::new(), &mut Builder::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2:58: not UTF-8 text (is this a binary file?)",
                path.display()
            )
        );
    }
}
