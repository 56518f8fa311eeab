//! Each workload reader on any text: SQL files, pg_stat_statements (CSV, JSON), server logs (stderr,
//! csvlog, jsonlog), chosen by the first byte; then the query rules. Nothing may panic.
#![no_main]

use dbarch_sql::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = [
        "w.sql",
        "pgss.csv",
        "pgss.json",
        "postgresql.log",
        "postgresql.csv",
        "postgresql.json",
    ][kind as usize % 6];
    let mut sources = SourceMap::new();
    let file = sources.add(name, text.to_string());
    let mut builder = dbarch_workload::Builder::default();
    if dbarch_workload::load_into(&file, &mut builder).is_err() {
        return;
    }
    let workload = builder.finish();
    let config = dbarch_lint::Config::default();
    let _ = dbarch_lint::run_queries(&workload, None, None, &sources, &config);
    let _ = dbarch_sql::take_refused();
});
