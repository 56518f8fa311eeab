//! Any sequence of statements replayed into the schema model, judged by the schema rules and, as a
//! migration history of one file, by the migration rules; the changes between its two halves listed and
//! written as DDL, and each statement's changes written back. Nothing may panic.
#![no_main]

use dbarch_catalog::Catalog;
use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.sql", text.to_string());
    let Ok(parsed) = parse_file_opts(&file, ParseOptions::SCHEMA) else {
        return;
    };
    let mut catalog = Catalog::new();
    let half = parsed.statements.len() / 2;
    let mut before = None;
    for (i, s) in parsed.statements.iter().enumerate() {
        if i == half {
            before = Some(catalog.clone());
        }
        let lowered = dbarch_sql::change::lower(s);
        for c in &lowered.changes {
            let _ = dbarch_sql::change::emit(c);
        }
        catalog.apply(&lowered);
    }
    if let Some(before) = before {
        let _ = dbarch_catalog::differences(&before, &catalog);
        for c in dbarch_catalog::diff(&before, &catalog) {
            let _ = dbarch_sql::change::emit(&c);
        }
    }
    let config = dbarch_lint::Config::default();
    let files = [parsed.without_statements()];
    let _ = dbarch_lint::run(&dbarch_lint::LintInput {
        catalog: &catalog,
        files: &files,
        sources: &sources,
        config: &config,
        pg_version: 16,
        stats: None,
    });
    let script = dbarch_lint::MigrationScript {
        version: "1".into(),
        file: parsed,
        down: None,
        down_error: None,
        transaction: dbarch_migrate::Transaction::Wrapped,
        lowered: vec![],
        down_lowered: vec![],
    };
    let _ = dbarch_lint::run_migrations(Catalog::new(), &[script], &sources, &config, 16);
    let _ = dbarch_sql::take_refused();
});
