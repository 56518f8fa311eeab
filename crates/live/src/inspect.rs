//! `dbarch inspect`: the health of a live database, read from its statistics views and catalogs over a
//! read-only session. Each check is one query (or a few) and yields findings with their evidence and the
//! fix as SQL; a check the role may not run (or the server cannot answer) is reported as skipped.

use dbarch_report::{Evidence, HealthFinding, HealthReport, Severity, SkippedCheck};

use crate::connect::explain;

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
        match self.client.query(sql, &[]) {
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
        self.report.findings.push(HealthFinding {
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
            fix,
            fingerprint: format!("{code}:{object}"),
        });
    }
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
    let b = bytes as f64;
    if b >= 1073741824.0 {
        format!("{:.1} GB", b / 1073741824.0)
    } else if b >= 1048576.0 {
        format!("{:.1} MB", b / 1048576.0)
    } else {
        format!("{:.0} kB", b / 1024.0)
    }
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

/// The same key columns, method, predicate and expressions on one table (one of them is useless), or a
/// key that is a leading prefix of another's (the shorter serves nothing the longer does not).
fn duplicate_indexes(cx: &mut Ctx) {
    let sql = format!(
        "WITH idx AS ( \
           SELECT i.indexrelid, i.indrelid, quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, \
                  quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS tbl, \
                  i.indkey::text AS keys, i.indclass::text AS ops, coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs, \
                  coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred, i.indisunique, i.indisprimary, am.amname, \
                  pg_relation_size(i.indexrelid) AS bytes, \
                  EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint_backed \
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam WHERE {USER}) \
         SELECT a.name, b.name, a.tbl, a.bytes, a.keys = b.keys AND a.ops = b.ops \
         FROM idx a JOIN idx b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid \
           AND a.amname = b.amname AND a.pred = b.pred AND a.exprs = b.exprs \
           AND (b.keys = a.keys OR b.keys LIKE a.keys || ' %') \
           AND (b.ops = a.ops OR b.ops LIKE a.ops || ' %') \
         WHERE NOT a.indisprimary AND NOT a.constraint_backed AND NOT (a.indisunique AND a.keys <> b.keys) \
           AND (a.keys <> b.keys OR a.indexrelid > b.indexrelid OR b.constraint_backed) \
         ORDER BY 1"
    );
    let Some(rows) = cx.rows("duplicate indexes", &sql) else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        let (a, b, table, bytes, same) = (s(&r, 0), s(&r, 1), s(&r, 2), i(&r, 3), b(&r, 4));
        if !seen.insert(a.clone()) {
            continue;
        }
        let what = if same {
            "duplicates"
        } else {
            "is a leading prefix of"
        };
        cx.find(
            "IDX001",
            "duplicate-index",
            Severity::Warning,
            &a,
            format!("index {a} on {table} {what} {b}: every search it serves, {b} serves"),
            vec![("size", size(bytes)), ("kept", b.clone())],
            Some(format!("DROP INDEX CONCURRENTLY {a};")),
        );
    }
}

fn unused_indexes(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                s.idx_scan, pg_relation_size(i.indexrelid), \
                (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()) \
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid \
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
           AND pg_relation_size(i.indexrelid) > 1024 * 1024 \
         ORDER BY pg_relation_size(i.indexrelid) DESC"
    );
    let Some(rows) = cx.rows("unused indexes", &sql) else {
        return;
    };
    for r in rows {
        let since = r
            .try_get::<_, Option<String>>(4)
            .ok()
            .flatten()
            .unwrap_or_else(|| "the cluster started".into());
        cx.find(
            "DB002",
            "unused-index",
            Severity::Info,
            &s(&r, 0),
            format!(
                "index {} on {} has not been used {}since {since}",
                s(&r, 0),
                s(&r, 1),
                if cx.report.replica {
                    "on this replica "
                } else {
                    ""
                }
            ),
            vec![
                ("scans", i(&r, 2).to_string()),
                ("size", size(i(&r, 3))),
                ("counting since", since.clone()),
            ],
            Some(format!(
                "-- {} (counts are per server)\nDROP INDEX CONCURRENTLY {};",
                if cx.report.replica {
                    "on the primary, once its counts and the other replicas' agree"
                } else {
                    "check replicas and rare jobs first"
                },
                s(&r, 0)
            )),
        );
    }
}

fn fk_without_index(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), k.conname, \
                (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY x.ord) FROM unnest(k.conkey) WITH ORDINALITY x(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum), \
                k.confrelid::regclass::text, c.reltuples::int8 \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] @> k.conkey \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] <@ k.conkey) \
         ORDER BY 1, 2"
    );
    let Some(rows) = cx.rows("foreign keys without an index", &sql) else {
        return;
    };
    for r in rows {
        let (table, name, cols, target) = (s(&r, 0), s(&r, 1), s(&r, 2), s(&r, 3));
        cx.find(
            "KEY002",
            "fk-without-index",
            Severity::Warning,
            &format!("{table}.{name}"),
            format!("foreign key {name} on {table} ({cols}) has no index: deletes and key updates on {target} scan {table}"),
            vec![("rows", rows_text(i(&r, 4)))],
            Some(format!("CREATE INDEX CONCURRENTLY ON {table} ({cols});")),
        );
    }
}

