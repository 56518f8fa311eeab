//! `dbarch migrate lint` and `migrate manifest`: the pipeline's history lint, rendered.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use dbarch_report::Report;
use dbarch_sql::SourceMap;

use crate::args::{Format, Global};
use crate::commands::{emit, load_config, out};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub(crate) fn migrate_manifest(g: &Global, dir: &Path) -> Result<u8> {
    let config = load_config(g, &[dir.to_path_buf()])?;
    out(&dbarch_project::migrations::manifest(
        g.max_file_size,
        dir,
        config.migrations.tool,
    )?)?;
    Ok(0)
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
    stats: Option<&Path>,
    since: Option<&str>,
) -> Result<u8> {
    let config = load_config(g, paths)?;
    let existing = match since {
        Some(rev) => Some(dbarch_project::migrations::files_at_revision(rev, paths)?),
        None => None,
    };
    let pg_version = g.pg_version.or(config.pg_version).unwrap_or(16);
    let mut sources = SourceMap::new();
    // With --locks the manifest is not read: the lock report is about the scripts alone.
    let mut history = dbarch_project::migrations::lint_history(
        g.max_file_size,
        paths,
        &config,
        pg_version,
        manifest.filter(|_| !lock_report),
        stats,
        &mut sources,
    )?;
    if let Some(existing) = &existing {
        history.only_new(existing);
    }
    if g.verbose {
        let mut err = anstream::stderr();
        for n in dbarch_project::review::unmodelled_notes(&history.run.catalog, &sources) {
            let _ = writeln!(err, "note: {n}");
        }
    }
    if lock_report {
        match g.format {
            Format::Json => out(&(serde_json::to_string_pretty(&history.run.locks)? + "\n"))?,
            _ => out(&dbarch_report::render_locks_human(&history.run.locks))?,
        }
        // A migration that does not parse has no locks to show: never a silent success.
        if history.parse_errors.is_empty() {
            return Ok(0);
        }
        report_parse_errors(&history.parse_errors);
        return Ok(2);
    }
    let statements = history.statements();
    let lint = history.run.lint;
    let report = Report::new(
        lint.findings,
        history.scripts.len(),
        statements,
        lint.suppressed,
    );
    let code = emit(g, &report, "")?;
    if history.parse_errors.is_empty() {
        return Ok(code);
    }
    report_parse_errors(&history.parse_errors);
    Ok(2)
}
