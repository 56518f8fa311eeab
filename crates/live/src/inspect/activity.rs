//! Sessions and queries: cache hit ratio, long transactions, lock waits, connections, slowest queries.

use dbarch_report::Severity;

use super::*;

/// Block hits and reads of tables and of indexes.
pub(super) struct CacheUse {
    heap_hit: f64,
    heap_read: f64,
    index_hit: f64,
    index_read: f64,
}

pub(super) fn cache_hit(cx: &mut Ctx) {
    let sql = "SELECT sum(heap_blks_hit)::float8, sum(heap_blks_read)::float8, sum(idx_blks_hit)::float8, sum(idx_blks_read)::float8 FROM pg_statio_user_tables";
    let Some(facts) = cx.read("cache hit ratio", sql, |r| CacheUse {
        heap_hit: f(r, 0),
        heap_read: f(r, 1),
        index_hit: f(r, 2),
        index_read: f(r, 3),
    }) else {
        return;
    };
    let Some(c) = facts.first() else { return };
    let limit = cx.limits.cache_hit;
    cx.add(judge_cache(c, limit));
}

fn judge_cache(c: &CacheUse, limit: f64) -> Vec<HealthFinding> {
    let mut out = vec![];
    for (kind, hit, read) in [
        ("table", c.heap_hit, c.heap_read),
        ("index", c.index_hit, c.index_read),
    ] {
        // Too little traffic to judge.
        if hit + read < 10_000.0 {
            continue;
        }
        let ratio = hit / (hit + read);
        if ratio < limit {
            out.push(finding(
                "DB011",
                "low-cache-hit-ratio",
                Severity::Warning,
                kind,
                format!("{kind} cache hit ratio is {:.1} %: reads go to disk (or the OS cache) more than they should", ratio * 100.0),
                vec![("hits", format!("{hit:.0}")), ("reads", format!("{read:.0}"))],
                Some("-- more shared_buffers (about 25 % of RAM; ALTER SYSTEM, then a restart), or fewer full scans (see the slowest queries)".into()),
            ));
        }
    }
    out
}

/// A session in a transaction.
pub(super) struct OpenTransaction {
    pid: i32,
    user: String,
    state: String,
    seconds: f64,
    query: String,
}

pub(super) fn long_transactions(cx: &mut Ctx) {
    let sql = format!(
        "SELECT pid, usename::text, state, extract(epoch FROM now() - xact_start)::float8, left(query, 120) FROM pg_stat_activity \
         WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
           AND now() - xact_start > interval '{} seconds' ORDER BY xact_start",
        cx.limits.long_transaction_s
    );
    let Some(facts) = cx.read("long-running transactions", &sql, |r| OpenTransaction {
        pid: int4(r, 0),
        user: s(r, 1),
        state: s(r, 2),
        seconds: f(r, 3),
        query: s(r, 4),
    }) else {
        return;
    };
    cx.add(judge_long_transactions(&facts));
}

fn judge_long_transactions(facts: &[OpenTransaction]) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|t| {
            let pid = t.pid;
            let idle = t.state.starts_with("idle in transaction");
            finding(
                "DB012",
                if idle { "idle-in-transaction" } else { "long-transaction" },
                Severity::Warning,
                &format!("pid {pid}"),
                format!(
                    "session {pid} ({}) has been {} for {:.0} s: it holds its locks and stops vacuum from removing dead rows",
                    t.user,
                    if idle { "idle in a transaction" } else { "in one transaction" },
                    t.seconds
                ),
                vec![("state", t.state.clone()), ("query", t.query.clone())],
                Some(format!("SELECT pg_terminate_backend({pid});  -- and set idle_in_transaction_session_timeout")),
            )
        })
        .collect()
}

/// A session waiting for a lock.
pub(super) struct BlockedSession {
    pid: i32,
    blocked_by: String,
    seconds: f64,
    query: String,
}

pub(super) fn blocked_queries(cx: &mut Ctx) {
    let sql = "SELECT pid, pg_blocking_pids(pid)::text, extract(epoch FROM now() - query_start)::float8, left(query, 120) FROM pg_stat_activity \
               WHERE cardinality(pg_blocking_pids(pid)) > 0";
    let Some(facts) = cx.read("blocked queries", sql, |r| BlockedSession {
        pid: int4(r, 0),
        blocked_by: s(r, 1),
        seconds: f(r, 2),
        query: s(r, 3),
    }) else {
        return;
    };
    cx.add(judge_blocked(&facts));
}

