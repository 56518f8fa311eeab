//! PostgreSQL server logs: entries written with `log_min_duration_statement` (or `log_statement`) —
//! `duration: 1.2 ms  statement: ...`, `duration: 0.3 ms  execute <unnamed>: ...` — and auto_explain's
//! JSON plans (`duration: 5.1 ms  plan: {"Query Text": ..., "Plan": ...}`), in the three log destinations:
//! - stderr: any `log_line_prefix` that starts with a timestamp and contains the backend's `[pid]`; a
//!   message that spans several lines continues on lines that start with a tab;
//! - csvlog: one CSV record per entry (timestamp, ..., process_id, ..., message, detail, ...);
//! - jsonlog (PostgreSQL 15+): one JSON object per line (`timestamp`, `pid`, `message`, `detail`).

use std::sync::Arc;

use dbarch_sql::{SourceFile, Span};

use crate::{Builder, WorkloadError};

/// One logged execution.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Execution {
    /// Index of the query in [`crate::Workload::queries`].
    pub query: usize,
    /// The backend that ran it (the `[pid]` of the line prefix), when the prefix shows it.
    pub session: Option<String>,
    /// Seconds since 1970 (from the line's timestamp), when the prefix has one.
    pub at: Option<f64>,
    pub duration_ms: Option<f64>,
    /// A hash of the values the execution ran with: the statement as written (literals inline) and the
    /// `DETAIL: parameters:` line that follows an `execute`. Two executions with the same fingerprint and
    /// different `values` ran with different parameters.
    pub values: u64,
    /// Where the log line is.
    #[serde(skip)]
    pub span: Span,
}

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
fn session(prefix: &str) -> Option<String> {
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
            return Some(inner.to_string());
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
    session: Option<String>,
    at: Option<f64>,
    /// The message with continuation tabs removed.
    message: &'a str,
    detail: Option<&'a str>,
    /// The entry in the file; `sql_at` maps a message offset to a file offset when the message is stored
    /// verbatim (stderr), else findings point at the whole entry.
    span: Span,
    sql_at: Option<usize>,
}

fn record(entry: Entry, into: &mut Builder) {
    if let Some(detail) = entry.detail
        && detail.trim_start().starts_with("parameters:")
    {
        attach_parameters(entry.session.as_deref(), detail.trim(), into);
    }
    let Some((duration, what)) = message(entry.message) else {
        return;
    };
    let (sql, plan, span) = match what {
        Message::Statement(at) => {
            let sql = entry.message[at..].trim_end().to_string();
            let span = match entry.sql_at {
                Some(base) => Span::new(entry.span.file, base + at, entry.span.end),
                None => entry.span,
            };
            (sql, None, span)
        }
        Message::Plan(at) => {
            let Ok(plan) = serde_json::from_str::<serde_json::Value>(entry.message[at..].trim())
            else {
                into.workload
                    .skipped
                    .push((entry.span, "auto_explain plan is not valid JSON".into()));
                return;
            };
            let Some(sql) = plan.get("Query Text").and_then(|t| t.as_str()) else {
                return;
            };
            (sql.trim().to_string(), Some(plan.clone()), entry.span)
        }
    };
    let Some(query) = into.add_text(span, &sql, 1, duration, None) else {
        return;
    };
    if let Some(plan) = plan {
        // Keep the slowest plan seen for each query.
        let q = &mut into.workload.queries[query];
        if q.plan.is_none() || duration > q.plan_ms {
            q.plan = Some(plan);
            q.plan_ms = duration;
        }
    }
    into.workload.executions.push(Execution {
        query,
        session: entry.session,
        at: entry.at,
        duration_ms: duration,
        values: hash(&sql),
        span,
    });
}

/// `DETAIL:  parameters: $1 = '5'` belongs to the session's last execution.
fn attach_parameters(session: Option<&str>, detail: &str, into: &mut Builder) {
    if let Some(e) = into
        .workload
        .executions
        .iter_mut()
        .rev()
        .take(64)
        .find(|e| e.session.as_deref() == session)
    {
        e.values = hash(&(e.values, detail));
    }
}

