//! `dbarch inspect`: the health of a live database, read from its statistics views and catalogs over a
//! read-only session. Each check is one query (or a few) and yields findings with their evidence and the
//! fix as SQL; a check the role may not run (or the server cannot answer) is reported as skipped.

use dbarch_catalog::QualifiedName;
use dbarch_report::{Evidence, HealthFinding, HealthReport, Severity, SkippedCheck};
use dbarch_sql::change::SchemaChange;

use crate::connect::explain;

mod activity;
mod bloat;
mod indexes;
mod replication;
mod security;
mod settings;
mod tables;
mod vacuum;

use activity::*;
use bloat::*;
use indexes::*;
use replication::*;
use security::*;
use settings::*;
use tables::*;
use vacuum::*;

/// Thresholds of the checks.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A sequence or integer key past this fraction of its maximum is flagged.
    pub sequence_used: f64,
    /// Dead tuples past this fraction of a table (and at least `dead_rows`) are flagged.
    pub dead_fraction: f64,
    pub dead_rows: i64,
    /// Sessions in a transaction for longer than this many seconds are flagged.
    pub long_transaction_s: f64,
    /// Transaction ID age past which a database or table is flagged (autovacuum_freeze_max_age is 200M).
    pub xid_age: i64,
    pub cache_hit: f64,
    /// Estimated bloat past this fraction of a table or index, and at least `bloat_bytes`, is flagged.
    pub bloat_fraction: f64,
    pub bloat_bytes: i64,
    /// A standby replaying further behind than this many seconds is flagged.
    pub replication_lag_s: f64,
    /// Indexes are judged unused only when the counters go back this many days.
    pub unused_index_days: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sequence_used: 0.75,
            dead_fraction: 0.2,
            dead_rows: 10_000,
            long_transaction_s: 300.0,
            xid_age: 500_000_000,
            cache_hit: 0.95,
            bloat_fraction: 0.3,
            bloat_bytes: 8 * 1024 * 1024,
            replication_lag_s: 60.0,
            unused_index_days: 7.0,
        }
    }
}

struct Ctx<'a> {
    client: &'a mut postgres::Client,
    report: HealthReport,
    limits: Limits,
    /// Tenant column names (SEC002's list and the configuration's).
    tenant_columns: Vec<String>,
}

impl Ctx<'_> {
    fn rows(&mut self, check: &str, sql: &str) -> Option<Vec<postgres::Row>> {
        match self.client.query(&crate::marked(sql), &[]) {
            Ok(r) => Some(r),
            Err(e) => {
                let reason = match e.code() {
                    Some(c) if *c == postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => format!(
                        "the role lacks the privilege ({}); grant it pg_monitor or pg_read_all_stats",
                        explain(&e)
                    ),
                    _ => explain(&e),
                };
                self.report.skipped.push(SkippedCheck {
                    check: check.to_string(),
                    reason,
                });
                None
            }
        }
    }

    /// Gathering: the rows of `sql`, each read into a fact by `decode` (`None`, and the check reported as
    /// skipped, when the server refuses the query).
    fn read<T>(
        &mut self,
        check: &str,
        sql: &str,
        decode: impl Fn(&postgres::Row) -> T,
    ) -> Option<Vec<T>> {
        Some(self.rows(check, sql)?.iter().map(decode).collect())
    }

    /// Judging's findings, added to the report.
    fn add(&mut self, findings: Vec<HealthFinding>) {
        self.report.findings.extend(findings);
    }

    #[allow(clippy::too_many_arguments)]
    fn find(
        &mut self,
        code: &str,
        name: &str,
        severity: Severity,
        object: &str,
        message: String,
        evidence: Vec<(&str, String)>,
        fix: Option<String>,
    ) {
        self.report.findings.push(finding(
            code, name, severity, object, message, evidence, fix,
        ));
    }
}

/// A finding of a check: judging builds these from the facts gathered, without a server.
#[allow(clippy::too_many_arguments)]
fn finding(
    code: &str,
    name: &str,
    severity: Severity,
    object: &str,
    message: String,
    evidence: Vec<(&str, String)>,
    fix: Option<String>,
) -> HealthFinding {
    HealthFinding {
        code: code.to_string(),
        name: name.to_string(),
        severity,
        object: object.to_string(),
        message,
        evidence: evidence
            .into_iter()
            .map(|(n, v)| Evidence {
                name: n.to_string(),
                value: v,
            })
            .collect(),
        fix: fix.map(dbarch_report::Fix::sql),
        fingerprint: format!("{code}:{object}"),
    }
}

