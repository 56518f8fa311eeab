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
