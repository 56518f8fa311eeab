//! `dbarch inspect` on a throwaway cluster seeded with planted problems — each one reported, with its
//! evidence and fix — and on a clean database that must trigger none of the database-level warnings. The
//! database is unchanged afterwards.

use crate::common::*;
use dbarch_testkit::{cluster, database};

/// Checks about the server as a whole (its settings), which a throwaway cluster trips whatever the
/// database holds.
const SERVER_WIDE: &[&str] = &["DB019", "DB020", "DB023", "DB014"];

fn codes(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["object"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn planted_problems_are_each_reported() {
    let c = cluster();
    let mut db = database(&c, "sick");
    db.batch_execute(
        "CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
         CREATE TABLE accounts (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), email text NOT NULL);
         CREATE INDEX accounts_email_idx ON accounts (email);
         CREATE INDEX accounts_email_copy_idx ON accounts (email);
         ALTER TABLE accounts ADD CONSTRAINT accounts_email_check CHECK (email <> '') NOT VALID;
         CREATE TABLE log_lines (line text);
         CREATE TABLE codes (id bigint PRIMARY KEY, code text NOT NULL);
         INSERT INTO codes VALUES (1, 'a'), (2, 'a');
         CREATE SEQUENCE ticket_numbers AS integer;
         SELECT setval('ticket_numbers', 2000000000);
         CREATE TABLE churn (id integer PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
         INSERT INTO churn SELECT g, 'x' FROM generate_series(1, 100000) g;
         DELETE FROM churn WHERE id > 10000;
         CREATE ROLE boss LOGIN SUPERUSER;
         -- A partitioned table: its foreign key is one finding (not one per partition, nor per clone
         -- PostgreSQL makes of a key to a partitioned table), and duplicates on a partition are found.
         CREATE TABLE visits (id bigint, at date NOT NULL, tenant_id bigint REFERENCES tenants (id),
                              note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
         CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE INDEX visits_2026_note_idx ON visits_2026 (note);
         CREATE INDEX visits_2026_note_copy_idx ON visits_2026 (note);
         CREATE TABLE visit_notes (id bigint PRIMARY KEY, visit_id bigint, visit_at date,
                                   FOREIGN KEY (visit_id, visit_at) REFERENCES visits (id, at));
         INSERT INTO tenants SELECT g, 't' || g FROM generate_series(1, 100) g;
         INSERT INTO visits SELECT g, DATE '2025-01-01' + (g % 700), g % 100 + 1, 'n'
           FROM generate_series(1, 20000) g;
         -- A SECURITY DEFINER function whose body names a table of another schema unqualified, and a
         -- grant to PUBLIC.
         CREATE SCHEMA vault;
         CREATE TABLE vault.keys (id bigint PRIMARY KEY);
         CREATE FUNCTION public.forget_key(k bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
           AS $$ BEGIN DELETE FROM keys WHERE id = k; END $$;
         GRANT SELECT ON codes TO PUBLIC;",
    )
    .unwrap();
    // Mass deletes leave a table and its index far larger than their rows need (bloat).
    db.batch_execute(
        "CREATE TABLE swollen (id bigint PRIMARY KEY, label text NOT NULL);
         INSERT INTO swollen SELECT g, 'label number ' || g || repeat('.', 40) FROM generate_series(1, 300000) g;
         CREATE INDEX swollen_label_idx ON swollen (label);
         DELETE FROM swollen WHERE id % 5 <> 0;",
    )
    .unwrap();
    db.batch_execute("VACUUM ANALYZE swollen").unwrap();
    // A failed concurrent build leaves an invalid index behind.
    assert!(
        db.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY codes_code_key ON codes (code)")
            .is_err()
    );
    // Make the dead tuples visible in the statistics views.
    db.batch_execute("SELECT pg_stat_force_next_flush()")
        .unwrap();
    for _ in 0..50 {
        let dead: i64 = db
            .query_one("SELECT coalesce(sum(n_dead_tup), 0)::int8 FROM pg_stat_user_tables WHERE relname = 'churn'", &[])
            .unwrap()
            .get(0);
        if dead > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let before: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);

    let url = c.url("sick");
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], &repo());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let got = codes(&v);
    let has = |code: &str, object: &str| got.iter().any(|(c, o)| c == code && o.contains(object));
    assert!(has("IDX001", "accounts_email"), "duplicate index: {got:?}");
    assert!(has("KEY002", "accounts"), "FK without index: {got:?}");
    assert!(has("SEC005", "forget_key"), "SECURITY DEFINER: {got:?}");
    assert!(has("SEC003", "codes"), "PUBLIC grant: {got:?}");
    let on = |code: &str, object: &str| {
        got.iter()
            .filter(|(c, o)| c == code && o.contains(object))
            .count()
    };
    assert_eq!(on("KEY002", "visits."), 1, "partitioned FK: {got:?}");
    assert_eq!(on("KEY002", "visits_20"), 0, "partitions' clones: {got:?}");
    assert_eq!(
        on("KEY002", "visit_notes"),
        1,
        "FK to a partitioned table: {got:?}"
    );
    assert!(
        has("IDX001", "visits_2026_note"),
        "duplicate on a partition: {got:?}"
    );
    assert_eq!(
        on("SEC002", "visits_20"),
        0,
        "partitions are judged with their parent: {got:?}"
    );
    assert!(has("DB004", "codes_code_key"), "invalid index: {got:?}");
    assert!(
        has("DB005", "accounts_email_check"),
        "NOT VALID constraint: {got:?}"
    );
    assert!(has("KEY001", "log_lines"), "table without key: {got:?}");
    assert!(has("DB007", "churn"), "dead tuples: {got:?}");
    assert!(has("DB008", "churn"), "autovacuum off: {got:?}");
    assert!(has("DB010", "ticket_numbers"), "sequence near max: {got:?}");
    assert!(
        has("SEC002", "accounts"),
        "tenant table without RLS: {got:?}"
    );
    assert!(has("DB018", "boss"), "superuser login: {got:?}");
    assert!(has("DB024", "swollen"), "table bloat: {got:?}");
    assert!(has("DB025", "swollen_label_idx"), "index bloat: {got:?}");
    // Only one of each two duplicates is to be dropped.
    assert_eq!(
        got.iter().filter(|(c, _)| c == "IDX001").count(),
        2,
        "{got:?}"
    );
    // Each finding carries evidence and, where one is safe, the fix.
    let dup = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IDX001")
        .unwrap();
    assert!(
        dup["fix"]["sql"]
            .as_str()
            .unwrap()
            .starts_with("DROP INDEX CONCURRENTLY"),
        "{dup}"
    );
    // Its cost, judged by the lock table on the database's own schema.
    assert_eq!(dup["fix"]["lock"], "SHARE UPDATE EXCLUSIVE", "{dup}");
    assert_eq!(dup["fix"]["rewrites"], false, "{dup}");
    assert!(dup["fix"]["locks"][0]["table"].as_str().is_some(), "{dup}");
    assert!(!dup["evidence"].as_array().unwrap().is_empty());
    assert_eq!(
        dup["fingerprint"],
        format!("IDX001:{}", dup["object"].as_str().unwrap())
    );
    let seq = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DB010")
        .unwrap();
    assert!(seq["message"].as_str().unwrap().contains("93 %"), "{seq}");

    // A cluster minutes old: its index counters say nothing yet about which indexes are unused.
    let skipped = v["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["check"] == "unused indexes"
            && s["reason"]
                .as_str()
                .unwrap()
                .contains("judged unused after 7 days")),
        "{skipped:?}"
    );
    assert!(!has("DB002", ""), "{got:?}");

    // The human report says the same.
    let o = dbarch(&["inspect", "--db", &url], &repo());
    let text = stdout(&o);
    assert!(
        text.starts_with("Inspected postgres://postgres@127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("error[DB004]"), "{text}");

    let after: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after, "inspect must not create anything");

    // Every fix that is schema SQL runs on the server as printed, one statement at a time (CONCURRENTLY
    // cannot run in a transaction block); server-wide settings and session commands are left alone.
    // Unused indexes go last: another fix may rebuild one of them first.
    let mut findings: Vec<&serde_json::Value> = v["findings"].as_array().unwrap().iter().collect();
    findings.sort_by_key(|f| f["code"] == "DB002");
    let mut failed = vec![];
    let mut ran = std::collections::BTreeSet::new();
    for f in findings {
        let Some(fix) = f["fix"]["sql"].as_str() else {
            continue;
        };
        for stmt in statements(fix) {
            let server_wide = ["ALTER SYSTEM", "SELECT pg_", "SET password_encryption"]
                .iter()
                .any(|w| stmt.starts_with(w));
            if server_wide || stmt.contains("'...'") {
                continue;
            }
            ran.insert(f["code"].as_str().unwrap_or_default().to_string());
            if let Err(e) = db.batch_execute(&stmt) {
                failed.push(format!(
                    "{}: {stmt}: {}",
                    f["code"],
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string())
                ));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "fixes the server refuses:\n{}",
        failed.join("\n")
    );
    // The pinned search_path still finds what the function's body names.
    db.batch_execute("SET search_path = public; SELECT forget_key(1)")
        .unwrap_or_else(|e| panic!("the function after its fix: {e}"));
    // And once they have run, the problems they fix are gone.
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], &repo());
    let left = codes(&json(&o));
    for (code, object) in [
        ("IDX001", "accounts_email"),
        ("KEY002", "accounts"),
        ("KEY002", "visits"),
        ("KEY002", "visit_notes"),
        ("IDX001", "visits_2026_note"),
        ("DB004", "codes_code_key"),
        ("DB005", "accounts_email_check"),
        ("KEY001", "log_lines"),
        ("DB008", "churn"),
        ("DB010", "ticket_numbers"),
        ("SEC002", "accounts"),
        ("SEC005", "forget_key"),
        ("SEC003", "codes"),
        ("DB018", "boss"),
        ("DB025", "swollen_label_idx"),
    ] {
        assert!(
            !left.iter().any(|(c, o)| c == code && o.contains(object)),
            "{code} on {object} is still reported after its fix: {left:?}"
        );
    }

    // Unused indexes, once the configuration trusts counters of any age: the fix drops them, and they
    // are no longer reported.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dbarch.toml"),
        "[options]\nunused-index-min-days = 0\n",
    )
    .unwrap();
    let config = dir.path().join("dbarch.toml");
    let config = config.to_str().unwrap();
    let inspect = || {
        json(&dbarch(
            &[
                "inspect", "--db", &url, "--config", config, "--format", "json",
            ],
            &repo(),
        ))
    };
    let unused: Vec<serde_json::Value> = inspect()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DB002")
        .cloned()
        .collect();
    assert!(
        !unused.is_empty(),
        "no unused index reported with counters of any age"
    );
    for f in &unused {
        for stmt in statements(f["fix"]["sql"].as_str().unwrap_or_default()) {
            db.batch_execute(&stmt)
                .unwrap_or_else(|e| panic!("DB002: `{stmt}` fails: {e}"));
        }
    }
    ran.insert("DB002".to_string());
    let left = codes(&inspect());
    for f in &unused {
        let object = f["object"].as_str().unwrap();
        assert!(
            !left.iter().any(|(c, o)| c == "DB002" && o == object),
            "DB002 on {object} after its fix: {left:?}"
        );
    }

    // Every live check that documents how safe its fix is had its fix run here, but those whose fix is
    // an action on the server rather than schema SQL, or whose problem a test cannot plant.
    const NOT_PLANTED: &[(&str, &str)] = &[
        (
            "DB009",
            "a database near transaction ID wraparound takes two billion transactions",
        ),
        (
            "DB012",
            "the fix ends a session (pg_terminate_backend), an action on the server",
        ),
        (
            "DB016",
            "the fix drops a replication slot (pg_drop_replication_slot), an action on the server",
        ),
    ];
    let untested: Vec<&str> = dbarch_lint::all_rules()
        .iter()
        .filter(|r| r.is_live_rule() && r.doc.fix_safety.is_some())
        .map(|r| r.code)
        .filter(|c| !ran.contains(*c) && !NOT_PLANTED.iter().any(|(n, _)| n == c))
        .collect();
    assert!(
        untested.is_empty(),
        "live checks with a fix no planted problem ran: {untested:?} (ran {ran:?})"
    );
}

