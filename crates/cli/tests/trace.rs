//! `dbarch migrate trace` against real servers: a throwaway cluster it starts itself, and a database
//! given with --db (which must be left as it was).

use crate::common::*;

#[test]
fn the_shop_history_traced_in_a_throwaway_cluster_agrees_with_the_lock_report() {
    let o = dbarch(
        &[
            "migrate",
            "trace",
            "examples/shop/migrations",
            "--format",
            "json",
        ],
        &repo(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = json(&o);
    let s = &r["summary"];
    assert!(s["statements"].as_u64().unwrap() >= 30, "{s}");
    assert_eq!(s["differ"], 0, "{r:#}");
    assert_eq!(s["unpredicted"], 0, "{r:#}");
    assert_eq!(s["failed"], 0, "{r:#}");
    // The FK to an existing table locks that table, as the static report says.
    let payments = r["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file"].as_str().unwrap().ends_with("008_payments.sql"))
        .unwrap();
    let create = &payments["statements"][0];
    assert_eq!(create["locks"][0]["mode"], "SHARE ROW EXCLUSIVE");
    assert_eq!(create["locks"][0]["object"], "orders");
}

#[test]
fn trace_reports_what_differs_and_what_fails() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w(
        "001_init.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance numeric(12,2) CHECK (balance >= 0));\n",
    );
    // Linted as unsafe statically; traced for real: a rewrite, a scan, and CONCURRENTLY outside a
    // transaction block (its plain form keeps the rest of the migration working).
    w(
        "002_change.sql",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\n\
         ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14,2);\n\
         CREATE UNIQUE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n\
         ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_idx;\n",
    );
    w("003_broken.sql", "ALTER TABLE accounts DROP COLUMN nope;\n");
    w("004_never.sql", "CREATE TABLE later (id int);\n");
    let o = dbarch(
        &[
            "migrate",
            "trace",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(1), "a failing migration exits 1");
    let r = json(&o);
    let m = r["migrations"].as_array().unwrap();
    assert_eq!(
        m.len(),
        3,
        "the run stops at the migration that fails: {r:#}"
    );
    let st = m[1]["statements"].as_array().unwrap();
    assert_eq!(
        st[0]["rewritten"][0], "accounts",
        "text to varchar(200) rewrites"
    );
    assert_eq!(st[0]["verdict"], "agrees", "{:#}", st[0]);
    assert_eq!(st[1]["scanned"][0], "accounts", "the CHECK is re-checked");
    assert_eq!(st[1]["verdict"], "agrees", "{:#}", st[1]);
    assert_eq!(st[2]["status"], "outside-transaction");
    assert_eq!(st[3]["status"], "ran", "{:#}", st[3]);
    assert_eq!(m[2]["statements"][0]["status"], "failed");
    assert!(m[2]["apply_error"].as_str().unwrap().contains("nope"));
}

#[test]
fn trace_on_a_given_database_changes_nothing() {
    let cluster = dbarch_testkit::cluster();
    let mut client = dbarch_testkit::database(&cluster, "app");
    client
        .batch_execute(
            "CREATE TABLE users (id bigint PRIMARY KEY, name text);
             INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g;",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("001_more.sql"),
        "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;\n\
         CREATE INDEX users_name_idx ON users (name);\n\
         UPDATE users SET name = upper(name);\n",
    )
    .unwrap();
    let url = cluster.url("app");
    let o = dbarch(
        &[
            "migrate",
            "trace",
            dir.path().to_str().unwrap(),
            "--db",
            &url,
            "--format",
            "json",
        ],
        &repo(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = json(&o);
    let st = &r["migrations"][0]["statements"];
    assert_eq!(st[0]["locks"][0]["mode"], "ACCESS EXCLUSIVE");
    assert_eq!(st[1]["locks"][0]["mode"], "SHARE");
    assert_eq!(st[2]["locks"][0]["mode"], "ROW EXCLUSIVE");
    let columns: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(columns, 2, "the column added by the trace was rolled back");
    let upper: i64 = client
        .query_one("SELECT count(*) FROM users WHERE name <> lower(name)", &[])
        .unwrap()
        .get(0);
    assert_eq!(upper, 0, "the UPDATE was rolled back");
    let indexes: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'users'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(indexes, 1);
}