fn invalid_indexes(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND {USER} ORDER BY 1"
    );
    let Some(rows) = cx.rows("invalid indexes", &sql) else {
        return;
    };
    for r in rows {
        let name = s(&r, 0);
        cx.find(
            "DB004",
            "invalid-index",
            Severity::Error,
            &name,
            format!("index {name} on {} is invalid (a failed CREATE INDEX CONCURRENTLY): no query uses it, every write still maintains it", s(&r, 1)),
            vec![("definition", s(&r, 2))],
            Some(format!("DROP INDEX CONCURRENTLY {name};\n-- then fix the cause and create it again\n{};", s(&r, 2).replacen("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1).replacen("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY", 1))),
        );
    }
}

fn not_valid_constraints(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname), k.contype::text \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT k.convalidated AND {USER} ORDER BY 1, 2"
    );
    let Some(rows) = cx.rows("NOT VALID constraints", &sql) else {
        return;
    };
    for r in rows {
        let (table, name) = (s(&r, 0), s(&r, 1));
        cx.find(
            "DB005",
            "not-valid-constraint",
            Severity::Warning,
            &format!("{table}.{name}"),
            format!("constraint {name} on {table} is NOT VALID: existing rows were never checked"),
            vec![("type", s(&r, 2))],
            Some(format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name};  -- SHARE UPDATE EXCLUSIVE: reads and writes go on")),
        );
    }
}

fn tables_without_key(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.reltuples::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') ORDER BY 1"
    );
    let Some(rows) = cx.rows("tables without a primary key", &sql) else {
        return;
    };
    for r in rows {
        let t = s(&r, 0);
        cx.find(
            "KEY001",
            "table-without-primary-key",
            Severity::Warning,
            &t,
            format!("table {t} has no primary key: rows cannot be addressed, logical replication cannot update or delete them"),
            vec![("rows", rows_text(i(&r, 1)))],
            Some(format!("ALTER TABLE {t} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;  -- or a natural key")),
        );
    }
}

fn dead_tuples(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname), s.n_live_tup, s.n_dead_tup, \
                coalesce(greatest(s.last_autovacuum, s.last_vacuum)::text, 'never'), pg_table_size(s.relid) \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE s.n_dead_tup >= {} AND s.n_dead_tup >= {} * (s.n_live_tup + s.n_dead_tup) AND {USER} ORDER BY s.n_dead_tup DESC",
        cx.limits.dead_rows, cx.limits.dead_fraction
    );
    let Some(rows) = cx.rows("dead tuples", &sql) else {
        return;
    };
    for r in rows {
        let t = s(&r, 0);
        let (live, dead) = (i(&r, 1), i(&r, 2));
        let share = dead as f64 / (live + dead).max(1) as f64;
        cx.find(
            "DB007",
            "dead-tuples",
            Severity::Warning,
            &t,
            format!(
                "{t} is {:.0} % dead rows: scans read them, and the table stays bloated",
                share * 100.0
            ),
            vec![
                ("dead rows", dead.to_string()),
                ("live rows", live.to_string()),
                ("last vacuum", s(&r, 3)),
                ("table size", size(i(&r, 4))),
            ],
            Some(format!("VACUUM (VERBOSE, ANALYZE) {t};")),
        );
    }
}

/// Page layout constants of a default build (`block_size` is read from the server).
const PAGE_HEADER: f64 = 24.0;
const LINE_POINTER: f64 = 4.0;
const BTREE_SPECIAL: f64 = 16.0;

fn maxalign(n: f64) -> f64 {
    (n / 8.0).ceil() * 8.0
}

/// A column as a row stores it: `pg_attribute.attlen` (-1 variable), `attalign` (c, s, i, d) and, from
/// pg_stats, its average stored width and null fraction.
#[derive(Debug, Clone, Copy)]
pub struct ColumnLayout {
    pub len: i16,
    pub align: u8,
    pub width: f64,
    pub null_frac: f64,
}

/// The average bytes of a row's (or index entry's) data: the columns in order, each fixed-length one
/// aligned as its type requires (variable-length values of under 127 bytes are stored unaligned), nulls
/// taking no space.
pub fn data_width(columns: &[ColumnLayout]) -> f64 {
    let mut offset = 0.0f64;
    for c in columns {
        let present = 1.0 - c.null_frac;
        if c.len > 0 {
            let align = match c.align {
                b's' => 2.0,
                b'i' => 4.0,
                b'd' => 8.0,
                _ => 1.0,
            };
            let aligned = (offset / align).ceil() * align;
            offset += (aligned - offset) * present;
        }
        offset += c.width * present;
    }
    offset
}

/// The pages a heap of `rows` rows needs when packed as `fillfactor` allows: each row a 23-byte header
/// (plus a null bitmap when a column has nulls), aligned, its data, aligned, and a line pointer.
pub fn expected_heap_pages(
    rows: f64,
    columns: &[ColumnLayout],
    fillfactor: f64,
    block: f64,
) -> f64 {
    let bitmap = if columns.iter().any(|c| c.null_frac > 0.0) {
        (columns.len() as f64 / 8.0).ceil()
    } else {
        0.0
    };
    let tuple = maxalign(23.0 + bitmap) + maxalign(data_width(columns)) + LINE_POINTER;
    let usable = (block - PAGE_HEADER) * fillfactor;
    let per_page = (usable / tuple).floor().max(1.0);
    (rows / per_page).ceil()
}

