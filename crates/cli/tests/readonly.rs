//! Read-only means read-only: what dbarch sends on a user's behalf (`explain --query`, workload
//! statements costed through HypoPG) is one statement of a kind EXPLAIN only plans, refused with exit 2
//! before anything is sent otherwise. The server logs every statement (`log_statement = all`): dbarch's
//! sessions show nothing but reads, their own SETs, EXPLAIN of allowed statements and HypoPG's
//! functions, and the schema dump is the same before and after.

use crate::common::*;
use dbarch_testkit::cluster;

/// What a dbarch session may send, as the server logs it (after `statement: ` or `execute <name>: `).
fn allowed(statement: &str) -> bool {
    // dbarch's catalog queries carry its mark; what follows the mark is judged.
    let s = statement.trim_start();
    let s = s.strip_prefix("/* dbarch */").unwrap_or(s).trim_start();
    let upper = s.to_ascii_uppercase();
    let explain = |rest: &str| {
        let rest = rest.trim_start().to_ascii_uppercase();
        [
            "SELECT",
            "WITH",
            "VALUES",
            "TABLE",
            "INSERT",
            "UPDATE",
            "DELETE",
            "MERGE",
            "EXECUTE DBARCH_Q",
        ]
        .iter()
        .any(|k| rest.starts_with(k))
    };
    if let Some(rest) = upper.strip_prefix("EXPLAIN (FORMAT JSON, ANALYZE, BUFFERS) ") {
        // Run: queries only (and inside a transaction rolled back, checked below).
        let r = rest.trim_start();
        return ["SELECT", "WITH", "VALUES", "TABLE"]
            .iter()
            .any(|k| r.starts_with(k))
            && !r.contains("DELETE")
            && !r.contains("INSERT");
    }
    if let Some(rest) = upper.strip_prefix("EXPLAIN (FORMAT JSON) ") {
        return explain(rest);
    }
    if let Some(rest) = upper.strip_prefix("PREPARE DBARCH_Q AS ") {
        return explain(rest);
    }
    upper.starts_with("SELECT ")
        || upper.starts_with("WITH ")
        || upper.starts_with("SET ")
        || upper.starts_with("RESET ")
        || upper.starts_with("SHOW ")
        || upper == "DEALLOCATE ALL"
        || upper == "START TRANSACTION READ ONLY"
        || upper == "ROLLBACK"
}

