//! `dbarch migrate lint` and `migrate manifest`: migration histories discovered, read, parsed while they
//! are replayed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dbarch_catalog::Catalog;
use dbarch_report::Report;
use dbarch_sql::{SourceFile, SourceMap};

use crate::args::{Format, Global};
use crate::commands::{emit, load_config, out};
use crate::inputs;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub(crate) fn migrate_manifest(g: &Global, dir: &Path) -> Result<u8> {
    let mut items = vec![];
    for m in inputs::discover(dir, g.max_file_size)? {
        let text = inputs::script_text(&m.up, g.max_file_size)?;
        items.push((m.version, text));
    }
    out(&dbarch_migrate::write_manifest(
        items.iter().map(|(v, t)| (v.as_str(), t.as_str())),
    ))?;
    Ok(0)
}

/// Migrations of the folders, parsed (up and down), in order; unparseable ups are listed apart.
#[derive(Default)]
pub(crate) struct LoadedMigrations {
    pub scripts: Vec<dbarch_lint::MigrationScript>,
    pub parse_errors: Vec<String>,
}

/// A migration found in a folder: its up script and its down script (when read), not parsed yet.
pub(crate) type FoundMigration = (
    dbarch_migrate::Migration,
    Arc<SourceFile>,
    Option<Arc<SourceFile>>,
);

/// The migrations of the folders, read (in order) but not parsed yet.
pub(crate) struct ReadMigrations {
    pub(crate) found: Vec<FoundMigration>,
    /// Migrations whose up script could not be read as text, with the reason: reported after the others
    /// have been judged.
    pub(crate) unreadable: Vec<String>,
}

/// The migrations of the folders, in order.
pub(crate) fn discover_all(
    g: &Global,
    paths: &[PathBuf],
) -> Result<Vec<dbarch_migrate::Migration>> {
    let mut migrations = vec![];
    for dir in paths {
        migrations.extend(inputs::discover(dir, g.max_file_size)?);
    }
    Ok(migrations)
}

