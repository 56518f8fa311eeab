//! `dbarch analyze`: the query rules over a workload (SQL files, pg_stat_statements exports, server logs),
//! with the schema when one is given.

use std::io::Write;
use std::path::{Path, PathBuf};

use dbarch_project::schema::load_schema;
use dbarch_project::workload::{load_stats, load_workload, workload_files};
use dbarch_report::{Report, plural};
use dbarch_sql::SourceMap;

use crate::args::Global;
use crate::commands::{emit, load_config};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

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
        Some(load_schema(g.max_file_size, schema)?)
    };
    let files = workload_files(paths)?;
    let mut sources = SourceMap::new();
    let workload = load_workload(
        g.max_file_size,
        &files,
        config.options.loops(),
        &mut sources,
    )?;
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