pub(crate) fn stderr(file: &Arc<SourceFile>, into: &mut Builder) {
    let text = file.text.as_str();
    // Split into entries: a line with a timestamp starts one; tab-indented lines continue it.
    let mut entries: Vec<(usize, usize)> = vec![];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        // Only a line with a timestamp starts an entry (a log written with an empty log_line_prefix has
        // none: nothing in it is read, and the caller says so); lines before the first are not read.
        if timestamp(line).is_some() {
            entries.push((start, offset));
        } else if let Some(last) = entries.last_mut() {
            last.1 = offset;
        }
    }
    for (start, end) in entries {
        let entry = &text[start..end];
        let span = Span::new(file.id, start, start + entry.trim_end().len());
        let (level_at, level_len) = match (entry.find("LOG:"), entry.find("DETAIL:")) {
            (Some(l), _) => (l, 4),
            (None, Some(d)) => (d, 7),
            _ => continue,
        };
        let prefix = &entry[..level_at];
        let body = &entry[level_at + level_len..];
        let msg_start = level_at + level_len + (body.len() - body.trim_start().len());
        let raw = &entry[msg_start..];
        let is_detail = level_len == 7;
        // Continuation lines start with a tab, which is not part of the message. Offsets into the message
        // map to the file only on its first line, which is where the SQL of a statement starts.
        let message: String = raw
            .split_inclusive('\n')
            .map(|l| l.strip_prefix('\t').unwrap_or(l))
            .collect();
        record(
            Entry {
                session: session(prefix),
                at: timestamp(entry),
                message: if is_detail { "" } else { &message },
                detail: is_detail.then_some(message.as_str()),
                span,
                sql_at: Some(start + msg_start),
            },
            into,
        );
    }
}

/// csvlog: `log_time, user, database, pid, connection, session_id, line, tag, session_start, vxid, xid,
/// severity, sqlstate, message, detail, ...`.
pub(crate) fn csvlog(file: &Arc<SourceFile>, into: &mut Builder) -> Result<(), WorkloadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file.text.as_bytes());
    for record_ in reader.records() {
        let r = record_.map_err(|e| WorkloadError::Syntax {
            path: file.path.display().to_string(),
            line: e.position().map(|p| p.line() as usize).unwrap_or(1),
            column: 1,
            message: format!("not a csvlog record: {e}"),
        })?;
        let position = r.position().map(|p| p.byte() as usize).unwrap_or(0);
        let end = file.text[position..]
            .find('\n')
            .map(|n| position + n)
            .unwrap_or(file.text.len());
        let field = |i: usize| r.get(i).filter(|f| !f.is_empty());
        record(
            Entry {
                session: field(3).map(str::to_string),
                at: field(0).and_then(timestamp),
                message: field(13).unwrap_or(""),
                detail: field(14),
                span: Span::new(file.id, position, end),
                sql_at: None,
            },
            into,
        );
    }
    Ok(())
}

/// jsonlog: one object per line with `timestamp`, `pid`, `message` and `detail`.
pub(crate) fn jsonlog(file: &Arc<SourceFile>, into: &mut Builder) -> Result<(), WorkloadError> {
    let mut offset = 0;
    for (n, line) in file.text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| WorkloadError::Syntax {
                path: file.path.display().to_string(),
                line: n + 1,
                column: e.column(),
                message: format!("not a jsonlog line: {e}"),
            })?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str());
        let session = v.get("pid").map(|p| match p {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        record(
            Entry {
                session,
                at: text("timestamp").and_then(timestamp),
                message: text("message").unwrap_or(""),
                detail: text("detail"),
                span: Span::new(file.id, start, start + line.trim_end().len()),
                sql_at: None,
            },
            into,
        );
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

fn hash(v: &impl std::hash::Hash) -> u64 {
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
        assert_eq!(w.executions.len(), 3);
        assert_eq!(w.executions[2].session.as_deref(), Some("202"));
        // The DETAIL parameters make the execute's values differ from a plain run of the same text.
        assert_ne!(w.executions[1].values, w.executions[2].values);
        let dt = w.executions[1].at.unwrap() - w.executions[0].at.unwrap();
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
        assert_eq!(w.executions.len(), 5);
        assert_eq!(w.executions[0].session.as_deref(), Some("101"));
        assert_eq!(w.executions[2].session.as_deref(), Some("202"));
        assert!((w.executions[3].at.unwrap() - w.executions[2].at.unwrap() - 0.5).abs() < 1e-6);
    }
}
