//! Sessions and queries: cache hit ratio, long transactions, lock waits, connections, slowest queries.

use dbarch_report::Severity;

use super::*;

pub(super) fn cache_hit(cx: &mut Ctx) {
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

pub(super) fn long_transactions(cx: &mut Ctx) {
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

pub(super) fn blocked_queries(cx: &mut Ctx) {
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

pub(super) fn connections(cx: &mut Ctx) {
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
