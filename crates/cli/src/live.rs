//! Reading a live database for review, lint and advise: its schema as DDL, its statistics and its
//! pg_stat_statements, over one read-only session.

use dbarch_catalog::Stats;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub struct Live {
    /// How findings name the database's schema (the URL without its password).
    pub name: String,
    pub ddl: String,
    pub stats: Stats,
    /// pg_stat_statements as CSV, with the name it is shown under, when the extension is installed.
    pub workload: Option<(String, String)>,
    pub notes: Vec<String>,
    /// The session it was read over, still open for what comes next (HypoPG).
    pub client: postgres::Client,
}

/// A read-only session to `--db`; `''` means: from the PG* environment variables.
pub fn open(db: &str) -> Result<(dbarch_live::Target, postgres::Client)> {
    let target = dbarch_live::target((!db.is_empty()).then_some(db))?;
    let client = dbarch_live::connect_read_only(&target)?;
    Ok((target, client))
}

pub fn read(db: &str, with_workload: bool) -> Result<Live> {
    let (target, mut client) = open(db)?;
    let ddl = dbarch_live::schema_ddl(&mut client)?;
    let stats = dbarch_live::statistics(&mut client)?;
    let mut notes = vec![];
    let workload = if with_workload {
        match dbarch_live::pg_stat_statements_csv(&mut client)? {
            Some(csv) => Some(("live:pg_stat_statements.csv".to_string(), csv)),
            None => {
                notes.push(format!(
                    "{}: pg_stat_statements is not installed in this database: no workload to judge",
                    target.shown
                ));
                None
            }
        }
    } else {
        None
    };
    Ok(Live {
        name: target.shown,
        ddl,
        stats,
        workload,
        notes,
        client,
    })
}

/// `dbarch inspect`: the health report, with the exit code of the --severity threshold.
pub fn inspect(g: &crate::args::Global, db: &str) -> Result<u8> {
    let config = crate::commands::load_config(g, &[])?;
    let (target, mut client) = open(db)?;
    let tenant = config.options.tenant_markers();
    // A progress bar on a terminal; nothing when stderr is a pipe or a file.
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(dbarch_live::inspect::check_count() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let mut report = dbarch_live::inspect(
        &mut client,
        &target.shown,
        dbarch_live::Limits::default(),
        &tenant,
        &mut |n| bar.set_position(n as u64),
    );
    bar.finish_and_clear();
    // The checks are rules: dbarch.toml selects, ignores and re-grades them.
    dbarch_lint::judge::health(&mut report, &config);
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
        let advice = advise_one(g, &q, db, schema, stats)?;
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

/// The index advisor on one query: the live database's schema, statistics and planner (HypoPG) with
/// `--db`, else the schema files and statistics given.
fn advise_one(
    g: &crate::args::Global,
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
            let mut live = read(db, false)?;
            let ddl = sources.add(&live.name, std::mem::take(&mut live.ddl));
            let mut catalog = dbarch_catalog::Catalog::new();
            dbarch_sql::parse_file_with(&ddl, dbarch_sql::ParseOptions::SCHEMA, |s| {
                catalog.replay(&s)
            })?;
            let mut notes = vec![];
            let (advice, _) = crate::advise::advise_on(
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
            let catalog = crate::analyze::load_schema(g, schema)?;
            let stats = crate::analyze::load_stats(stats)?.unwrap_or_default();
            Ok(dbarch_advisor::advise(
                &workload, &catalog, &stats, &options,
            ))
        }
    }
}