fn pg_dump(c: &dbarch_testkit::TempCluster, db: &str) -> String {
    let o = std::process::Command::new(c.bindir().join("pg_dump"))
        .args(["--schema-only", "--no-comments", "-d", &c.url(db)])
        .output()
        .expect("run pg_dump");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Without the random key of pg_dump's `\restrict` lines.
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn nothing_but_reads_reaches_the_server() {
    let c = cluster();
    c.create_database("victims").unwrap();
    let mut setup = c.config("victims");
    setup.application_name("setup");
    let mut db = setup.connect(postgres::NoTls).unwrap();
    dbarch_testkit::hypopg(&mut db);
    db.batch_execute(
        "CREATE TABLE victim (a int PRIMARY KEY, b int);
         INSERT INTO victim SELECT g, g % 7 FROM generate_series(1, 20000) g;
         CREATE SEQUENCE s;
         ANALYZE victim;
         CREATE ROLE app LOGIN;
         CREATE SCHEMA app AUTHORIZATION app;
         GRANT SELECT, INSERT, UPDATE, DELETE ON victim TO app;",
    )
    .unwrap();
    for step in [
        "ALTER SYSTEM SET log_statement = 'all'",
        "ALTER SYSTEM SET log_line_prefix = '[%a] '",
        "SELECT pg_reload_conf()",
    ] {
        db.batch_execute(step).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = pg_dump(&c, "victims");
    let url = c.url("victims");
    let app_url = format!("postgres://app@127.0.0.1:{}/victims", c.port());
    let dir = tempfile::tempdir().unwrap();

    // Refused before anything is sent: exit 2, one clear line.
    let refused: &[(&str, bool)] = &[
        (
            "SELECT 1; COMMIT; BEGIN READ WRITE; DROP TABLE victim; COMMIT",
            false,
        ),
        ("SELECT 1; DROP TABLE victim", true),
        ("DROP TABLE victim", false),
        ("INSERT INTO victim VALUES (-1, 1)", true),
        ("UPDATE victim SET b = b + 1", true),
        ("DELETE FROM victim", true),
        (
            "WITH d AS (DELETE FROM victim RETURNING *) SELECT count(*) FROM d",
            true,
        ),
        ("CREATE TABLE made AS SELECT 1 AS x", true),
        ("CREATE TABLE made AS SELECT 1 AS x", false),
        ("SELECT 1 AS x INTO made", true),
        ("CREATE MATERIALIZED VIEW made AS SELECT 1 AS x", true),
        ("CREATE TABLE app.made AS SELECT 1 AS x", true),
        ("SET default_transaction_read_only = off", false),
        ("COMMIT", false),
        ("", false),
    ];
    for (who, db_url) in [("superuser", &url), ("schema owner", &app_url)] {
        for (q, analyze) in refused {
            let mut args = vec!["explain", "--db", db_url.as_str(), "--query", q];
            if *analyze {
                args.push("--analyze");
            }
            let o = dbarch(&args, dir.path());
            assert_eq!(o.status.code(), Some(2), "{who}: {q}: {}", stdout(&o));
            let err = stderr(&o);
            assert!(err.contains("--query"), "{who}: {q}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{who}: {q}: {err}");
        }
    }

    // A role the server refuses, with an unencoded `/` in the password: the message names the target
    // without the password.
    let bad = format!("postgres://nobody:Zq7/pw@127.0.0.1:{}/victims", c.port());
    let o = dbarch(&["review", "--db", &bad], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let all = stdout(&o) + &stderr(&o);
    assert!(all.contains("nobody"), "{all}");
    assert!(!all.contains("Zq7"), "{all}");

    // Planned without running: the writes EXPLAIN only plans.
    for q in [
        "INSERT INTO victim VALUES (-1, 1)",
        "UPDATE victim SET b = b + 1 WHERE a < 100",
        "DELETE FROM victim WHERE b = 3",
        "WITH d AS (DELETE FROM victim RETURNING *) SELECT count(*) FROM d",
    ] {
        let o = dbarch(&["explain", "--db", &url, "--query", q], dir.path());
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{q}: {}",
            stderr(&o)
        );
    }
    // Run, in a read-only transaction rolled back: queries only; what they would write is refused by the
    // server (nextval in a read-only transaction) and reported, nothing done.
    let o = dbarch(
        &[
            "explain",
            "--db",
            &url,
            "--query",
            "SELECT count(*) FROM victim WHERE b = 3",
            "--analyze",
        ],
        dir.path(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(stdout(&o).contains("Aggregate"), "{}", stdout(&o));
    let o = dbarch(
        &[
            "explain",
            "--db",
            &url,
            "--query",
            "SELECT nextval('s')",
            "--analyze",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));

    // Workload statements costed through HypoPG: one that carries a second statement is never sent.
    write(
        dir.path(),
        "postgresql.log",
        "2026-01-01 10:00:00.000 UTC [42] LOG:  duration: 12.000 ms  statement: SELECT * FROM victim WHERE b = 3\n\
         2026-01-01 10:00:01.000 UTC [42] LOG:  duration: 12.000 ms  statement: SELECT a FROM victim WHERE b = 4; DROP TABLE victim\n\
         2026-01-01 10:00:02.000 UTC [42] LOG:  duration: 12.000 ms  statement: DELETE FROM victim WHERE b = $1\n",
    );
    let o = dbarch(&["advise", "postgresql.log", "--db", &url], dir.path());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));

    // The server's record of dbarch's sessions.
    let log = c.log();
    let mut seen = 0;
    for line in log.lines().filter(|l| l.starts_with("[dbarch] ")) {
        let Some(at) = line
            .find(" statement: ")
            .map(|i| i + " statement: ".len())
            .or_else(|| {
                line.find(" execute ")
                    .and_then(|i| line[i..].find(": ").map(|j| i + j + 2))
            })
        else {
            continue;
        };
        seen += 1;
        assert!(allowed(&line[at..]), "dbarch sent: {line}");
        assert!(!line.contains("DROP"), "{line}");
    }
    assert!(seen > 10, "the log shows dbarch's statements:\n{log}");
    for made in ["made", "app.made"] {
        let exists: bool = db
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&made])
            .unwrap()
            .get(0);
        assert!(!exists, "{made} was created");
    }
    let rows: i64 = db
        .query_one("SELECT count(*) FROM victim", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 20000);
    let next: i64 = db.query_one("SELECT nextval('s')", &[]).unwrap().get(0);
    assert_eq!(next, 1, "the sequence was not advanced");
    assert_eq!(pg_dump(&c, "victims"), before, "the schema changed");
}