/// The pages a B-tree of `entries` entries needs: leaf tuples of an 8-byte header and the key (and
/// INCLUDE) columns' data, aligned, plus a line pointer, packed to `fillfactor`; about one internal page per
/// hundred leaves and the metapage. Deduplication (PostgreSQL 13+) only makes a real index smaller than
/// this, so it never inflates an estimate of bloat.
pub fn expected_btree_pages(
    entries: f64,
    columns: &[ColumnLayout],
    fillfactor: f64,
    block: f64,
) -> f64 {
    let tuple = maxalign(8.0 + data_width(columns)) + LINE_POINTER;
    let usable = (block - PAGE_HEADER - BTREE_SPECIAL) * fillfactor;
    let per_page = (usable / tuple).floor().max(1.0);
    let leaves = (entries / per_page).ceil();
    leaves + (leaves / 100.0).ceil() + 1.0
}

/// One relation's rows of a bloat query: `(name, pages, tuples, fillfactor, block, extra)` and its
/// columns' layouts; `None` when a column has no statistics.
struct Sized {
    name: String,
    extra: String,
    pages: f64,
    tuples: f64,
    fillfactor: f64,
    block: f64,
    columns: Option<Vec<ColumnLayout>>,
}

/// Group per-column rows (`name, extra, pages, tuples, fillfactor, block, attlen, attalign, avg_width,
/// null_frac`, ordered by relation then column) into relations.
fn sized_relations(rows: Vec<postgres::Row>) -> Vec<Sized> {
    let mut out: Vec<Sized> = vec![];
    for r in rows {
        let name = s(&r, 0);
        if out.last().is_none_or(|l| l.name != name) {
            out.push(Sized {
                name,
                extra: s(&r, 1),
                pages: i(&r, 2) as f64,
                tuples: f(&r, 3),
                fillfactor: f(&r, 4) / 100.0,
                block: f(&r, 5),
                columns: Some(vec![]),
            });
        }
        let Some(last) = out.last_mut() else { continue };
        let width = r.try_get::<_, Option<f64>>(8).ok().flatten();
        match (width, last.columns.as_mut()) {
            (Some(width), Some(cols)) => cols.push(ColumnLayout {
                len: r.try_get::<_, i16>(6).unwrap_or(-1),
                align: s(&r, 7).bytes().next().unwrap_or(b'c'),
                width,
                null_frac: f(&r, 9),
            }),
            _ => last.columns = None,
        }
    }
    out
}

/// Tables holding much more space than their rows need (an estimate from pg_stats widths and the types'
/// alignment, as PgHero and the usual bloat queries make): space that sequential scans still read and
/// that only a rewrite returns.
fn table_bloat(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), '', c.relpages::int8, c.reltuples::float8, \
                coalesce((SELECT substring(o FROM 12)::float8 FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'), 100)::float8, \
                current_setting('block_size')::float8, a.attlen, a.attalign::text, st.avg_width::float8, st.null_frac::float8 \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname AND NOT st.inherited \
         WHERE c.relkind IN ('r', 'm') AND c.reltuples >= 0 AND c.relpages > 0 AND {USER} \
         ORDER BY c.relpages DESC, 1, a.attnum"
    );
    let Some(rows) = cx.rows("table bloat", &sql) else {
        return;
    };
    let mut unestimated = 0;
    for t in sized_relations(rows) {
        let Some(columns) = &t.columns else {
            // No statistics for a column (never analysed, or not readable by this role).
            unestimated += 1;
            continue;
        };
        let expected = expected_heap_pages(t.tuples, columns, t.fillfactor, t.block);
        let Some((wasted, fraction)) = bloat(cx, t.pages, expected, t.block) else {
            continue;
        };
        let name = &t.name;
        cx.find(
            "DB024",
            "table-bloat",
            bloat_severity(fraction),
            name,
            format!(
                "{name} takes about {} more than its rows need ({:.0} % of it): scans read the empty space, and only a rewrite gives it back",
                size(wasted),
                fraction * 100.0
            ),
            vec![
                ("size", size((t.pages * t.block) as i64)),
                ("estimated need", size((expected * t.block) as i64)),
                ("rows", format!("{:.0}", t.tuples)),
                ("average row data", format!("{:.0} bytes", data_width(columns))),
                ("fillfactor", format!("{:.0}", t.fillfactor * 100.0)),
            ],
            Some(format!(
                "VACUUM (FULL, ANALYZE) {name};  -- rewrites under an ACCESS EXCLUSIVE lock; pg_repack does it online"
            )),
        );
    }
    if unestimated > 0 {
        cx.report.skipped.push(SkippedCheck {
            check: "table bloat".into(),
            reason: format!(
                "{unestimated} table(s) without statistics for every column (run ANALYZE, or grant SELECT so pg_stats shows them)"
            ),
        });
    }
}