/// The statements of a fix: `;`-separated, `--` comments dropped.
fn statements(fix: &str) -> Vec<String> {
    let text: String = fix
        .lines()
        .map(|l| match l.find("--") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn a_clean_database_has_no_database_level_warnings() {
    let c = cluster();
    let mut db = database(&c, "healthy");
    db.batch_execute(
        "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
         CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                tenant_id bigint NOT NULL REFERENCES tenants (id), email text NOT NULL);
         CREATE INDEX accounts_tenant_id_idx ON accounts (tenant_id);
         CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
         ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON accounts USING (tenant_id = current_setting('app.tenant_id')::bigint);
         INSERT INTO tenants (name) VALUES ('a'), ('b');
         -- A freshly loaded table of some size: its estimated bloat must stay under the limits.
         CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind int NOT NULL,
                              note text, at timestamptz NOT NULL DEFAULT now());
         INSERT INTO events (kind, note) SELECT g % 7, CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END
           FROM generate_series(1, 200000) g;
         ANALYZE;",
    )
    .unwrap();
    let o = dbarch(
        &["inspect", "--db", &c.url("healthy"), "--format", "json"],
        &repo(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v = json(&o);
    let local: Vec<(String, String)> = codes(&v)
        .into_iter()
        .filter(|(c, _)| !SERVER_WIDE.contains(&c.as_str()))
        .collect();
    assert!(local.is_empty(), "{local:?}\n{v:#}");
    assert!(v["checks_run"].as_u64().unwrap() >= 20);
}

#[test]
fn bad_connection_is_one_line() {
    let o = dbarch(
        &["inspect", "--db", "postgres://u:pw@127.0.0.1:1/x"],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains("pw@"), "{}", stderr(&o));
}

#[test]
fn a_least_privilege_role_gets_a_report_with_the_skipped_checks_named() {
    let c = cluster();
    let mut db = database(&c, "monitored");
    db.batch_execute(
        "CREATE TABLE t (id bigint PRIMARY KEY, parent_id bigint REFERENCES t (id));
         CREATE ROLE watcher LOGIN IN ROLE pg_monitor;",
    )
    .unwrap();
    let url = format!("postgres://watcher@127.0.0.1:{}/monitored", c.port());
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], &repo());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v = json(&o);
    // The FK check still runs (catalogs are readable by all)...
    assert!(codes(&v).iter().any(|(c, _)| c == "KEY002"), "{v:#}");
    // ...and reading password hashes needs a superuser: skipped, with the reason.
    let skipped = v["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["check"] == "md5 password hashes"
            && s["reason"].as_str().unwrap().contains("privilege")),
        "{v:#}"
    );
}

