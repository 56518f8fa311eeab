//! A live database as a user points dbarch at it: the schema read from the system catalogs must be the
//! schema the DDL file describes (same catalog, same findings), statistics and pg_stat_statements come
//! along, nothing is written, and a wrong address is one clear line.

use crate::common::*;
use dbarch_testkit::{cluster, database};

fn fingerprints(v: &serde_json::Value, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut p: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| keep(f["code"].as_str().unwrap()))
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["fingerprint"].as_str().unwrap()
            )
        })
        .collect();
    p.sort();
    p
}

/// The live tests run against the oldest server version dbarch connects to: that is what makes them
/// cover every version it accepts (the catalog queries use nothing newer without checking the version).
#[test]
fn tests_run_against_the_oldest_version_accepted() {
    let c = cluster();
    let oldest = (dbarch_live::connect::OLDEST_SERVER / 10000) as u32;
    assert_eq!(
        c.version(),
        oldest,
        "the live tests must run against PostgreSQL {oldest}, the oldest version dbarch reads \
         (set DBARCH_PG_BINDIR to its server programs, e.g. /usr/lib/postgresql/{oldest}/bin)"
    );
}

#[test]
fn the_live_shop_reviews_like_its_ddl() {
    let c = cluster();
    let mut db = database(&c, "live_shop");
    let ddl = std::fs::read_to_string(repo().join("examples/shop/schema.sql")).unwrap();
    db.batch_execute(&ddl).unwrap();
    db.batch_execute("ANALYZE").unwrap();
    let url = c.url("live_shop");

    // The same schema rules find the same problems in the database as in the file.
    let live = json(&dbarch(
        &["lint", "--db", &url, "--format", "json"],
        &repo(),
    ));
    let file = json(&dbarch(
        &["lint", "examples/shop/schema.sql", "--format", "json"],
        &repo(),
    ));
    let schema_rule = |c: &str| !c.starts_with("QRY") && !c.starts_with("MIG");
    assert_eq!(
        fingerprints(&live, schema_rule),
        fingerprints(&file, schema_rule),
        "{live:#}"
    );
    // Findings name the database, without a password.
    let f = &live["findings"][0];
    assert!(f["file"].as_str().unwrap().contains("live_shop"), "{f}");

    // The catalog is unchanged: nothing was written.
    let before: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    let o = dbarch(&["review", "--db", &url], &repo());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("Reviewed 15 tables"),
        "{}",
        stdout(&o)
    );
    let after: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after);
}