/// The bytes and fraction wasted when past both limits.
fn bloat(cx: &Ctx, pages: f64, expected: f64, block: f64) -> Option<(i64, f64)> {
    let wasted = ((pages - expected) * block) as i64;
    let fraction = 1.0 - expected / pages.max(1.0);
    (wasted >= cx.limits.bloat_bytes && fraction >= cx.limits.bloat_fraction)
        .then_some((wasted, fraction))
}

fn bloat_severity(fraction: f64) -> Severity {
    if fraction >= 0.6 {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// B-tree indexes much larger than their entries need: after mass deletes or updates an index keeps its
/// empty pages, which range scans walk and the cache holds. Expression indexes are left out (their
/// widths are not in the table's statistics).
fn index_bloat(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                ic.relpages::int8, ic.reltuples::float8, \
                coalesce((SELECT substring(o FROM 12)::float8 FROM unnest(ic.reloptions) o WHERE o LIKE 'fillfactor=%'), 90)::float8, \
                current_setting('block_size')::float8, a.attlen, a.attalign::text, st.avg_width::float8, st.null_frac::float8 \
         FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname AND NOT st.inherited \
         WHERE am.amname = 'btree' AND x.indexprs IS NULL AND x.indisvalid AND ic.reltuples >= 0 AND ic.relpages > 1 AND {USER} \
         ORDER BY ic.relpages DESC, 1, k.position"
    );
    let Some(rows) = cx.rows("index bloat", &sql) else {
        return;
    };
    for ix in sized_relations(rows) {
        let Some(columns) = &ix.columns else {
            continue;
        };
        let expected = expected_btree_pages(ix.tuples, columns, ix.fillfactor, ix.block);
        let Some((wasted, fraction)) = bloat(cx, ix.pages, expected, ix.block) else {
            continue;
        };
        let (index, table) = (&ix.name, &ix.extra);
        cx.find(
            "DB025",
            "index-bloat",
            bloat_severity(fraction),
            index,
            format!(
                "index {index} on {table} takes about {} more than its entries need ({:.0} % of it)",
                size(wasted),
                fraction * 100.0
            ),
            vec![
                ("size", size((ix.pages * ix.block) as i64)),
                ("estimated need", size((expected * ix.block) as i64)),
                ("entries", format!("{:.0}", ix.tuples)),
                ("average entry data", format!("{:.0} bytes", data_width(columns))),
            ],
            Some(format!(
                "REINDEX INDEX CONCURRENTLY {index};  -- PostgreSQL 12+; builds a fresh copy beside it"
            )),
        );
    }
}

fn autovacuum_disabled(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), array_to_string(c.reloptions, ', ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'm') AND {USER} AND c.reloptions::text[] && ARRAY['autovacuum_enabled=false', 'autovacuum_enabled=off', 'toast.autovacuum_enabled=false'] ORDER BY 1"
    );
    if let Some(rows) = cx.rows("autovacuum disabled", &sql) {
        for r in rows {
            let t = s(&r, 0);
            cx.find(
                "DB008",
                "autovacuum-disabled",
                Severity::Warning,
                &t,
                format!("autovacuum is disabled on {t}: dead rows pile up and its transaction IDs age toward wraparound"),
                vec![("options", s(&r, 1))],
                Some(format!("ALTER TABLE {t} RESET (autovacuum_enabled);")),
            );
        }
    }
    if let Some(rows) = cx.rows("autovacuum", "SELECT current_setting('autovacuum')")
        && rows.first().map(|r| s(r, 0)) == Some("off".into())
    {
        cx.find(
            "DB008",
            "autovacuum-disabled",
            Severity::Error,
            "autovacuum",
            "autovacuum is off for the whole server".into(),
            vec![("autovacuum", "off".into())],
            Some("ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf();".into()),
        );
    }
}

fn wraparound(cx: &mut Ctx) {
    let sql = "SELECT datname, age(datfrozenxid)::int8 FROM pg_database WHERE datallowconn ORDER BY 2 DESC";
    let Some(rows) = cx.rows("transaction ID wraparound", sql) else {
        return;
    };
    let limit = cx.limits.xid_age;
    for r in rows {
        let age = i(&r, 1);
        if age < limit {
            continue;
        }
        let severity = if age > 1_500_000_000 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let db = s(&r, 0);
        cx.find(
            "DB009",
            "xid-wraparound",
            severity,
            &db,
            format!("database {db} is {age} transactions from its last freeze: at 2,000,000,000 the server stops taking writes"),
            vec![("age", age.to_string()), ("of 2^31", format!("{:.0} %", age as f64 / 2147483648.0 * 100.0))],
            Some("VACUUM (FREEZE, VERBOSE);  -- in that database, oldest tables first; check what holds back the xmin horizon".into()),
        );
    }
}

