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
}

/// `--db ''` means: from the PG* environment variables.
pub fn read(db: &str, with_workload: bool) -> Result<Live> {
    let target = dbarch_live::target((!db.is_empty()).then_some(db))?;
    let mut client = dbarch_live::connect_read_only(&target)?;
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
    })
}

/// `dbarch inspect`: the health report, with the exit code of the --severity threshold.
pub fn inspect(g: &crate::args::Global, db: &str) -> Result<u8> {
    let config = crate::commands::load_config(g, &[])?;
    let target = dbarch_live::target((!db.is_empty()).then_some(db))?;
    let mut client = dbarch_live::connect_read_only(&target)?;
    let mut tenant: Vec<String> = dbarch_lint::rules::security::tenant_table_without_rls::TENANT
        .iter()
        .map(|s| s.to_string())
        .collect();
    tenant.extend(config.options.tenant_columns.iter().cloned());
    let report = dbarch_live::inspect(
        &mut client,
        &target.shown,
        dbarch_live::Limits::default(),
        &tenant,
    );
    let text = match g.format {
        crate::args::Format::Json => report.to_json() + "\n",
        _ => dbarch_report::render_health(&report),
    };
    crate::commands::out(&text)?;
    let threshold = match g.severity {
        crate::args::Threshold::Error => Some(dbarch_report::Severity::Error),
        crate::args::Threshold::Warning => Some(dbarch_report::Severity::Warning),
        crate::args::Threshold::Info => Some(dbarch_report::Severity::Info),
        crate::args::Threshold::Never => None,
    };
    let failed = matches!((threshold, report.max_severity()), (Some(t), Some(m)) if m >= t);
    Ok(if failed { 1 } else { 0 })
}
