//! `dbarch advise`: the index advisor over a workload, a schema and statistics.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dbarch_advisor::{Advice, Budget, Options, Strategy};
use dbarch_catalog::{Catalog, Stats};
use dbarch_sql::SourceMap;

use crate::analyze::{load_schema, load_stats, load_workload_with, workload_files};
use crate::args::{Format, Global};
use crate::commands::out;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub fn advise(
    g: &Global,
    paths: &[PathBuf],
    schema: &[PathBuf],
    stats: Option<&Path>,
    budget: Option<&str>,
    greedy: bool,
    db: Option<&str>,
) -> Result<u8> {
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
                load_schema(g, schema)?
            };
            dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
                catalog.replay(&s)
            })?;
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
            load_schema(g, schema)?,
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
    let workload = load_workload_with(g, &files, extra, Default::default(), &mut sources)?;
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
    if !matches!(g.format, Format::Json) || g.verbose {
        let mut err = anstream::stderr();
        for n in &notes {
            let _ = std::io::Write::write_fmt(&mut err, format_args!("note: {n}\n"));
        }
    }
    let text = match g.format {
        Format::Json => json(&advice, &workload, &sources)? + "\n",
        _ => human(&advice, &workload, &sources, &stats),
    };
    out(&text)?;
    Ok(0)
}

/// The advisor on a live database: the real planner costs every configuration when the database has
/// HypoPG (the queries it could not plan are returned), else the offline model, with a note saying so.
pub(crate) fn advise_on(
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
fn place(workload: &dbarch_workload::Workload, sources: &SourceMap, q: usize) -> String {
    let span = workload.queries[q].statement.span;
    sources
        .get(span.file)
        .map(|f| format!("{}:{}", f.path.display(), f.line_col(span.start).line))
        .unwrap_or_default()
}

fn one_line(sql: &str, max: usize) -> String {
    let s: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max - 3).collect::<String>())
    } else {
        s
    }
}

/// A large cost in three significant figures: 20.5G, 439M, 12.4k.
fn amount(v: f64) -> String {
    let (v, suffix) = match v.abs() {
        x if x >= 1e12 => (v / 1e12, "T"),
        x if x >= 1e9 => (v / 1e9, "G"),
        x if x >= 1e6 => (v / 1e6, "M"),
        x if x >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    if suffix.is_empty() {
        format!("{v:.1}")
    } else {
        format!("{v:.3}{suffix}")
    }
}

pub fn size(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn human(
    a: &Advice,
    workload: &dbarch_workload::Workload,
    sources: &SourceMap,
    stats: &Stats,
) -> String {
    let mut s = String::new();
    let budget = a
        .budget_bytes
        .map(|b| format!("a budget of {}", size(b)))
        .unwrap_or_else(|| "no storage budget".into());
    let _ = writeln!(
        s,
        "Advised on {} distinct queries against {} of data, with {budget}{}.\n",
        workload.queries.len(),
        size(a.data_bytes),
        if stats.tables.is_empty() {
            " (no --stats: 10,000 rows per table assumed)"
        } else {
            ""
        }
    );
    if a.recommendations.is_empty() {
        let _ = writeln!(s, "No new index pays for itself.");
    }
    for (n, r) in a.recommendations.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", n + 1, r.sql);
        if let Some(ext) = &r.requires {
            let _ = writeln!(
                s,
                "   needs the {ext} extension: CREATE EXTENSION IF NOT EXISTS {ext};"
            );
        }
        let _ = writeln!(
            s,
            "   size ~{}, saves {} cost units over the workload",
            size(r.size_bytes),
            amount(r.benefit)
        );
        for q in &r.queries {
            let _ = writeln!(
                s,
                "   - {} ({} calls): {:.1} -> {:.1}  {}",
                place(workload, sources, q.query),
                q.calls,
                q.cost_before,
                q.cost_after,
                one_line(&workload.queries[q.query].statement.sql, 60)
            );
        }
    }
    if !a.drops.is_empty() {
        let _ = writeln!(s, "\nExisting indexes to drop:");
        for d in &a.drops {
            let _ = writeln!(s, "- {}  -- {}, ~{}", d.sql, d.reason, size(d.size_bytes));
        }
    }
    let rel = |c: f64| {
        if a.cost_without_indexes > 0.0 {
            c / a.cost_without_indexes
        } else {
            1.0
        }
    };
    let _ = writeln!(
        s,
        "\nWorkload cost ({}, calls x cost): {} with the existing indexes -> {} with these ({:.3} -> {:.3} of the cost without any index); {} of new indexes.",
        if a.verified {
            format!(
                "planner costs with hypothetical indexes, {} planner calls",
                a.planner_calls
            )
        } else {
            "estimated".to_string()
        },
        amount(a.cost_before),
        amount(a.cost_after),
        rel(a.cost_before),
        rel(a.cost_after),
        size(a.used_bytes)
    );
    s
}

fn json(a: &Advice, workload: &dbarch_workload::Workload, sources: &SourceMap) -> Result<String> {
    let mut v = serde_json::to_value(a)?;
    // Name each served query by its place and text, beside its index.
    if let Some(recs) = v["recommendations"].as_array_mut() {
        for r in recs {
            if let Some(qs) = r["queries"].as_array_mut() {
                for q in qs {
                    if let Some(i) = q["query"].as_u64() {
                        let i = i as usize;
                        q["location"] = place(workload, sources, i).into();
                        q["sql"] = one_line(&workload.queries[i].statement.sql, 200).into();
                    }
                }
            }
        }
    }
    Ok(serde_json::to_string_pretty(&v)?)
}