fn sequences_near_max(cx: &mut Ctx) {
    // A sequence near its own maximum, or feeding an integer column near the column type's maximum.
    let sql = "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename), s.last_value, s.max_value, \
                (SELECT format_type(a.atttypid, NULL) || ' ' || quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) \
                   FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                  WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) \
         FROM pg_sequences s WHERE s.last_value IS NOT NULL ORDER BY 1".to_string();
    let Some(rows) = cx.rows("sequences near their maximum", &sql) else {
        return;
    };
    for r in rows {
        let (name, last, max) = (s(&r, 0), i(&r, 1), i(&r, 2));
        let owner = s(&r, 3);
        let column_max = match owner.split(' ').next() {
            Some("integer") => 2_147_483_647,
            Some("smallint") => 32_767,
            _ => i64::MAX,
        };
        let limit = max.min(column_max);
        let used = last as f64 / limit as f64;
        if used < cx.limits.sequence_used {
            continue;
        }
        let column = owner.split_once(' ').map(|(_, c)| c.to_string());
        let severity = if used > 0.9 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let fix = match (&column, column_max < max) {
            (Some(col), true) => {
                let (table, col_name) = col.rsplit_once('.').unwrap_or((col.as_str(), ""));
                format!(
                    "ALTER TABLE {table} ALTER COLUMN {col_name} TYPE bigint;  -- rewrites the table: plan it (new column + backfill + swap on big tables)\nALTER SEQUENCE {name} AS bigint;"
                )
            }
            _ => format!("ALTER SEQUENCE {name} AS bigint MAXVALUE 9223372036854775807;"),
        };
        cx.find(
            "DB010",
            "sequence-near-max",
            severity,
            &name,
            format!(
                "sequence {name} has used {:.0} % of its range{}",
                used * 100.0,
                column
                    .as_ref()
                    .map(|c| format!(" (it feeds {c})"))
                    .unwrap_or_default()
            ),
            vec![
                ("last value", last.to_string()),
                ("maximum", limit.to_string()),
            ],
            Some(fix),
        );
    }
}

fn cache_hit(cx: &mut Ctx) {
    let sql = "SELECT sum(heap_blks_hit)::float8, sum(heap_blks_read)::float8, sum(idx_blks_hit)::float8, sum(idx_blks_read)::float8 FROM pg_statio_user_tables";
    let Some(rows) = cx.rows("cache hit ratio", sql) else {
        return;
    };
    let Some(r) = rows.first() else { return };
    for (kind, hit, read) in [("table", f(r, 0), f(r, 1)), ("index", f(r, 2), f(r, 3))] {
        // Too little traffic to judge.
        if hit + read < 10_000.0 {
            continue;
        }
        let ratio = hit / (hit + read);
        if ratio < cx.limits.cache_hit {
            cx.find(
                "DB011",
                "low-cache-hit-ratio",
                Severity::Warning,
                kind,
                format!("{kind} cache hit ratio is {:.1} %: reads go to disk (or the OS cache) more than they should", ratio * 100.0),
                vec![("hits", format!("{hit:.0}")), ("reads", format!("{read:.0}"))],
                Some("-- more shared_buffers (about 25 % of RAM), or fewer full scans (see the slowest queries)\nALTER SYSTEM SET shared_buffers = '...';".into()),
            );
        }
    }
}

fn long_transactions(cx: &mut Ctx) {
    let sql = format!(
        "SELECT pid, usename::text, state, extract(epoch FROM now() - xact_start)::float8, left(query, 120) FROM pg_stat_activity \
         WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
           AND now() - xact_start > interval '{} seconds' ORDER BY xact_start",
        cx.limits.long_transaction_s
    );
    let Some(rows) = cx.rows("long-running transactions", &sql) else {
        return;
    };
    for r in rows {
        let pid = int4(&r, 0);
        let state = s(&r, 2);
        let idle = state.starts_with("idle in transaction");
        cx.find(
            "DB012",
            if idle { "idle-in-transaction" } else { "long-transaction" },
            Severity::Warning,
            &format!("pid {pid}"),
            format!(
                "session {pid} ({}) has been {} for {:.0} s: it holds its locks and stops vacuum from removing dead rows",
                s(&r, 1),
                if idle { "idle in a transaction" } else { "in one transaction" },
                f(&r, 3)
            ),
            vec![("state", state), ("query", s(&r, 4))],
            Some(format!("SELECT pg_terminate_backend({pid});  -- and set idle_in_transaction_session_timeout")),
        );
    }
}

fn blocked_queries(cx: &mut Ctx) {
    let sql = "SELECT pid, pg_blocking_pids(pid)::text, extract(epoch FROM now() - query_start)::float8, left(query, 120) FROM pg_stat_activity \
               WHERE cardinality(pg_blocking_pids(pid)) > 0";
    let Some(rows) = cx.rows("blocked queries", sql) else {
        return;
    };
    for r in rows {
        let pid = int4(&r, 0);
        cx.find(
            "DB013",
            "blocked-query",
            Severity::Warning,
            &format!("pid {pid}"),
            format!(
                "session {pid} has waited {:.0} s for a lock held by {}",
                f(&r, 2),
                s(&r, 1)
            ),
            vec![("blocked by", s(&r, 1)), ("query", s(&r, 3))],
            None,
        );
    }
}

