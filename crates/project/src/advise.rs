//! `advise`: the index advisor over a workload, a schema and statistics — from files, or from a live
//! database whose planner (with HypoPG) costs every configuration the selection weighs.

use std::path::{Path, PathBuf};

use dbarch_advisor::{Advice, Budget, Options, Strategy};
use dbarch_catalog::{Catalog, Stats};
use dbarch_sql::SourceMap;

use crate::Result;
use crate::schema::load_schema;
use crate::workload::{load_stats, load_workload_with, workload_files};

/// The advice, and what it was worked out from.
pub struct Advised {
    pub advice: Advice,
    pub workload: dbarch_workload::Workload,
    pub sources: SourceMap,
    pub stats: Stats,
    /// How the advice was made where that is not the default (no HypoPG, a query the planner refused).
    pub notes: Vec<String>,
}

pub fn advise(
    max_mb: u64,
    paths: &[PathBuf],
    schema: &[PathBuf],
    stats: Option<&Path>,
    budget: Option<&str>,
    greedy: bool,
    db: Option<&str>,
) -> Result<Advised> {
    let budget = match budget {
        Some(b) => Budget::parse(b)?,
        None => Budget::Unlimited,
    };
    let mut sources = SourceMap::new();
    // A live database gives the schema and the statistics, and its pg_stat_statements is the workload
    // when no workload files are named.
    let mut session = None;
    let (catalog, stats, extra) = match db {
        Some(db) => {
            let live = crate::live::read(db, paths.is_empty())?;
            session = Some((live.name.clone(), live.client));
            let file = sources.add(&live.name, live.ddl);
            let mut catalog = if schema.is_empty() {
                Catalog::new()
            } else {
                load_schema(max_mb, schema)?
            };
            crate::schema::replay_text(&file, &mut catalog)?;
            let stats = match load_stats(stats)? {
                Some(s) => s,
                None => live.stats,
            };
            if paths.is_empty() && live.workload.is_none() {
                return Err(format!(
                    "{}: no workload: pg_stat_statements is not installed there; name workload files",
                    live.name
                )
                .into());
            }
            (catalog, stats, live.workload)
        }
        None => (
            load_schema(max_mb, schema)?,
            load_stats(stats)?.unwrap_or_default(),
            None,
        ),
    };
    let files = if paths.is_empty() {
        vec![]
    } else {
        workload_files(paths)?
    };
    // Loops in a log do not change which indexes pay off.
    let workload = load_workload_with(max_mb, &files, extra, Default::default(), &mut sources)?;
    let options = Options {
        budget,
        strategy: if greedy {
            Strategy::Greedy
        } else {
            Strategy::Extend
        },
    };
    // With a database that has HypoPG, the planner costs every configuration the selection weighs.
    let mut notes = vec![];
    let advice = match session {
        Some((shown, mut client)) => {
            let (advice, failures) = advise_on(
                &mut client,
                &shown,
                &workload,
                &catalog,
                &stats,
                &options,
                &mut notes,
            )?;
            for (q, why) in failures {
                notes.push(format!(
                    "{}: the planner could not plan it ({why}); the offline model stands in",
                    place(&workload, &sources, q)
                ));
            }
            advice
        }
        None => dbarch_advisor::advise(&workload, &catalog, &stats, &options),
    };
    Ok(Advised {
        advice,
        workload,
        sources,
        stats,
        notes,
    })
}

/// The advisor on a live database: the real planner costs every configuration when the database has
/// HypoPG (the queries it could not plan are returned), else the offline model, with a note saying so.
pub fn advise_on(
    client: &mut postgres::Client,
    shown: &str,
    workload: &dbarch_workload::Workload,
    catalog: &Catalog,
    stats: &Stats,
    options: &Options,
    notes: &mut Vec<String>,
) -> Result<(Advice, Vec<(usize, String)>)> {
    if !dbarch_live::hypopg::available(client) {
        notes.push(format!(
            "{shown}: HypoPG is not installed there (CREATE EXTENSION hypopg): costs are the offline model's"
        ));
        return Ok((
            dbarch_advisor::advise(workload, catalog, stats, options),
            vec![],
        ));
    }
    let texts: Vec<String> = workload
        .queries
        .iter()
        .map(|q| q.statement.sql.clone())
        .collect();
    let mut what_if =
        dbarch_live::HypoPg::new(client, texts).map_err(|e| format!("{shown}: HypoPG: {e}"))?;
    let advice = dbarch_advisor::advise_with(workload, catalog, stats, options, Some(&mut what_if));
    let mut failures: Vec<(usize, String)> = what_if.failures.drain().collect();
    failures.sort();
    Ok((advice, failures))
}

/// Where a query is, `file:line`.
pub fn place(workload: &dbarch_workload::Workload, sources: &SourceMap, q: usize) -> String {
    let span = workload.queries[q].statement.span;
    sources
        .get(span.file)
        .map(|f| format!("{}:{}", f.path.display(), f.line_col(span.start).line))
        .unwrap_or_default()
}

/// The index advisor on one query: the live database's schema, statistics and planner (HypoPG) with
/// `--db`, else the schema files and statistics given.
pub fn advise_one(
    max_mb: u64,
    query: &str,
    db: Option<&str>,
    schema: &[std::path::PathBuf],
    stats: Option<&std::path::Path>,
) -> Result<dbarch_advisor::Advice> {
    let mut sources = dbarch_sql::SourceMap::new();
    let options = dbarch_advisor::Options {
        budget: dbarch_advisor::Budget::Unlimited,
        strategy: dbarch_advisor::Strategy::Extend,
    };
    let mut builder = dbarch_workload::Builder::default();
    let file = sources.add("query", format!("{};", query.trim().trim_end_matches(';')));
    dbarch_workload::load_into(&file, &mut builder)?;
    let workload = builder.finish();
    match db {
        Some(db) => {
            let mut live = crate::live::read(db, false)?;
            let ddl = sources.add(&live.name, std::mem::take(&mut live.ddl));
            let mut catalog = dbarch_catalog::Catalog::new();
            crate::schema::replay_text(&ddl, &mut catalog)?;
            let mut notes = vec![];
            let (advice, _) = advise_on(
                &mut live.client,
                &live.name,
                &workload,
                &catalog,
                &live.stats,
                &options,
                &mut notes,
            )?;
            Ok(advice)
        }
        None => {
            let catalog = load_schema(max_mb, schema)?;
            let stats = load_stats(stats)?.unwrap_or_default();
            Ok(dbarch_advisor::advise(
                &workload, &catalog, &stats, &options,
            ))
        }
    }
}
