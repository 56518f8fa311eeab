//! Workloads and statistics: workload files (SQL, pg_stat_statements exports, server logs) read into one
//! workload, and the statistics of `--stats`.

use std::path::{Path, PathBuf};

use dbarch_catalog::Stats;
use dbarch_sql::SourceMap;

use crate::Result;

/// Workload files of the arguments: files as given, and the workload files of directories (sorted).
pub fn workload_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
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

/// Read workload files into one workload (their texts, or what findings point at in a server log, go
/// into `sources`); runs of one query in a log are loops by `loops`.
pub fn load_workload(
    max_mb: u64,
    files: &[PathBuf],
    loops: dbarch_workload::LoopOptions,
    sources: &mut SourceMap,
) -> Result<dbarch_workload::Workload> {
    load_workload_with(max_mb, files, None, loops, sources)
}

/// [`load_workload`], plus a workload held in memory (a live database's pg_stat_statements, as CSV).
pub fn load_workload_with(
    max_mb: u64,
    files: &[PathBuf],
    extra: Option<(String, String)>,
    loops: dbarch_workload::LoopOptions,
    sources: &mut SourceMap,
) -> Result<dbarch_workload::Workload> {
    let mut builder = dbarch_workload::Builder::new(loops);
    for path in files {
        let before = builder.recognised();
        let loaded = dbarch_workload::load_file(path, max_mb, sources, &mut builder)?;
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
pub fn load_stats(path: Option<&Path>) -> Result<Option<Stats>> {
    let Some(path) = path else { return Ok(None) };
    let text = dbarch_sql::read::read_text(path, dbarch_sql::read::DEFAULT_MAX_MB)?;
    Ok(Some(Stats::from_json(&path.display().to_string(), &text)?))
}
