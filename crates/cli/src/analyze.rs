//! `dbarch analyze`: the query rules over a workload (SQL files, pg_stat_statements exports, server logs),
//! with the schema when one is given.

use std::io::Write;
use std::path::{Path, PathBuf};

use dbarch_catalog::{Catalog, Stats};
use dbarch_report::{Report, plural};
use dbarch_sql::SourceMap;

use crate::args::Global;
use crate::commands::{emit, load_config};
use crate::inputs;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Workload files of the arguments: files as given, and the workload files of directories (sorted).
pub(crate) fn workload_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(
                            f.extension().and_then(|e| e.to_str()),
                            Some("sql" | "csv" | "json" | "log")
                        )
                })
                .collect();
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()).into());
        }
    }
    if out.is_empty() {
        return Err("no workload files (.sql, .csv, .json, .log) in the given paths".into());
    }
    Ok(out)
}

/// The schema of `--schema`: DDL files or a schema directory applied, or a migrations folder replayed.
pub(crate) fn load_schema(g: &Global, paths: &[PathBuf]) -> Result<Catalog> {
    let plan = inputs::plan(paths, g.max_file_size)?;
    let mut catalog = Catalog::new();
    let mut sources = SourceMap::new();
    for script in &plan.files {
        let text = script.text(&inputs::read_sql(&script.path, g.max_file_size)?);
        let file = sources.add(&script.path, text);
        dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.replay(&s)
        })?;
    }
    // A migrations folder's up scripts are among the files (replayed in order); a migrations folder
    // beside schema files is not part of the schema.
    Ok(catalog)
}

/// Read workload files into one workload (their texts, or what findings point at in a server log, go
/// into `sources`); runs of one query in a log are loops by `loops`.
pub(crate) fn load_workload(
    g: &Global,
    files: &[PathBuf],
    loops: dbarch_workload::LoopOptions,
    sources: &mut SourceMap,
) -> Result<dbarch_workload::Workload> {
    load_workload_with(g, files, None, loops, sources)
}

/// [`load_workload`], plus a workload held in memory (a live database's pg_stat_statements, as CSV).
pub(crate) fn load_workload_with(
    g: &Global,
    files: &[PathBuf],
    extra: Option<(String, String)>,
    loops: dbarch_workload::LoopOptions,
    sources: &mut SourceMap,
) -> Result<dbarch_workload::Workload> {
    let mut builder = dbarch_workload::Builder::new(loops);
    for path in files {
        let before = builder.recognised();
        let loaded = dbarch_workload::load_file(path, g.max_file_size, sources, &mut builder)?;
        // A file in which no statement was found was not read as a workload: say so, never "no findings".
        if builder.recognised() == before && loaded.lines > 0 {
            return Err(format!(
                "{}: read as {}, {} line{}, no statement recognised{}",
                path.display(),
                loaded.format.describe(),
                loaded.lines,
                if loaded.lines == 1 { "" } else { "s" },
                loaded.format.hint()
            )
            .into());
        }
    }
    if let Some((name, text)) = extra {
        let file = sources.add(&name, text);
        dbarch_workload::load_into(&file, &mut builder)?;
    }
    Ok(builder.finish())
}

/// The statistics of `--stats`.
pub(crate) fn load_stats(path: Option<&Path>) -> Result<Option<Stats>> {
    let Some(path) = path else { return Ok(None) };
    let text = dbarch_sql::read::read_text(path, dbarch_sql::read::DEFAULT_MAX_MB)?;
    Ok(Some(Stats::from_json(&path.display().to_string(), &text)?))
}

pub fn analyze(
    g: &Global,
    paths: &[PathBuf],
    schema: &[PathBuf],
    stats: Option<&Path>,
) -> Result<u8> {
    let config = load_config(g, paths)?;
    let stats = load_stats(stats)?;
    let catalog = if schema.is_empty() {
        None
    } else {
        Some(load_schema(g, schema)?)
    };
    let files = workload_files(paths)?;
    let mut sources = SourceMap::new();
    let workload = load_workload(g, &files, config.options.loops(), &mut sources)?;
    let lint = dbarch_lint::run_queries(
        &workload,
        catalog.as_ref(),
        stats.as_ref(),
        &sources,
        &config,
    );
    let report = Report::new(
        lint.findings,
        files.len(),
        workload.queries.len(),
        lint.suppressed,
    );
    if g.verbose {
        let mut err = anstream::stderr();
        for (span, message) in &workload.skipped {
            if let Some(f) = sources.get(span.file) {
                let lc = f.line_col(span.start);
                let _ = writeln!(
                    err,
                    "note: {}:{}:{}: statement not analysed: {message}",
                    f.path.display(),
                    lc.line,
                    lc.column
                );
            }
        }
        if workload.skipped_more > 0 {
            let _ = writeln!(
                err,
                "note: and {} more statements not analysed",
                workload.skipped_more
            );
        }
    }
    let executions: u64 = workload.queries.iter().map(|q| q.calls).sum();
    let lines: usize = sources.files().map(|f| f.lines()).sum();
    let header = format!(
        "Analysed {} ({}) from {} ({}, {} recognised){}.\n\n",
        plural(workload.queries.len(), "distinct query"),
        plural(executions as usize, "execution"),
        plural(files.len(), "file"),
        plural(lines, "line"),
        plural(workload.recognised, "statement"),
        if catalog.is_some() {
            ", against the schema"
        } else {
            ""
        },
    );
    emit(g, &report, &header)
}
