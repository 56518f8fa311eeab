//! `migrate trace`: the migrations run on a server (throwaway or given) with every lock, rewrite and scan
//! each statement takes observed, beside what the static lock report predicts for that server's version.

use std::collections::HashMap;
use std::path::PathBuf;

use dbarch_catalog::Catalog;
use dbarch_lint::Config;
use dbarch_live::{Outcome, Script, ScriptStatement, TempCluster, TraceMode};
use dbarch_report::{MigrationTrace, Predicted, TraceReport, TracedLock, TracedStatement};

use crate::Result;
use crate::migrations::{LoadedMigrations, load_migrations};

/// A trace, or why there is none.
pub enum Traced {
    /// The report, and whether a statement or a migration failed on the server.
    Report { report: TraceReport, failed: bool },
    /// Migrations that do not parse (later ones depend on earlier ones: nothing is traced).
    Unparsed(Vec<String>),
}

pub fn trace(max_mb: u64, paths: &[PathBuf], db: Option<&str>, config: &Config) -> Result<Traced> {
    let mut sources = dbarch_sql::SourceMap::new();
    let LoadedMigrations {
        scripts,
        parse_errors,
        ..
    } = load_migrations(max_mb, paths, false, config.migrations.tool, &mut sources)?;
    if !parse_errors.is_empty() {
        // Later migrations depend on earlier ones: a gap makes the trace meaningless.
        return Ok(Traced::Unparsed(parse_errors));
    }

    // The server: the given database, or a throwaway cluster kept alive until the end of this function.
    let cluster;
    let (mut client, server, mode) = match db {
        Some(url) => {
            let target = dbarch_live::target(Some(url))?;
            let client = dbarch_live::connect::connect_primary(&target, "migrate trace")?;
            (client, target.shown, TraceMode::RollBackAll)
        }
        None => {
            cluster = TempCluster::start()?;
            cluster.create_database("dbarch_trace")?;
            (
                cluster.connect("dbarch_trace")?,
                "a throwaway cluster".to_string(),
                TraceMode::ApplyAfterTrace,
            )
        }
    };
    let version_num: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .try_get(0)?;
    let server_version = (version_num / 10000) as u32;

    // What the static analysis predicts, for the server's version.
    let run =
        dbarch_lint::run_migrations(Catalog::new(), &scripts, &sources, config, server_version);

    let live_scripts: Vec<Script> = scripts
        .iter()
        .map(|s| Script {
            file: s.file.file.path.display().to_string(),
            statements: s
                .file
                .statements
                .iter()
                .map(|st| ScriptStatement {
                    line: s.file.file.line_col(st.span.start).line,
                    column: s.file.file.line_col(st.span.start).column,
                    sql: st.sql.clone(),
                    transaction_control: dbarch_sql::expr::is_transaction_control(&st.node),
                    in_transaction_substitute: dbarch_sql::expr::without_concurrently(&st.node),
                })
                .collect(),
        })
        .collect();
    let traces = dbarch_live::trace_scripts(&mut client, &live_scripts, mode)?;

    let mut report = TraceReport {
        server,
        server_version,
        mode: match mode {
            TraceMode::ApplyAfterTrace => {
                "each migration traced in a rolled-back transaction, then applied".into()
            }
            TraceMode::RollBackAll => {
                "all migrations traced in one transaction, rolled back at the end".into()
            }
        },
        ..Default::default()
    };
    // What the lock report predicts, by statement position.
    let mut predictions: HashMap<(&str, usize, usize), Vec<Predicted>> = HashMap::new();
    for m in &run.locks.migrations {
        for p in &m.statements {
            predictions
                .entry((m.file.as_str(), p.line, p.column))
                .or_default()
                .push(Predicted {
                    table: p.taken.table.clone(),
                    lock: p.taken.lock.clone(),
                    rewrite: p.taken.rewrite,
                    scan: p.taken.scan,
                });
        }
    }
    let mut failed = false;
    for (script, trace) in live_scripts.iter().zip(&traces) {
        let mut statements = vec![];
        for (st, (_, t)) in script.statements.iter().zip(&trace.statements) {
            let mut row = TracedStatement {
                line: st.line,
                statement: st.sql.lines().next().unwrap_or("").trim().to_string(),
                status: "transaction-control".into(),
                error: None,
                locks: vec![],
                rewritten: vec![],
                scanned: vec![],
                already_held: vec![],
                predicted: predictions
                    .get(&(script.file.as_str(), st.line, st.column))
                    .cloned()
                    .unwrap_or_default(),
                verdict: String::new(),
                difference: None,
            };
            if let Some(t) = t {
                row.status = match &t.outcome {
                    Outcome::Ran => "ran".into(),
                    Outcome::OutsideTransaction => "outside-transaction".into(),
                    Outcome::Failed(e) => {
                        failed = true;
                        row.error = Some(e.clone());
                        "failed".into()
                    }
                };
                row.locks = t
                    .locks
                    .iter()
                    .filter(|l| l.existed)
                    .map(TracedLock::from)
                    .collect();
                row.already_held = t.held.iter().map(TracedLock::from).collect();
                row.rewritten = t.rewritten.clone();
                row.scanned = t.scanned.clone();
            }
            row.judge();
            statements.push(row);
        }
        failed |= trace.apply_error.is_some();
        report.migrations.push(MigrationTrace {
            file: script.file.clone(),
            statements,
            apply_error: trace.apply_error.clone(),
        });
    }
    report.summarize();
    report.summarize();
    Ok(Traced::Report { report, failed })
}