#[test]
fn advise_reads_statistics_and_pg_stat_statements() {
    let c = cluster();
    let mut db = database(&c, "live_advise");
    db.batch_execute(
        "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint NOT NULL, \
                              kind text NOT NULL, at timestamptz NOT NULL DEFAULT now());
         INSERT INTO events (account_id, kind) SELECT g % 5000, 'k' || (g % 7) FROM generate_series(1, 200000) g;
         ANALYZE events;",
    )
    .unwrap();
    let url = c.url("live_advise");
    // pg_stats' most common values come along (kind has 7 values, each a seventh of the rows).
    let mut ro = dbarch_live::connect_read_only(&dbarch_live::target(Some(&url)).unwrap()).unwrap();
    let stats = dbarch_live::statistics(&mut ro).unwrap();
    let kind = &stats.tables["public.events"].columns["kind"];
    let common = kind.most_common.as_ref().expect("most common values");
    assert_eq!(common.len(), 7, "{common:?}");
    assert!(
        common
            .iter()
            .any(|(v, f)| v == "k3" && (f - 1.0 / 7.0).abs() < 0.02),
        "{common:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("workload.sql"),
        "-- calls: 1000\nSELECT id, kind FROM events WHERE account_id = $1;\n",
    )
    .unwrap();
    let o = dbarch(
        &["advise", "workload.sql", "--db", &url, "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let rec = &v["recommendations"][0];
    assert_eq!(rec["table"], "events", "{v:#}");
    assert_eq!(rec["columns"][0], "account_id", "{v:#}");
    // The statistics came from the database: 200,000 rows, not the 10,000 assumed without them.
    assert!(v["data_bytes"].as_f64().unwrap() > 5e6, "{v:#}");
    assert_eq!(
        v["verified"], false,
        "no HypoPG in this database: the offline model"
    );
    // Without pg_stat_statements and without workload files there is nothing to advise on: one line.
    let o = dbarch(&["advise", "--db", &url], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pg_stat_statements"), "{}", stderr(&o));
}

#[test]
fn advise_with_hypopg_verifies_with_the_planner() {
    let c = cluster();
    let mut db = database(&c, "whatif");
    dbarch_testkit::hypopg(&mut db);
    db.batch_execute(
        "CREATE EXTENSION pg_stat_statements;
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint NOT NULL,
                              status text NOT NULL, total numeric NOT NULL, placed_at timestamptz NOT NULL);
         INSERT INTO orders (customer_id, status, total, placed_at)
           SELECT g % 20000, (ARRAY['open', 'paid', 'shipped', 'closed'])[1 + g % 4], g % 500, now() - (g || ' minutes')::interval
           FROM generate_series(1, 300000) g;
         ANALYZE orders;
         SELECT pg_stat_statements_reset();",
    )
    .unwrap();
    // The application's queries, recorded by pg_stat_statements.
    for i in 0..30 {
        db.query(
            "SELECT id, total FROM orders WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT 10",
            &[&(i as i64)],
        )
        .unwrap();
    }
    // A literal the application writes is a parameter to pg_stat_statements (`status = $2`): no partial
    // index is fitted to one value of it.
    for i in 0..30 {
        db.query(
            "SELECT id FROM orders WHERE status = 'open' AND customer_id = $1",
            &[&(i as i64)],
        )
        .unwrap();
    }
    let before: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    let url = c.url("whatif");
    let o = dbarch(&["advise", "--db", &url, "--format", "json"], &repo());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["verified"], true, "{v:#}");
    assert!(v["planner_calls"].as_u64().unwrap() > 0);
    let rec = v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["columns"][0] == "customer_id")
        .unwrap_or_else(|| panic!("{v:#}"));
    let q = rec["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["sql"].as_str().unwrap().contains("customer_id = $1"))
        .unwrap_or_else(|| panic!("{rec:#}"));
    let (b, a) = (
        q["cost_before"].as_f64().unwrap(),
        q["cost_after"].as_f64().unwrap(),
    );
    // Planner costs: a sequential scan of 300,000 rows costs thousands, the index scan a few dozen.
    assert!(b > 1000.0 && a < b / 10.0, "{q}");
    assert_eq!(q["calls"], 30);
    for r in v["recommendations"].as_array().unwrap() {
        assert!(
            r["where"].is_null(),
            "a partial index fitted to a parameter: {r:#}"
        );
    }
    // dbarch's own catalog queries are marked, recorded as such, and not part of the workload.
    let marked: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '/* dbarch */%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(marked > 0, "dbarch's queries carry their mark");
    let again = dbarch(&["advise", "--db", &url, "--format", "json"], &repo());
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let v = json(&again);
    for r in v["recommendations"].as_array().unwrap() {
        for q in r["queries"].as_array().unwrap() {
            assert!(!q["sql"].as_str().unwrap().contains("/* dbarch */"), "{q}");
        }
    }
    // Nothing was created, and no hypothetical index outlives the command.
    let after: i64 = db
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after);
}

/// Over the server's Unix-domain socket (libpq's `host=/dir`): no TLS is tried there, whatever sslmode.
#[test]
fn a_unix_socket_is_reached_without_tls() {
    let c = cluster();
    let mut db = database(&c, "over_socket");
    db.batch_execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        .unwrap();
    let conninfo = format!(
        "host={} port={} user=postgres dbname=over_socket",
        c.socket_dir().display(),
        c.port()
    );
    let o = dbarch(&["review", "--db", &conninfo], &repo());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Reviewed 1 table"), "{}", stdout(&o));
}

