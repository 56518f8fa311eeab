//! `dbarch advise`: the pipeline's advice, rendered.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dbarch_advisor::Advice;
use dbarch_catalog::Stats;
use dbarch_project::advise::place;
use dbarch_sql::SourceMap;

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
    let dbarch_project::advise::Advised {
        advice,
        workload,
        sources,
        stats,
        notes,
    } = dbarch_project::advise::advise(g.max_file_size, paths, schema, stats, budget, greedy, db)?;
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
    // -0.0 and rounding below zero read as 0.
    let v = v.max(0.0);
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

pub use dbarch_report::size;

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
        "Advised on {} distinct {} against {} of data, with {budget}{}.\n",
        workload.queries.len(),
        if workload.queries.len() == 1 {
            "query"
        } else {
            "queries"
        },
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
    if !a.left_out.is_empty() {
        let _ = writeln!(
            s,
            "\nLeft out (no index is sought for a query that cannot run):"
        );
        for l in &a.left_out {
            let _ = writeln!(
                s,
                "- {}: {}  {}",
                place(workload, sources, l.query),
                l.reason,
                one_line(&workload.queries[l.query].statement.sql, 60)
            );
        }
    }
    if !a.drops.is_empty() {
        let _ = writeln!(s, "\nExisting indexes to drop:");
        for d in &a.drops {
            let _ = writeln!(s, "- {}  -- {}, ~{}", d.sql, d.reason, size(d.size_bytes));
        }
    }
    let how = if a.verified {
        format!(
            "planner costs with hypothetical indexes, {} planner calls",
            a.planner_calls
        )
    } else {
        "estimated".to_string()
    };
    if a.cost_before <= 0.0 {
        let _ = writeln!(s, "\nWorkload cost ({how}): no query to cost.");
        return s;
    }
    // What the new indexes save, against what the workload costs now; and, apart, what the existing
    // indexes already save (the cost without any index).
    let saved = 100.0 * (a.cost_before - a.cost_after) / a.cost_before;
    let existing = if a.cost_without_indexes > a.cost_before {
        format!(
            "; the existing indexes already save {:.0}% of the {} it would cost without any",
            100.0 * (a.cost_without_indexes - a.cost_before) / a.cost_without_indexes,
            amount(a.cost_without_indexes)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "\nWorkload cost ({how}, calls x cost): {} with the existing indexes -> {} with these ({saved:.1}% less, {} of new indexes){existing}.",
        amount(a.cost_before),
        amount(a.cost_after),
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
    if let Some(left) = v["left_out"].as_array_mut() {
        for l in left {
            if let Some(i) = l["query"].as_u64() {
                let i = i as usize;
                l["location"] = place(workload, sources, i).into();
                l["sql"] = one_line(&workload.queries[i].statement.sql, 200).into();
            }
        }
    }
    Ok(serde_json::to_string_pretty(&v)?)
}