/// Read the migrations' files (the downs too when `with_downs`) into `sources`.
pub(crate) fn read_found(
    g: &Global,
    migrations: Vec<dbarch_migrate::Migration>,
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<ReadMigrations> {
    use rayon::prelude::*;
    // A migration discovery could not read is set aside, to be reported.
    let (migrations, unreadable): (Vec<_>, Vec<_>) = migrations
        .into_iter()
        .partition(|m| m.up.unreadable.is_none());
    let unreadable = unreadable
        .into_iter()
        .filter_map(|m| m.up.unreadable)
        .collect();
    // The files are read in parallel, then numbered in order.
    let texts: Vec<_> = migrations
        .par_iter()
        .map(|m| {
            let up = inputs::script_text(&m.up, g.max_file_size)?;
            let down = match m.down.as_ref().filter(|_| with_downs) {
                Some(d) => Some(inputs::script_text(d, g.max_file_size)?),
                None => None,
            };
            Ok::<_, inputs::InputError>((up, down))
        })
        .collect();
    let mut found = Vec::with_capacity(migrations.len());
    for (m, texts) in migrations.into_iter().zip(texts) {
        let (up_text, down_text) = texts?;
        let up = sources.add(&m.up.path, up_text);
        let down = match (&m.down, down_text) {
            (Some(d), Some(text)) => Some(sources.add(&d.path, text)),
            _ => None,
        };
        found.push((m, up, down));
    }
    Ok(ReadMigrations { found, unreadable })
}

/// Parse one migration: its up (an error is the migration's, reported apart) and its down (an error
/// there is a finding about the migration, not a reason to stop).
pub(crate) fn parse_migration(
    m: &dbarch_migrate::Migration,
    up: &Arc<SourceFile>,
    down: Option<&Arc<SourceFile>>,
) -> std::result::Result<dbarch_lint::MigrationScript, String> {
    // The migration rules and the catalog need a view's name and what it reads, not its query's tree.
    let options = dbarch_sql::ParseOptions::SCHEMA;
    let parsed = dbarch_sql::parse_file_opts(up, options).map_err(|e| e.to_string())?;
    let (mut down_parsed, mut down_error) = (None, None);
    if let Some(d) = down {
        match dbarch_sql::parse_file_opts(d, options) {
            Ok(p) => down_parsed = Some(p),
            Err(e) => down_error = Some((d.id, format!("{}:{}: {}", e.line, e.column, e.message))),
        }
    }
    Ok(dbarch_lint::MigrationScript {
        version: m.version.clone(),
        file: parsed,
        down: down_parsed,
        down_error,
        wrapped: m.transaction == dbarch_migrate::Transaction::Wrapped,
    })
}

/// `with_downs`: read and parse the down scripts too (for the reversibility check). The files are added
/// to `sources`.
pub(crate) fn load_migrations(
    g: &Global,
    paths: &[PathBuf],
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    load_found(g, discover_all(g, paths)?, with_downs, sources)
}

/// `load_migrations` of migrations already discovered.
pub(crate) fn load_found(
    g: &Global,
    migrations: Vec<dbarch_migrate::Migration>,
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    use rayon::prelude::*;
    let ReadMigrations { found, unreadable } = read_found(g, migrations, with_downs, sources)?;
    let parsed: Vec<_> = found
        .par_iter()
        .map(|(m, up, down)| parse_migration(m, up, down.as_ref()))
        .collect();
    let mut scripts = vec![];
    let mut parse_errors = unreadable;
    for p in parsed {
        match p {
            Ok(script) => scripts.push(script),
            // An unparseable migration is reported (exit 2) after the others have been linted.
            Err(e) => parse_errors.push(e),
        }
    }
    Ok(LoadedMigrations {
        scripts,
        parse_errors,
    })
}

/// How many migrations are parsed (in parallel) before they are handed on to be replayed.
const PARSE_CHUNK: usize = 8;

/// Parse the migrations on a producer thread (each chunk in parallel) and hand the parsed ones, in order,
/// to `consume` on this thread as they come; unparseable ups are collected apart.
pub(crate) fn parse_streaming<R>(
    found: &[FoundMigration],
    consume: impl FnOnce(&mut dyn Iterator<Item = dbarch_lint::MigrationScript>) -> R,
) -> (R, Vec<String>) {
    use rayon::prelude::*;
    let mut errors = vec![];
    let result = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<
            Vec<std::result::Result<dbarch_lint::MigrationScript, String>>,
        >(2);
        scope.spawn(move || {
            for chunk in found.chunks(PARSE_CHUNK) {
                let parsed = chunk
                    .par_iter()
                    .map(|(m, up, down)| parse_migration(m, up, down.as_ref()))
                    .collect();
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        let mut incoming = rx.into_iter().flatten().filter_map(|p| match p {
            Ok(script) => Some(script),
            Err(e) => {
                errors.push(e);
                None
            }
        });
        consume(&mut incoming)
    });
    (result, errors)
}

pub(crate) fn report_parse_errors(parse_errors: &[String]) {
    for e in parse_errors {
        eprintln!("error: {e}");
    }
    eprintln!(
        "error: {} migration(s) could not be parsed; the results above are for the others",
        parse_errors.len()
    );
}

pub(crate) fn migrate_lint(
    g: &Global,
    paths: &[PathBuf],
    lock_report: bool,
    manifest: Option<&Path>,
) -> Result<u8> {
    let config = load_config(g, paths)?;
    let pg_version = g.pg_version.or(config.pg_version).unwrap_or(16);
    let mut sources = SourceMap::new();
    let ReadMigrations { found, unreadable } = read_found(
        g,
        discover_all(g, paths)?,
        config.checks_downs(),
        &mut sources,
    )?;
    // Each migration is replayed as soon as it is parsed, while later ones are still being parsed.
    let ((run, scripts), parsed_errors) = parse_streaming(&found, |incoming| {
        dbarch_lint::run_migrations_from(Catalog::new(), incoming, &sources, &config, pg_version)
    });
    let mut parse_errors = unreadable;
    parse_errors.extend(parsed_errors);
    let statements = scripts.iter().map(|s| s.file.statement_count).sum();
    if lock_report {
        match g.format {
            Format::Json => out(&(serde_json::to_string_pretty(&run.locks)? + "\n"))?,
            _ => out(&dbarch_report::render_locks_human(&run.locks))?,
        }
        // A migration that does not parse has no locks to show: never a silent success.
        if parse_errors.is_empty() {
            return Ok(0);
        }
        report_parse_errors(&parse_errors);
        return Ok(2);
    }
    let mut lint = run.lint;
    if let Some(path) = manifest {
        let text = inputs::read_sql(path, g.max_file_size)?;
        let applied = dbarch_migrate::parse_manifest(&text, &path.display().to_string())?;
        let file = sources.add(path, text);
        let history = dbarch_lint::run_history(&scripts, &applied, Some(&file), &sources, &config);
        lint.findings.extend(history.findings);
        lint.suppressed += history.suppressed;
    }
    let report = Report::new(lint.findings, scripts.len(), statements, lint.suppressed);
    let code = emit(g, &report, "")?;
    if parse_errors.is_empty() {
        return Ok(code);
    }
    report_parse_errors(&parse_errors);
    Ok(2)
}