#[test]
fn unreachable_or_refused_is_one_clear_line() {
    let o = dbarch(
        &["review", "--db", "postgres://app:s3cret@127.0.0.1:1/shop"],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("postgres://app:****@127.0.0.1:1/shop"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn explain_names_the_missing_index_and_the_misestimate() {
    let c = cluster();
    let mut db = database(&c, "explain");
    dbarch_testkit::hypopg(&mut db);
    // a and b always agree: the planner, taking them as independent, expects some 200 times too few rows.
    db.batch_execute(
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a integer NOT NULL, b integer NOT NULL, pad text);
         INSERT INTO t (a, b, pad) SELECT g % 200, g % 200, repeat('x', 50) FROM generate_series(1, 200000) g;
         ANALYZE t;",
    )
    .unwrap();
    let url = c.url("explain");
    let o = dbarch(
        &[
            "explain",
            "--db",
            &url,
            "--query",
            "SELECT id, pad FROM t WHERE a = 7 AND b = 7",
            "--analyze",
            "--format",
            "json",
        ],
        &repo(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["analyzed"], true);
    let tips = v["tips"].as_array().unwrap();
    let seq = tips
        .iter()
        .find(|t| t["code"] == "PLN003")
        .unwrap_or_else(|| panic!("{v:#}"));
    // The index is the advisor's pick for this query, costed by the planner (HypoPG is installed).
    let fix = seq["fix"]["sql"].as_str().unwrap();
    assert!(
        fix.starts_with("CREATE INDEX CONCURRENTLY ON public.t USING btree ("),
        "{seq}"
    );
    assert!(fix.contains("(a, b)") || fix.contains("(b, a)"), "{seq}");
    let evidence = seq["evidence"].as_array().unwrap();
    assert!(
        evidence.iter().any(|e| e["name"] == "planner cost with it"),
        "{seq}"
    );
    let mis = tips
        .iter()
        .find(|t| t["code"] == "PLN002")
        .unwrap_or_else(|| panic!("{v:#}"));
    // At least 100x: a warning (1000x would be an error).
    assert!(mis["severity"] != "info", "{mis}");
    // Writes are refused by the read-only session, even with --analyze.
    let o = dbarch(
        &[
            "explain",
            "--db",
            &url,
            "--query",
            "DELETE FROM t",
            "--analyze",
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(2));
    // Refused before anything is sent.
    assert!(stderr(&o).contains("writes"), "{}", stderr(&o));
    let n: i64 = db.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
    assert_eq!(n, 200000);
    // A plan file: the tree renders with each node's share of the time.
    let dir = tempfile::tempdir().unwrap();
    let plan = db
        .simple_query("EXPLAIN (FORMAT JSON, ANALYZE) SELECT count(*) FROM t WHERE a = 3")
        .unwrap()
        .into_iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap();
    std::fs::write(dir.path().join("plan.json"), plan).unwrap();
    let o = dbarch(&["explain", "plan.json"], dir.path());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(stdout(&o).contains("Seq Scan on t"), "{}", stdout(&o));
    // With the schema and the query, the offline advisor names the index (an estimated cost beside it).
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a integer NOT NULL, b integer NOT NULL, pad text);",
    )
    .unwrap();
    let o = dbarch(
        &[
            "explain",
            "plan.json",
            "--schema",
            "schema.sql",
            "--query",
            "SELECT count(*) FROM t WHERE a = 3",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let v = json(&o);
    let seq = v["tips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "PLN003")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        seq["fix"]["sql"]
            .as_str()
            .unwrap()
            .starts_with("CREATE INDEX CONCURRENTLY ON public.t USING btree (a"),
        "{seq}"
    );
    assert_eq!(seq["fix"]["lock"], "SHARE UPDATE EXCLUSIVE", "{seq}");
    assert_eq!(seq["fix"]["scans"], true, "{seq}");
    assert!(
        seq["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "estimated cost with it"),
        "{seq}"
    );
    std::fs::write(dir.path().join("bad.json"), "[{\"Plan\": ").unwrap();
    let o = dbarch(&["explain", "bad.json"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json:1:"), "{}", stderr(&o));
    // Each tip's fix runs on the server as printed, statement by statement, and the plan is then rid
    // of what the tips were about.
    // (Last: the index they build changes the plans the checks above read.)
    for t in tips {
        let Some(fix) = t["fix"]["sql"].as_str() else {
            continue;
        };
        for stmt in fix
            .split(";\n")
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.starts_with("--"))
        {
            db.batch_execute(stmt)
                .unwrap_or_else(|e| panic!("{}: `{stmt}` fails: {e}", t["code"]));
        }
    }
    let o = dbarch(
        &[
            "explain",
            "--db",
            &url,
            "--query",
            "SELECT id, pad FROM t WHERE a = 7 AND b = 7",
            "--analyze",
            "--format",
            "json",
        ],
        &repo(),
    );
    let again = json(&o);
    for code in ["PLN002", "PLN003"] {
        assert!(
            !again["tips"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["code"] == code),
            "{code} after the fixes: {again:#}"
        );
    }
}

#[test]
fn clusters_of_killed_processes_are_swept() {
    // A cluster directory whose owner process is gone (as when a benchmark is killed).
    let dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    let mut dead = dead;
    dead.wait().unwrap();
    let parent = if unsafe { libc_geteuid() } == 0 {
        std::path::PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let stale = parent.join(format!("dbarch-pg-stale-{pid}"));
    std::fs::create_dir_all(stale.join("data")).unwrap();
    std::fs::write(stale.join("owner.pid"), pid.to_string()).unwrap();
    let _c = cluster();
    assert!(!stale.exists(), "{} was left behind", stale.display());
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
