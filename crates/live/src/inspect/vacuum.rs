//! Vacuum: dead rows, autovacuum switched off, transaction ID wraparound.

use dbarch_report::Severity;

use super::*;

pub(super) fn dead_tuples(cx: &mut Ctx) {
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

pub(super) fn autovacuum_disabled(cx: &mut Ctx) {
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

pub(super) fn wraparound(cx: &mut Ctx) {
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
