//! Reading a live database for review, lint and advise: its schema as DDL, its statistics and its
//! pg_stat_statements, over one read-only session.

use dbarch_catalog::Stats;

use crate::Result;

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

/// `dbarch inspect`: the health checks over one read-only session, the configuration applied to their
/// findings, and each fix's cost judged on the database's own schema and sizes (read only when some
/// finding has a fix).
pub fn inspect(
    db: &str,
    config: &dbarch_lint::Config,
    progress: &mut dyn FnMut(usize),
) -> Result<dbarch_report::HealthReport> {
    let (target, mut client) = open(db)?;
    let tenant = config.options.tenant_markers();
    let mut report = dbarch_live::inspect(
        &mut client,
        &target.shown,
        dbarch_live::Limits {
            unused_index_days: config.options.unused_index_min_days,
            ..Default::default()
        },
        &tenant,
        progress,
    );
    // The checks are rules: dbarch.toml selects, ignores and re-grades them.
    dbarch_lint::judge::health(&mut report, config);
    if report.findings.iter().any(|f| f.fix.is_some()) {
        let ddl = dbarch_live::schema_ddl(&mut client)?;
        let stats = dbarch_live::statistics(&mut client)?;
        let mut sources = dbarch_sql::SourceMap::new();
        let file = sources.add(&target.shown, ddl);
        let mut catalog = dbarch_catalog::Catalog::new();
        dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.replay(&s)
        })?;
        let version = report
            .server_version
            .split(['.', ' '])
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(15);
        dbarch_lint::judge::health_fixes(
            &mut report,
            &catalog,
            &stats,
            version,
            config.options.large_table_rows,
        );
    }
    Ok(report)
}
