//! PostgreSQL server logs in the stderr format: entries written with `log_min_duration_statement` (or
//! `log_statement`) — `duration: 1.2 ms  statement: ...`, `duration: 0.3 ms  execute <unnamed>: ...` — in any
//! `log_line_prefix` that starts with a timestamp and contains the backend's `[pid]`. A statement that spans
//! several lines continues on lines that start with a tab.

use std::sync::Arc;

use dbarch_sql::{SourceFile, Span};

use crate::Builder;

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

/// From `duration: 12.5 ms  statement: select 1` (or `execute x:`) take the time and the SQL.
fn message(msg: &str) -> Option<(Option<f64>, usize)> {
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
        return Some((duration, skip + rest.len() - s.len()));
    }
    if let Some(e) = rest.strip_prefix("execute ") {
        let colon = e.find(": ")?;
        return Some((duration, skip + rest.len() - e.len() + colon + 2));
    }
    None
}

pub(crate) fn stderr(file: &Arc<SourceFile>, into: &mut Builder) {
    let text = file.text.as_str();
    // Split into entries: a line with a timestamp starts one; tab-indented lines continue it.
    let mut entries: Vec<(usize, usize)> = vec![];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if timestamp(line).is_some() || entries.is_empty() {
            entries.push((start, offset));
        } else if let Some(last) = entries.last_mut() {
            last.1 = offset;
        }
    }
    for (start, end) in entries {
        let entry = &text[start..end];
        let Some(level_at) = entry.find("LOG:") else {
            continue;
        };
        let prefix = &entry[..level_at];
        let msg_start =
            level_at + 4 + (entry[level_at + 4..].len() - entry[level_at + 4..].trim_start().len());
        let Some((duration, sql_at)) = message(&entry[msg_start..]) else {
            continue;
        };
        let sql_start = start + msg_start + sql_at;
        // Continuation lines start with a tab, which is not part of the statement.
        let raw = &text[sql_start..end];
        let sql: String = raw
            .split_inclusive('\n')
            .map(|l| l.strip_prefix('\t').unwrap_or(l))
            .collect::<String>()
            .trim_end()
            .to_string();
        let span = Span::new(file.id, sql_start, start + entry.trim_end().len());
        let Some(query) = into.add_text(span, &sql, 1, duration, None) else {
            continue;
        };
        into.workload.executions.push(Execution {
            query,
            session: session(prefix),
            at: timestamp(entry),
            duration_ms: duration,
            span,
        });
    }
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
        let dt = w.executions[1].at.unwrap() - w.executions[0].at.unwrap();
        assert!((dt - 0.002).abs() < 1e-6, "{dt}");
        assert_eq!(f.line_col(w.queries[1].statement.span.start).line, 2);
    }
}