fn connections(cx: &mut Ctx) {
    let sql = "SELECT count(*)::int8, current_setting('max_connections')::int8, current_setting('superuser_reserved_connections')::int8 FROM pg_stat_activity WHERE backend_type = 'client backend'";
    let Some(rows) = cx.rows("connections", sql) else {
        return;
    };
    let Some(r) = rows.first() else { return };
    let (used, max, reserved) = (i(r, 0), i(r, 1), i(r, 2));
    let share = used as f64 / (max - reserved).max(1) as f64;
    if share > 0.8 {
        cx.find(
            "DB014",
            "connections-near-max",
            if share > 0.95 { Severity::Error } else { Severity::Warning },
            "max_connections",
            format!("{used} of {max} connections in use ({:.0} %)", share * 100.0),
            vec![("connections", used.to_string()), ("max_connections", max.to_string())],
            Some("-- put a pooler (PgBouncer, transaction mode) in front rather than raising max_connections".into()),
        );
    }
    if max > 500 {
        cx.find(
            "DB014",
            "connections-near-max",
            Severity::Info,
            "max_connections setting",
            format!("max_connections is {max}: each backend costs memory and snapshot work; a pool of a few times the cores serves more"),
            vec![("max_connections", max.to_string())],
            Some("ALTER SYSTEM SET max_connections = 200;  -- with a connection pooler".into()),
        );
    }
}

fn slow_queries(cx: &mut Ctx) {
    let installed = cx
        .rows(
            "slowest queries",
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'",
        )
        .is_some_and(|r| !r.is_empty());
    if !installed {
        cx.report.skipped.push(SkippedCheck {
            check: "slowest queries".into(),
            reason: "pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries)".into(),
        });
        return;
    }
    let sql = "SELECT queryid::text, calls::int8, total_exec_time::float8, mean_exec_time::float8, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) \
               FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               ORDER BY total_exec_time DESC LIMIT 5";
    let Some(rows) = cx.rows("slowest queries", sql) else {
        return;
    };
    let total: f64 = rows.iter().map(|r| f(r, 2)).sum();
    for r in rows {
        if f(&r, 2) < 1000.0 {
            continue;
        }
        cx.find(
            "DB015",
            "slow-query",
            Severity::Info,
            &format!("query {}", s(&r, 0)),
            format!("{:.0} ms in {} calls ({:.1} ms each): {}", f(&r, 2), i(&r, 1), f(&r, 3), s(&r, 4)),
            vec![
                ("total ms", format!("{:.0}", f(&r, 2))),
                ("share of the top 5", format!("{:.0} %", f(&r, 2) / total.max(1.0) * 100.0)),
            ],
            Some("-- dbarch explain --db URL --query '...' to see why; dbarch advise --db URL for indexes".into()),
        );
    }
}

fn replication_slots(cx: &mut Ctx) {
    // On a replica the WAL position is the last one received (pg_current_wal_lsn() fails in recovery).
    let sql = format!(
        "SELECT slot_name::text, slot_type, active, pg_wal_lsn_diff({}, restart_lsn)::int8 FROM pg_replication_slots",
        if cx.report.replica {
            "pg_last_wal_receive_lsn()"
        } else {
            "pg_current_wal_lsn()"
        }
    );
    let sql = sql.as_str();
    let Some(rows) = cx.rows("replication slots", sql) else {
        return;
    };
    for r in rows {
        let active = b(&r, 2);
        let retained = i(&r, 3);
        if active && retained < 1 << 30 {
            continue;
        }
        let name = s(&r, 0);
        cx.find(
            "DB016",
            "replication-slot",
            if retained > 10 << 30 { Severity::Error } else { Severity::Warning },
            &name,
            format!(
                "replication slot {name} {} and retains {} of WAL: the disk fills until it is consumed or dropped",
                if active { "lags" } else { "is inactive" },
                size(retained)
            ),
            vec![("type", s(&r, 1)), ("active", active.to_string()), ("retained WAL", size(retained))],
            Some(format!("SELECT pg_drop_replication_slot('{}');  -- if its consumer is gone", name.replace('\'', "''"))),
        );
    }
}

/// Replication lag. On a primary: each standby in pg_stat_replication not streaming, or replaying more
/// than `replication_lag_s` behind (or a gigabyte of WAL). On a replica: replay paused, or received WAL
/// waiting to be replayed for longer than that.
fn replication_lag(cx: &mut Ctx) {
    let limit = cx.limits.replication_lag_s;
    if cx.report.replica {
        let sql = "SELECT pg_is_wal_replay_paused(), \
                   coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::int8, \
                   coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8";
        let Some(rows) = cx.rows("replication lag", sql) else {
            return;
        };
        let Some(r) = rows.first() else { return };
        let paused: bool = r.try_get(0).unwrap_or(false);
        let (waiting, age) = (i(r, 1), f(r, 2));
        if paused || (waiting > 0 && age > limit) {
            cx.find(
                "DB026",
                "replication-lag",
                Severity::Warning,
                "this replica",
                if paused {
                    "WAL replay is paused on this replica: it serves ever older data".to_string()
                } else {
                    format!(
                        "this replica replays {:.0} s behind: reads see old data",
                        age
                    )
                },
                vec![
                    ("replay paused", paused.to_string()),
                    ("received, not replayed", size(waiting)),
                    ("last replayed transaction", format!("{age:.0} s ago")),
                ],
                paused.then(|| "SELECT pg_wal_replay_resume();".to_string()),
            );
        }
        return;
    }
    let sql = "SELECT coalesce(application_name, '') || coalesce(' (' || client_addr::text || ')', ''), state, \
               coalesce(extract(epoch FROM replay_lag), 0)::float8, \
               coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::int8 \
               FROM pg_stat_replication";
    let Some(rows) = cx.rows("replication lag", sql) else {
        return;
    };
    for r in rows {
        let (name, state, lag, behind) = (s(&r, 0), s(&r, 1), f(&r, 2), i(&r, 3));
        if state == "streaming" && lag < limit && behind < 1 << 30 {
            continue;
        }
        cx.find(
            "DB026",
            "replication-lag",
            if lag > limit * 10.0 || behind > 10 << 30 {
                Severity::Error
            } else {
                Severity::Warning
            },
            &format!("standby {name}"),
            format!(
                "standby {name} is {state}, {lag:.0} s and {} of WAL behind: failover would lose or wait for that much",
                size(behind)
            ),
            vec![
                ("state", state.clone()),
                ("replay lag", format!("{lag:.1} s")),
                ("WAL behind", size(behind)),
            ],
            None,
        );
    }
}