fn judge_blocked(facts: &[BlockedSession]) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|b| {
            finding(
                "DB013",
                "blocked-query",
                Severity::Warning,
                &format!("pid {}", b.pid),
                format!(
                    "session {} has waited {:.0} s for a lock held by {}",
                    b.pid, b.seconds, b.blocked_by
                ),
                vec![
                    ("blocked by", b.blocked_by.clone()),
                    ("query", b.query.clone()),
                ],
                None,
            )
        })
        .collect()
}

pub(super) struct Connections {
    used: i64,
    max: i64,
    reserved: i64,
}

pub(super) fn connections(cx: &mut Ctx) {
    let sql = "SELECT count(*)::int8, current_setting('max_connections')::int8, current_setting('superuser_reserved_connections')::int8 FROM pg_stat_activity WHERE backend_type = 'client backend'";
    let Some(facts) = cx.read("connections", sql, |r| Connections {
        used: i(r, 0),
        max: i(r, 1),
        reserved: i(r, 2),
    }) else {
        return;
    };
    let Some(c) = facts.first() else { return };
    cx.add(judge_connections(c));
}

fn judge_connections(c: &Connections) -> Vec<HealthFinding> {
    let (used, max, reserved) = (c.used, c.max, c.reserved);
    let mut out = vec![];
    let share = used as f64 / (max - reserved).max(1) as f64;
    if share > 0.8 {
        out.push(finding(
            "DB014",
            "connections-near-max",
            if share > 0.95 { Severity::Error } else { Severity::Warning },
            "max_connections",
            format!("{used} of {max} connections in use ({:.0} %)", share * 100.0),
            vec![("connections", used.to_string()), ("max_connections", max.to_string())],
            Some("-- put a pooler (PgBouncer, transaction mode) in front rather than raising max_connections".into()),
        ));
    }
    if max > 500 {
        out.push(finding(
            "DB014",
            "connections-near-max",
            Severity::Info,
            "max_connections setting",
            format!("max_connections is {max}: each backend costs memory and snapshot work; a pool of a few times the cores serves more"),
            vec![("max_connections", max.to_string())],
            Some("ALTER SYSTEM SET max_connections = 200;  -- with a connection pooler".into()),
        ));
    }
    out
}

/// A statement of pg_stat_statements.
pub(super) struct StatementTime {
    id: String,
    calls: i64,
    total_ms: f64,
    mean_ms: f64,
    query: String,
}

pub(super) fn slow_queries(cx: &mut Ctx) {
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
    let Some(facts) = cx.read("slowest queries", sql, |r| StatementTime {
        id: s(r, 0),
        calls: i(r, 1),
        total_ms: f(r, 2),
        mean_ms: f(r, 3),
        query: s(r, 4),
    }) else {
        return;
    };
    cx.add(judge_slow(&facts));
}

fn judge_slow(facts: &[StatementTime]) -> Vec<HealthFinding> {
    let total: f64 = facts.iter().map(|q| q.total_ms).sum();
    facts
        .iter()
        .filter(|q| q.total_ms >= 1000.0)
        .map(|q| {
            finding(
                "DB015",
                "slow-query",
                Severity::Info,
                &format!("query {}", q.id),
                format!(
                    "{:.0} ms in {} calls ({:.1} ms each): {}",
                    q.total_ms, q.calls, q.mean_ms, q.query
                ),
                vec![
                    ("total ms", format!("{:.0}", q.total_ms)),
                    (
                        "share of the top 5",
                        format!("{:.0} %", q.total_ms / total.max(1.0) * 100.0),
                    ),
                ],
                Some("-- dbarch explain --db URL --query '...' to see why; dbarch advise --db URL for indexes".into()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_is_judged_without_a_server() {
        let c = judge_connections(&Connections {
            used: 95,
            max: 100,
            reserved: 3,
        });
        assert_eq!(c[0].severity, Severity::Error);
        assert!(
            judge_connections(&Connections {
                used: 10,
                max: 100,
                reserved: 3
            })
            .is_empty()
        );
        let t = judge_long_transactions(&[OpenTransaction {
            pid: 42,
            user: "app".into(),
            state: "idle in transaction".into(),
            seconds: 900.0,
            query: "UPDATE t SET a = 1".into(),
        }]);
        assert_eq!(t[0].name, "idle-in-transaction");
        let cache = judge_cache(
            &CacheUse {
                heap_hit: 50_000.0,
                heap_read: 50_000.0,
                index_hit: 100.0,
                index_read: 0.0,
            },
            0.95,
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(cache[0].object, "table");
    }
}
