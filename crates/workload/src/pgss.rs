//! pg_stat_statements exports: CSV (`\copy (select ...) to 'f.csv' csv header`) or JSON (an array of rows,
//! or `{"queries": [...]}`), with at least `query` and `calls`; `total_exec_time` (or the pre-13
//! `total_time`) and `rows` when present.

use std::sync::Arc;

use dbarch_sql::{SourceFile, Span};

use crate::{Builder, WorkloadError};

fn error(file: &SourceFile, line: usize, message: impl Into<String>) -> WorkloadError {
    WorkloadError::Syntax {
        path: file.path.display().to_string(),
        line,
        column: 1,
        message: message.into(),
    }
}

pub(crate) fn csv(file: &Arc<SourceFile>, into: &mut Builder) -> Result<(), WorkloadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(file.text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| error(file, 1, format!("not a CSV file: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let Some(query_at) = col(&["query"]) else {
        return Err(error(
            file,
            1,
            "no `query` column: a pg_stat_statements export needs `query` and `calls` columns",
        ));
    };
    let calls_at = col(&["calls"]);
    let time_at = col(&["total_exec_time", "total_time"]);
    let rows_at = col(&["rows"]);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
            error(file, line, e.to_string())
        })?;
        let Some(pos) = record.position() else {
            continue;
        };
        let start = pos.byte() as usize;
        let end = file.text[start..]
            .find('\n')
            .map(|e| start + e)
            .unwrap_or(file.text.len());
        let line = pos.line() as usize;
        let Some(sql) = record.get(query_at) else {
            continue;
        };
        let number = |at: Option<usize>, what: &str| -> Result<Option<f64>, WorkloadError> {
            match at.and_then(|i| record.get(i)).map(str::trim) {
                None | Some("") => Ok(None),
                Some(v) => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| error(file, line, format!("`{what}` is not a number: {v:?}"))),
            }
        };
        let calls = number(calls_at, "calls")?.unwrap_or(1.0).max(0.0) as u64;
        let total = number(time_at, "total_exec_time")?;
        let rows = number(rows_at, "rows")?.map(|r| r.max(0.0) as u64);
        into.add_text(Span::new(file.id, start, end), sql, calls, total, rows);
    }
    Ok(())
}

pub(crate) fn json(file: &Arc<SourceFile>, into: &mut Builder) -> Result<(), WorkloadError> {
    let value: serde_json::Value =
        serde_json::from_str(&file.text).map_err(|e| WorkloadError::Syntax {
            path: file.path.display().to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    let rows = match &value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("queries").or_else(|| o.get("statements")) {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(error(
                    file,
                    1,
                    "expected an array of pg_stat_statements rows, or {\"queries\": [...]}",
                ));
            }
        },
        _ => {
            return Err(error(
                file,
                1,
                "expected an array of pg_stat_statements rows",
            ));
        }
    };
    // Each row is pointed at by the line where its query text appears in the file.
    let mut search_from = 0;
    for (i, row) in rows.iter().enumerate() {
        let Some(sql) = row.get("query").and_then(|q| q.as_str()) else {
            return Err(error(
                file,
                1,
                format!("row {} has no \"query\" string", i + 1),
            ));
        };
        let num = |k: &str| {
            row.get(k)
                .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
        };
        let calls = num("calls").unwrap_or(1.0).max(0.0) as u64;
        let total = num("total_exec_time").or_else(|| num("total_time"));
        let rows = num("rows").map(|r| r.max(0.0) as u64);
        let start = file.text[search_from..]
            .find("\"query\"")
            .map(|at| search_from + at)
            .unwrap_or(search_from);
        let end = file.text[start..]
            .find('\n')
            .map(|e| start + e)
            .unwrap_or(file.text.len());
        search_from = end.min(file.text.len());
        into.add_text(Span::new(file.id, start, end), sql, calls, total, rows);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use dbarch_sql::SourceMap;

    use crate::{Builder, load_into};

    #[test]
    fn csv_and_json_exports() {
        let mut sources = SourceMap::new();
        let csv = sources.add(
            "pgss.csv",
            "query,calls,total_exec_time,rows\n\"select * from t where a = $1\",10,5.5,10\n\"select \"\"x\"\" from t\",2,1,2\n"
                .to_string(),
        );
        let json = sources.add(
            "pgss.json",
            "[\n {\"query\": \"select * from t where a = $1\", \"calls\": 5, \"total_exec_time\": 1.5},\n {\"query\": \"delete from t\", \"calls\": 1}\n]\n"
                .to_string(),
        );
        let mut b = Builder::default();
        load_into(&csv, &mut b).unwrap();
        load_into(&json, &mut b).unwrap();
        let w = b.finish();
        assert_eq!(w.queries.len(), 3);
        assert_eq!(w.queries[0].calls, 15);
        assert_eq!(w.queries[0].total_ms, Some(7.0));
        assert_eq!(w.queries[1].statement.sql, "select \"x\" from t");
        let bad = sources.add("bad.csv", "calls\n1\n".to_string());
        let err = load_into(&bad, &mut Builder::default()).unwrap_err();
        assert!(err.to_string().contains("no `query` column"), "{err}");
    }
}