fn tenant_tables_without_rls(cx: &mut Ctx) {
    let list: Vec<String> = cx
        .tenant_columns
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''")))
        .collect();
    if list.is_empty() {
        return;
    }
    let sql = format!(
        "SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND a.attname IN ({}) AND {USER} ORDER BY 1",
        list.join(", ")
    );
    let Some(rows) = cx.rows("tenant tables without row level security", &sql) else {
        return;
    };
    for r in rows {
        let (t, col) = (s(&r, 0), s(&r, 1));
        cx.find(
            "SEC002",
            "tenant-table-without-rls",
            Severity::Warning,
            &t,
            format!("{t} is scoped by {col} but row level security is off: one missing WHERE leaks another tenant's rows"),
            vec![("tenant column", col.clone())],
            Some(format!(
                "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tenant_isolation ON {t} USING ({col} = current_setting('app.{col}')::bigint);"
            )),
        );
    }
}

fn superuser_logins(cx: &mut Ctx) {
    let sql = "SELECT rolname::text, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles \
               WHERE rolcanlogin AND oid <> 10 AND (rolsuper OR rolbypassrls OR rolcreaterole) ORDER BY 1";
    let Some(rows) = cx.rows("over-privileged login roles", sql) else {
        return;
    };
    for r in rows {
        let role = s(&r, 0);
        let mut powers = vec![];
        if b(&r, 1) {
            powers.push("SUPERUSER");
        }
        if b(&r, 2) {
            powers.push("BYPASSRLS");
        }
        if b(&r, 3) {
            powers.push("CREATEROLE");
        }
        let superuser = b(&r, 1);
        cx.find(
            "DB018",
            "over-privileged-login",
            if superuser { Severity::Error } else { Severity::Warning },
            &role,
            format!("login role {role} has {}: a leaked password of an application role is then the whole cluster", powers.join(", ")),
            vec![("attributes", powers.join(" "))],
            Some(format!(
                "ALTER ROLE {} NO{};",
                crate::quote_ident(&role),
                powers.join(" NO")
            )),
        );
    }
}

fn md5_passwords(cx: &mut Ctx) {
    if let Some(rows) = cx.rows(
        "password encryption",
        "SELECT current_setting('password_encryption')",
    ) && rows.first().map(|r| s(r, 0)) == Some("md5".into())
    {
        cx.find(
                "DB019",
                "md5-passwords",
                Severity::Warning,
                "password_encryption",
                "password_encryption is md5: new passwords are stored as MD5 hashes".into(),
                vec![("password_encryption", "md5".into())],
                Some("ALTER SYSTEM SET password_encryption = 'scram-sha-256'; SELECT pg_reload_conf();  -- then reset each password".into()),
            );
    }
    // Reading the stored hashes needs a superuser: without one this part is skipped.
    let Some(rows) = cx.rows(
        "md5 password hashes",
        "SELECT rolname::text FROM pg_authid WHERE rolcanlogin AND rolpassword LIKE 'md5%' ORDER BY 1",
    ) else {
        return;
    };
    for r in rows {
        let role = s(&r, 0);
        cx.find(
            "DB019",
            "md5-passwords",
            Severity::Warning,
            &role,
            format!("role {role} has an MD5 password hash: weak, and unusable once md5 authentication is removed"),
            vec![],
            Some(format!(
                "SET password_encryption = 'scram-sha-256'; \\password {}",
                crate::quote_ident(&role)
            )),
        );
    }
}

fn ssl_off(cx: &mut Ctx) {
    let Some(rows) = cx.rows("ssl", "SELECT current_setting('ssl')") else {
        return;
    };
    if rows.first().map(|r| s(r, 0)) == Some("off".into()) {
        cx.find(
            "DB020",
            "ssl-off",
            Severity::Warning,
            "ssl",
            "ssl is off: passwords (md5) and data cross the network in clear unless the network is private".into(),
            vec![("ssl", "off".into())],
            Some("-- install a certificate (ssl_cert_file, ssl_key_file), then:\nALTER SYSTEM SET ssl = on; SELECT pg_reload_conf();".into()),
        );
    }
}