#[test]
fn a_replica_is_inspected_as_one_and_refused_for_writes() {
    let c = cluster();
    let mut db = database(&c, "replicated");
    db.batch_execute(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;",
    )
    .unwrap();
    let standby = c
        .start_standby()
        .unwrap_or_else(|e| panic!("cannot start a standby: {e}\n{}", c.log()));
    let url = standby.url("replicated");

    // Read-only commands work on a replica, and the report says what it is.
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], &repo());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert_eq!(json(&o)["replica"], true);
    let o = dbarch(&["inspect", "--db", &url], &repo());
    assert!(
        stdout(&o).contains("a replica in recovery"),
        "{}",
        stdout(&o)
    );
    let o = dbarch(&["lint", "--db", &url, "--format", "json"], &repo());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    // The primary sees its standby streaming, in step: no lag to report.
    for _ in 0..100 {
        let streaming = db
            .query(
                "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'",
                &[],
            )
            .unwrap();
        if !streaming.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let o = dbarch(
        &["inspect", "--db", &c.url("replicated"), "--format", "json"],
        &repo(),
    );
    let got = codes(&json(&o));
    assert!(!got.iter().any(|(c, _)| c == "DB026"), "{got:?}");
    // Replay paused on the replica: reported there, with the fix.
    let mut on_standby = standby.connect("replicated").unwrap();
    on_standby
        .batch_execute("SELECT pg_wal_replay_pause()")
        .unwrap();
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], &repo());
    let v = json(&o);
    let lag = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DB026")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(lag["fix"]["sql"], "SELECT pg_wal_replay_resume();");
    assert!(
        !v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["check"] == "replication slots"),
        "{v:#}"
    );
    on_standby
        .batch_execute("SELECT pg_wal_replay_resume()")
        .unwrap();

    // A command that writes is refused there, in one line.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "migrations/001_add.sql",
        "ALTER TABLE items ADD COLUMN note text;",
    );
    let o = dbarch(
        &["migrate", "trace", "migrations", "--db", &url],
        dir.path(),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("replica"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