/// A relation named by the schema and name columns `schema` and `schema + 1` of a row.
fn relation(row: &postgres::Row, schema: usize) -> QualifiedName {
    QualifiedName::new(s(row, schema), s(row, schema + 1))
}

/// A relation as the report names it: `schema.name`, each part quoted as needed (the schema even when it
/// is `public`).
fn dotted(q: &QualifiedName) -> String {
    use dbarch_sql::expr::quote_ident;
    format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name))
}

/// A fix made of schema changes, written by the DDL emitter: each statement and a semicolon, one a line
/// (`None` when one cannot be written).
fn fix(changes: &[SchemaChange]) -> Option<String> {
    let mut out = vec![];
    for c in changes {
        out.push(format!("{};", dbarch_sql::change::emit(c)?));
    }
    Some(out.join("\n"))
}

fn s(row: &postgres::Row, i: usize) -> String {
    row.try_get::<_, Option<String>>(i)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// A row count from `reltuples`: -1 means never analysed.
fn rows_text(n: i64) -> String {
    if n < 0 {
        "unknown (never analysed)".into()
    } else {
        n.to_string()
    }
}

fn i(row: &postgres::Row, i: usize) -> i64 {
    row.try_get::<_, Option<i64>>(i).ok().flatten().unwrap_or(0)
}

/// A boolean column; NULL (or another type, on another server version) is false, never a panic.
fn b(row: &postgres::Row, i: usize) -> bool {
    row.try_get::<_, Option<bool>>(i)
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// An int4 column (a pid); NULL or another type is 0.
fn int4(row: &postgres::Row, i: usize) -> i32 {
    row.try_get::<_, Option<i32>>(i).ok().flatten().unwrap_or(0)
}

fn f(row: &postgres::Row, i: usize) -> f64 {
    row.try_get::<_, Option<f64>>(i)
        .ok()
        .flatten()
        .unwrap_or(0.0)
}

fn size(bytes: i64) -> String {
    dbarch_report::size(bytes as f64)
}

/// User relations only (no system schemas, no extension members).
const USER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

type Check = fn(&mut Ctx);

const CHECKS: &[Check] = &[
    duplicate_indexes,
    unused_indexes,
    fk_without_index,
    invalid_indexes,
    not_valid_constraints,
    tables_without_key,
    dead_tuples,
    table_bloat,
    index_bloat,
    autovacuum_disabled,
    wraparound,
    sequences_near_max,
    cache_hit,
    long_transactions,
    blocked_queries,
    connections,
    slow_queries,
    replication_slots,
    replication_lag,
    tenant_tables_without_rls,
    superuser_logins,
    md5_passwords,
    ssl_off,
    security_definer_search_path,
    public_grants,
    settings,
];

/// How many checks `inspect` runs (for a progress display).
pub fn check_count() -> usize {
    CHECKS.len()
}

/// Run every check; `progress` is told after each one how many have run.
pub fn inspect(
    client: &mut postgres::Client,
    database: &str,
    limits: Limits,
    tenant_columns: &[String],
    progress: &mut dyn FnMut(usize),
) -> HealthReport {
    let mut cx = Ctx {
        client,
        report: HealthReport {
            database: database.to_string(),
            ..Default::default()
        },
        limits,
        tenant_columns: tenant_columns.to_vec(),
    };
    if let Some(r) = cx.rows(
        "server",
        "SELECT current_setting('server_version'), (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()), pg_is_in_recovery()",
    )
        && let Some(row) = r.first() {
            cx.report.server_version = s(row, 0);
            cx.report.stats_reset = row.try_get::<_, Option<String>>(1).ok().flatten();
            cx.report.replica = row.try_get::<_, bool>(2).unwrap_or(false);
        }
    for check in CHECKS {
        check(&mut cx);
        cx.report.checks_run += 1;
        progress(cx.report.checks_run);
    }
    cx.report
}