fn security_definer_search_path(cx: &mut Ctx) {
    let sql = "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
               WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\\_path=%') \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1";
    let Some(rows) = cx.rows("SECURITY DEFINER functions", sql) else {
        return;
    };
    for r in rows {
        let f = s(&r, 0);
        cx.find(
            "SEC005",
            "security-definer-search-path",
            Severity::Warning,
            &f,
            format!("SECURITY DEFINER function {f} does not pin its search_path: a caller can make it run their objects with the owner's rights"),
            vec![],
            Some(format!("ALTER FUNCTION {f} SET search_path = pg_catalog, pg_temp;")),
        );
    }
}

fn public_grants(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
         WHERE a.grantee = 0 AND c.relkind IN ('r', 'p', 'v', 'm') AND {USER} GROUP BY 1 ORDER BY 1"
    );
    let Some(rows) = cx.rows("grants to PUBLIC", &sql) else {
        return;
    };
    for r in rows {
        let (t, privs) = (s(&r, 0), s(&r, 1));
        cx.find(
            "SEC003",
            "grant-to-public",
            Severity::Warning,
            &t,
            format!("{privs} on {t} is granted to PUBLIC: every role that can connect has it"),
            vec![("privileges", privs.clone())],
            Some(format!("REVOKE {privs} ON {t} FROM PUBLIC;")),
        );
    }
}

fn settings(cx: &mut Ctx) {
    let sql = "SELECT name, setting, current_setting(name), boot_val, source FROM pg_settings \
               WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'maintenance_work_mem')";
    let Some(rows) = cx.rows("settings", sql) else {
        return;
    };
    for r in rows {
        let (name, setting, boot, source) = (s(&r, 0), s(&r, 1), s(&r, 3), s(&r, 4));
        let at_default = setting == boot && source == "default";
        let advice = match name.as_str() {
            "shared_buffers" if at_default || setting == "16384" => Some(
                "shared_buffers is at its 128 MB default: about 25 % of the server's memory is usual",
            ),
            "work_mem" if at_default => Some(
                "work_mem is at its 4 MB default: sorts and hashes beyond it spill to disk (size it by max_connections and memory)",
            ),
            "effective_cache_size" if at_default => Some(
                "effective_cache_size is at its 4 GB default: set it to about 75 % of memory so the planner knows what the OS caches",
            ),
            "random_page_cost" if setting == "4" => Some(
                "random_page_cost is 4, tuned for spinning disks: on SSD or cloud storage 1.1 makes index scans cost what they do",
            ),
            _ => None,
        };
        if let Some(message) = advice {
            cx.find(
                "DB023",
                "setting",
                Severity::Info,
                &name,
                message.to_string(),
                vec![("current", s(&r, 2))],
                Some(format!(
                    "ALTER SYSTEM SET {name} = '...'; SELECT pg_reload_conf();"
                )),
            );
        }
    }
}

#[cfg(test)]
mod bloat_tests {
    use super::*;

    fn col(len: i16, align: u8, width: f64, null_frac: f64) -> ColumnLayout {
        ColumnLayout {
            len,
            align,
            width,
            null_frac,
        }
    }

    // Sizes measured on PostgreSQL 15 right after VACUUM FULL (8 kB blocks), with pg_stats' widths.
    #[test]
    fn heap_estimate_matches_packed_tables() {
        // (id int, v text = md5): 150,000 rows took 10,000 kB = 1,250 pages.
        let cols = [col(4, b'i', 4.0, 0.0), col(-1, b'i', 33.0, 0.0)];
        assert_eq!(expected_heap_pages(150_000.0, &cols, 1.0, 8192.0), 1250.0);
        // (id bigint, email text, note text a third null, n int, created timestamptz): 60,000 rows took
        // 760 pages.
        let cols = [
            col(8, b'd', 8.0, 0.0),
            col(-1, b'i', 22.0, 0.0),
            col(-1, b'i', 41.0, 0.333),
            col(4, b'i', 4.0, 0.0),
            col(8, b'd', 8.0, 0.0),
        ];
        let pages = expected_heap_pages(60_000.0, &cols, 1.0, 8192.0);
        assert!((pages - 760.0).abs() / 760.0 < 0.05, "{pages}");
    }

    #[test]
    fn btree_estimate_matches_fresh_indexes() {
        // An index on the md5 text column: 150,000 entries took 1,084 pages.
        let pages = expected_btree_pages(150_000.0, &[col(-1, b'i', 33.0, 0.0)], 0.9, 8192.0);
        assert!((pages - 1084.0).abs() / 1084.0 < 0.05, "{pages}");
    }

    #[test]
    fn alignment_padding_counts() {
        // int4 then int8: the int8 starts at offset 8, not 4.
        let cols = [col(4, b'i', 4.0, 0.0), col(8, b'd', 8.0, 0.0)];
        assert_eq!(data_width(&cols), 16.0);
        // Always-null columns take no space.
        assert_eq!(data_width(&[col(8, b'd', 8.0, 1.0)]), 0.0);
    }
}
