//! Vacuum: dead rows, autovacuum switched off, transaction ID wraparound.

use dbarch_report::Severity;

use super::*;

pub(super) struct DeadRows {
    table: QualifiedName,
    live: i64,
    dead: i64,
    last_vacuum: String,
    bytes: i64,
}

pub(super) fn dead_tuples(cx: &mut Ctx) {
    let sql = format!(
        "SELECT s.schemaname::text, s.relname::text, s.n_live_tup, s.n_dead_tup, \
                coalesce(greatest(s.last_autovacuum, s.last_vacuum)::text, 'never'), pg_table_size(s.relid) \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE s.n_dead_tup >= {} AND s.n_dead_tup >= {} * (s.n_live_tup + s.n_dead_tup) AND {USER} ORDER BY s.n_dead_tup DESC",
        cx.limits.dead_rows, cx.limits.dead_fraction
    );
    let Some(facts) = cx.read("dead tuples", &sql, |r| DeadRows {
        table: relation(r, 0),
        live: i(r, 2),
        dead: i(r, 3),
        last_vacuum: s(r, 4),
        bytes: i(r, 5),
    }) else {
        return;
    };
    cx.add(judge_dead_rows(&facts));
}

fn judge_dead_rows(facts: &[DeadRows]) -> Vec<HealthFinding> {
    use dbarch_sql::change::Maintenance;
    facts
        .iter()
        .map(|d| {
            let t = dotted(&d.table);
            let share = d.dead as f64 / (d.live + d.dead).max(1) as f64;
            let vacuum = SchemaChange::Maintain(Maintenance::Vacuum {
                tables: vec![dbarch_catalog::make::name(&d.table)],
                full: false,
                analyze: true,
                analyze_only: false,
            });
            finding(
                "DB007",
                "dead-tuples",
                Severity::Warning,
                &t,
                format!(
                    "{t} is {:.0} % dead rows: scans read them, and the table stays bloated",
                    share * 100.0
                ),
                vec![
                    ("dead rows", d.dead.to_string()),
                    ("live rows", d.live.to_string()),
                    ("last vacuum", d.last_vacuum.clone()),
                    ("table size", size(d.bytes)),
                ],
                fix(&[vacuum]),
            )
        })
        .collect()
}

pub(super) struct AutovacuumOff {
    table: QualifiedName,
    options: String,
}

pub(super) fn autovacuum_disabled(cx: &mut Ctx) {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, array_to_string(c.reloptions, ', ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'm') AND {USER} AND c.reloptions::text[] && ARRAY['autovacuum_enabled=false', 'autovacuum_enabled=off', 'toast.autovacuum_enabled=false'] \
         ORDER BY quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
    );
    if let Some(facts) = cx.read("autovacuum disabled", &sql, |r| AutovacuumOff {
        table: relation(r, 0),
        options: s(r, 2),
    }) {
        cx.add(judge_autovacuum_off(&facts));
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

fn judge_autovacuum_off(facts: &[AutovacuumOff]) -> Vec<HealthFinding> {
    use dbarch_sql::change::AlterTable;
    facts
        .iter()
        .map(|a| {
            let t = dotted(&a.table);
            // The options that switch it off, reset to their defaults (on).
            let off: Vec<String> = a
                .options
                .split(", ")
                .filter_map(|o| o.split_once('='))
                .filter(|(k, v)| k.ends_with("autovacuum_enabled") && matches!(*v, "false" | "off"))
                .map(|(k, _)| k.to_string())
                .collect();
            let reset = dbarch_catalog::make::alter(&a.table, vec![AlterTable::ResetOptions(off)]);
            finding(
                "DB008",
                "autovacuum-disabled",
                Severity::Warning,
                &t,
                format!("autovacuum is disabled on {t}: dead rows pile up and its transaction IDs age toward wraparound"),
                vec![("options", a.options.clone())],
                fix(&[reset]),
            )
        })
        .collect()
}

pub(super) struct DatabaseAge {
    database: String,
    age: i64,
}

pub(super) fn wraparound(cx: &mut Ctx) {
    let sql = "SELECT datname, age(datfrozenxid)::int8 FROM pg_database WHERE datallowconn ORDER BY 2 DESC";
    let Some(facts) = cx.read("transaction ID wraparound", sql, |r| DatabaseAge {
        database: s(r, 0),
        age: i(r, 1),
    }) else {
        return;
    };
    let limit = cx.limits.xid_age;
    cx.add(judge_wraparound(&facts, limit));
}

fn judge_wraparound(facts: &[DatabaseAge], limit: i64) -> Vec<HealthFinding> {
    facts
        .iter()
        .filter(|d| d.age >= limit)
        .map(|d| {
            let (db, age) = (&d.database, d.age);
            finding(
                "DB009",
                "xid-wraparound",
                if age > 1_500_000_000 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                db,
                format!("database {db} is {age} transactions from its last freeze: at 2,000,000,000 the server stops taking writes"),
                vec![("age", age.to_string()), ("of 2^31", format!("{:.0} %", age as f64 / 2147483648.0 * 100.0))],
                Some("VACUUM (FREEZE, VERBOSE);  -- in that database, oldest tables first; check what holds back the xmin horizon".into()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacuum_fixes_are_written_by_the_emitter() {
        let t = QualifiedName::new("app", "Events");
        let d = judge_dead_rows(&[DeadRows {
            table: t.clone(),
            live: 10,
            dead: 90,
            last_vacuum: "never".into(),
            bytes: 8192,
        }]);
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("VACUUM (ANALYZE) app.\"Events\";")
        );
        let a = judge_autovacuum_off(&[AutovacuumOff {
            table: t,
            options: "fillfactor=70, autovacuum_enabled=false, toast.autovacuum_enabled=off".into(),
        }]);
        assert_eq!(
            a[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "ALTER TABLE app.\"Events\" RESET (autovacuum_enabled, toast.autovacuum_enabled);"
            )
        );
    }
}
