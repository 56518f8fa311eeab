//! `dbarch inspect` and `dbarch explain`: the live database's health, and plans.

use dbarch_project::live::open;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `dbarch inspect`: the health report, with the exit code of the --severity threshold.
pub fn inspect(g: &crate::args::Global, db: &str) -> Result<u8> {
    let config = crate::commands::load_config(g, &[])?;
    // A progress bar on a terminal; nothing when stderr is a pipe or a file.
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(dbarch_live::inspect::check_count() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let report = dbarch_project::live::inspect(db, &config, &mut |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    let text = match g.format {
        crate::args::Format::Json => report.to_json() + "\n",
        crate::args::Format::Sarif => {
            dbarch_report::render_health_sarif(
                &report,
                &crate::commands::rule_infos(),
                env!("CARGO_PKG_VERSION"),
            ) + "\n"
        }
        crate::args::Format::Markdown => dbarch_report::render_health_markdown(&report),
        crate::args::Format::Human => dbarch_report::render_health(&report),
    };
    crate::commands::out(&text)?;
    Ok(crate::commands::exit_code(g, report.max_severity()))
}

/// `dbarch explain`: a plan file, or a query planned (and with --analyze run) on a live database.
pub fn explain(
    g: &crate::args::Global,
    plan: Option<&std::path::Path>,
    db: Option<&str>,
    query: Option<&str>,
    analyze: bool,
    schema: &[std::path::PathBuf],
    stats: Option<&std::path::Path>,
) -> Result<u8> {
    let config = crate::commands::load_config(g, &[])?;
    let (source, text) = match (plan, db, query) {
        (Some(p), _, _) => (
            p.display().to_string(),
            dbarch_sql::read::read_text(p, g.max_file_size)?,
        ),
        (None, Some(db), Some(q)) => {
            // Refused before anything is sent when it is not one query EXPLAIN may plan (or run).
            let how = if analyze {
                dbarch_sql::guard::Use::Run
            } else {
                dbarch_sql::guard::Use::Plan
            };
            dbarch_sql::guard::sendable(q, how).map_err(|e| format!("--query: {e}"))?;
            let (target, mut client) = open(db)?;
            let text = dbarch_live::connect::explain_plan(&mut client, q, analyze)
                .map_err(|e| format!("{}: {e}", target.shown))?;
            (format!("{} (query)", target.shown), text)
        }
        _ => return Err("give a plan file, or --db URL with --query SQL".into()),
    };
    let top = dbarch_advisor::explain::parse(&source, &text)?;
    let mut report = dbarch_advisor::explain::analyze(&source, &top);
    // A sequential scan that wants an index: the advisor names it, for the query the plan is of.
    let query_text = query
        .map(str::to_string)
        .or_else(|| top["Query Text"].as_str().map(str::to_string));
    if dbarch_advisor::explain::wants_an_index(&report)
        && let Some(q) = query_text
        && (db.is_some() || !schema.is_empty())
    {
        let advice = dbarch_project::advise::advise_one(g.max_file_size, &q, db, schema, stats)?;
        dbarch_advisor::explain::name_indexes(&mut report, &advice);
    }
    // The tips are rules: dbarch.toml selects, ignores and re-grades them.
    dbarch_lint::judge::plan(&mut report, &config);
    let out = match g.format {
        crate::args::Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        crate::args::Format::Sarif => {
            dbarch_report::render_plan_sarif(
                &report,
                &crate::commands::rule_infos(),
                env!("CARGO_PKG_VERSION"),
            ) + "\n"
        }
        crate::args::Format::Markdown => dbarch_report::render_plan_markdown(&report),
        crate::args::Format::Human => dbarch_report::render_plan(&report),
    };
    crate::commands::out(&out)?;
    Ok(crate::commands::exit_code(g, report.max_severity()))
}
