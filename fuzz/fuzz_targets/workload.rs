//! Each workload reader on any text: SQL files, pg_stat_statements (CSV, JSON), server logs (stderr,
//! csvlog, jsonlog), chosen by the first byte; then the query rules (`dbarch_lint::lint_workload_text`).
//! Nothing may panic.
#![no_main]

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
    let _ = dbarch_lint::lint_workload_text(name, text, &dbarch_lint::Config::default());
    let _ = dbarch_sql::take_refused();
});
