//! Hostile and odd input, as a pull request from anyone may bring it: no input crashes dbarch, hangs it
//! or makes it read without end, what PostgreSQL accepts is accepted, and no password reaches the output.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Run dbarch, failing the test (instead of hanging it) when it takes longer than `limit`. Its output is
/// read while it runs (a full pipe would stop it).
fn dbarch_within(args: &[&str], cwd: &Path, limit: Duration) -> Output {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbarch"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dbarch");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = vec![];
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).to_string();
            panic!("dbarch {args:?} did not finish within {limit:?}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn plus_chain(terms: usize) -> String {
    format!("SELECT {} FROM t", vec!["1"; terms].join(" + "))
}

#[test]
fn a_statement_too_deep_is_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p.sql",
        &format!(
            "CREATE TABLE t (a int);\n{};\nCREATE TABLE u (b int);\n",
            plus_chain(30_000)
        ),
    );
    let o = dbarch_within(
        &["lint", "p.sql", "--format", "json"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("p.sql:2:1: statement nests too deeply"),
        "{err}"
    );
    // The rest of the file is still judged.
    let v = json(&o);
    let tables: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "KEY001")
        .map(|f| {
            f["line"]
                .as_u64()
                .map_or("", |l| if l == 1 { "t" } else { "u" })
        })
        .collect();
    assert_eq!(tables, ["t", "u"], "{v:#}");

    // Many statements (parsed in parallel), a migration, a server log: the same.
    let many: String = (0..100)
        .map(|i| format!("SELECT {i};\n"))
        .collect::<String>()
        + &plus_chain(30_000)
        + ";\n";
    write(dir.path(), "many.sql", &many);
    let o = dbarch_within(
        &["analyze", "many.sql"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("many.sql:101:1"), "{}", stderr(&o));
    write(
        dir.path(),
        "m/001_init.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\n",
    );
    write(
        dir.path(),
        "m/002_default.sql",
        &format!(
            "ALTER TABLE t ADD COLUMN b int DEFAULT {};\n",
            vec!["1"; 30_000].join(" + ")
        ),
    );
    let o = dbarch_within(
        &["migrate", "lint", "m"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("002_default.sql:1:1"), "{}", stderr(&o));
    write(
        dir.path(),
        "postgresql.log",
        &format!(
            "2026-01-01 10:00:00.000 UTC [42] LOG:  duration: 1.000 ms  statement: {}\n",
            plus_chain(30_000)
        ),
    );
    let o = dbarch_within(
        &["analyze", "postgresql.log"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert_ne!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {}",
        stderr(&o)
    );

    // Long chains of every kind past the limit: refused alone, never a crash.
    let chains = [
        format!("SELECT {} FROM t;", vec!["'a'"; 30_000].join(" || ")),
        format!("SELECT 1{} FROM t;", "::int".repeat(30_000)),
        format!(
            "SELECT 1 FROM t t0 {};",
            (1..12_000)
                .map(|i| format!("JOIN t t{i} ON true"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        (0..12_000)
            .map(|i| format!("SELECT {i}"))
            .collect::<Vec<_>>()
            .join(" UNION ")
            + ";",
    ];
    for (i, chain) in chains.iter().enumerate() {
        let name = format!("chain{i}.sql");
        write(
            dir.path(),
            &name,
            &format!("CREATE TABLE t (a int PRIMARY KEY);\n{chain}\n"),
        );
        for command in ["lint", "analyze"] {
            let o = dbarch_within(&[command, &name], dir.path(), Duration::from_secs(60));
            assert_eq!(o.status.code(), Some(2), "{command} {name}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("nests too deeply"),
                "{command} {name}: {}",
                stderr(&o)
            );
        }
    }
    // A plan whose Filter and Query Text are that deep (with a schema, the advisor reads the query).
    let deep = vec!["a"; 30_000].join(" + ");
    let plan = serde_json::json!([{
        "Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Filter": format!("(({deep}) = 1)"),
                 "Total Cost": 1000.0, "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1,
                 "Actual Total Time": 50.0, "Rows Removed by Filter": 100000},
        "Query Text": format!("SELECT * FROM t WHERE {deep} = 1"),
        "Execution Time": 50.0
    }]);
    write(dir.path(), "plan.json", &plan.to_string());
    write(
        dir.path(),
        "schema.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\n",
    );
    let o = dbarch_within(
        &["explain", "plan.json", "--schema", "schema.sql"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {}",
        stderr(&o)
    );
    assert_ne!(o.status.code(), Some(134), "{}", stderr(&o));
}

/// A query whose tree would take hundreds of MB is refused alone (its size measured before libpg_query
/// builds the tree); a 2-million-element IN list is analysed (the list cut short), and its finding shows a
/// window of the 14 MB line, not the line.
#[test]
fn huge_queries_are_refused_or_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let ctes: Vec<String> = (1..30_000)
        .map(|i| format!("c{i} AS (SELECT a, b FROM c{} WHERE a > {i})", i - 1))
        .collect();
    write(
        dir.path(),
        "w.sql",
        &format!(
            "SELECT * FROM orders WHERE id = 1;\nWITH c0 AS (SELECT a, b FROM t), {} SELECT * FROM c29999;\nSELECT * FROM items LIMIT 5;\n",
            ctes.join(", ")
        ),
    );
    let o = dbarch_within(&["analyze", "w.sql"], dir.path(), Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("w.sql:2:1: query too large to analyse"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("Analysed 2 distinct queries"),
        "{}",
        stdout(&o)
    );
    // The same statement in a server log: not analysed, noted; the rest of the log is.
    write(
        dir.path(),
        "postgresql.log",
        &format!(
            "2026-01-01 10:00:00.000 UTC [42] LOG:  statement: WITH c0 AS (SELECT a, b FROM t), {} SELECT * FROM c29999\n\
             2026-01-01 10:00:00.001 UTC [42] LOG:  statement: SELECT * FROM items LIMIT 5\n",
            ctes.join(", ")
        ),
    );
    let o = dbarch_within(
        &["analyze", "postgresql.log", "--verbose"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert!(
        stderr(&o).contains("postgresql.log:1:51: statement not analysed: query too large"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("Analysed 1 distinct query"),
        "{}",
        stdout(&o)
    );

    let ids: Vec<String> = (0..2_000_000).map(|i| i.to_string()).collect();
    write(
        dir.path(),
        "in.sql",
        &format!(
            "SELECT * FROM t WHERE id IN ({}) ORDER BY random();\n",
            ids.join(", ")
        ),
    );
    let o = dbarch_within(&["analyze", "in.sql"], dir.path(), Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("QRY"), "{out}");
    assert!(out.len() < 10_000, "{} bytes of report", out.len());
}

#[test]
fn what_postgresql_accepts_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let concat = format!("SELECT {};", vec!["'a'"; 48].join(" || "));
    let nested_in = format!(
        "SELECT 1 FROM t WHERE a IN ({}SELECT 1{});",
        "SELECT a FROM t WHERE a IN (".repeat(24),
        ")".repeat(24)
    );
    let union = (0..100)
        .map(|i| format!("SELECT {i}"))
        .collect::<Vec<_>>()
        .join(" UNION ")
        + ";";
    let case = format!(
        "SELECT {}1{} FROM t;",
        "CASE WHEN a = 1 THEN ".repeat(50),
        " END".repeat(50)
    );
    let joins = format!(
        "SELECT 1 FROM t t0 {};",
        (1..300)
            .map(|i| format!("JOIN t t{i} ON t{i}.a = t{}.a", i - 1))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let casts = format!("SELECT 1{};", "::int".repeat(1000));
    for (name, sql) in [
        ("concat", concat),
        ("nested_in", nested_in),
        ("union", union),
        ("case", case),
        ("joins", joins),
        ("casts", casts),
    ] {
        let file = format!("{name}.sql");
        write(
            dir.path(),
            &file,
            &format!("CREATE TABLE t (a int PRIMARY KEY);\n{sql}\n"),
        );
        for command in ["lint", "analyze"] {
            let o = dbarch_within(&[command, &file], dir.path(), Duration::from_secs(60));
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{command} {name}: {}",
                stderr(&o)
            );
        }
    }
    // PostgreSQL 18's syntax: virtual generated columns, named NOT NULL constraints.
    write(
        dir.path(),
        "pg18.sql",
        "CREATE TABLE g (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL, \
         c int CONSTRAINT g_c_not_null NOT NULL);\n",
    );
    let o = dbarch(&["lint", "pg18.sql", "--pg-version", "18"], dir.path());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    // psql's \gset, \g and \gexec end the statement before them.
    write(
        dir.path(),
        "psql.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\nSELECT count(*) AS n FROM t \\gset\n\
         SELECT format('ANALYZE %I', relname) FROM pg_class WHERE relname = 't' \\gexec\n\
         SELECT 1 \\g /dev/null\n",
    );
    let o = dbarch(&["lint", "psql.sql"], dir.path());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
}

#[test]
fn special_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = |p: &Path| {
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    };
    std::fs::create_dir_all(dir.path().join("d")).unwrap();
    fifo(&dir.path().join("d/schema.sql"));
    fifo(&dir.path().join("pipe"));
    write(
        dir.path(),
        "m/001_init.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\n",
    );
    fifo(&dir.path().join("m/002_next.sql"));
    let shop = repo().join("examples/shop/migrations");
    let shop = shop.to_str().unwrap();
    let limit = Duration::from_secs(20);
    let cases: &[(&[&str], &str)] = &[
        (&["review", "d"], "FIFO"),
        (&["review", "pipe"], "FIFO"),
        (&["migrate", "lint", shop, "--manifest", "pipe"], "FIFO"),
        (&["lint", "d/../m", "--config", "pipe"], "FIFO"),
        (&["analyze", "m/001_init.sql", "--stats", "pipe"], "FIFO"),
        (&["explain", "pipe"], "FIFO"),
        (
            &["migrate", "lint", shop, "--manifest", "/dev/zero"],
            "character device",
        ),
        (&["explain", "/dev/zero"], "character device"),
        (&["explain", "/dev/urandom"], "character device"),
        (
            &["lint", "m/001_init.sql", "--config", "/dev/zero"],
            "character device",
        ),
        (
            &["analyze", "m/001_init.sql", "--stats", "/dev/zero"],
            "character device",
        ),
        (&["migrate", "down-gen", "/dev/zero"], "character device"),
        (&["review", "/dev/zero"], "character device"),
    ];
    for (args, says) in cases {
        let o = dbarch_within(args, dir.path(), limit);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim().lines().count(),
            1,
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // In a history, the migration that cannot be read is reported and the others are still judged.
    write(dir.path(), "m/003_index.sql", "CREATE INDEX ON t (a);\n");
    let o = dbarch_within(
        &["migrate", "lint", "m", "--format", "json"],
        dir.path(),
        limit,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("002_next.sql: a FIFO"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("003_index.sql"), "{}", stdout(&o));
    std::fs::remove_file(dir.path().join("m/002_next.sql")).unwrap();
    std::fs::write(
        dir.path().join("m/002_next.sql"),
        b"CREATE TABLE u (b text DEFAULT '\xff');\n",
    )
    .unwrap();
    let o = dbarch_within(
        &["migrate", "lint", "m", "--format", "json"],
        dir.path(),
        limit,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("002_next.sql:1:33: not UTF-8"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("003_index.sql"), "{}", stdout(&o));
    // Arguments out of range are refused, not wrapped or taken as NaN.
    let o = dbarch(
        &[
            "lint",
            "m/001_init.sql",
            "--max-file-size",
            "17592186044416",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = dbarch(
        &[
            "advise",
            "m/001_init.sql",
            "--schema",
            "m/001_init.sql",
            "--budget",
            "NaNx",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("budget"), "{}", stderr(&o));
}

/// Connection strings dbarch cannot read, or cannot connect with: the password never shows.
#[test]
fn no_password_in_any_output() {
    let strings = [
        "mysql://app:Zq7pw@127.0.0.1:1/db",
        "postgresql+psycopg2://app:Zq7pw@127.0.0.1:1/db",
        "jdbc:postgresql://127.0.0.1:1/db?user=app&password=Zq7pw",
        "POSTGRES://app:Zq7pw@127.0.0.1:1/db",
        " postgres://app:Zq7pw@127.0.0.1:1/db",
        "postgres:/app:Zq7pw@127.0.0.1:1/db",
        "postgres://app:Zq7/pw@127.0.0.1:1/db",
        "postgres://app:Zq7pw@127.0.0.1:notaport/db",
        "postgres://app:Zq7pw@127.0.0.1:1/db?sslmode=bogus",
        "postgres://app@127.0.0.1:1/db?PASSWORD=Zq7pw",
        "host=127.0.0.1 port=1 PASSWORD=Zq7pw",
        "host=127.0.0.1 port=1 pass=Zq7pw",
        "host=127.0.0.1 port=x password=Zq7pw",
        "host=127.0.0.1 password='Zq7pw",
        "Zq7pw",
    ];
    let dir = tempfile::tempdir().unwrap();
    for conn in strings {
        for command in [
            &["inspect", "--db", conn][..],
            &["review", "--db", conn][..],
        ] {
            let o = dbarch_within(command, dir.path(), Duration::from_secs(30));
            assert_eq!(o.status.code(), Some(2), "{conn}");
            let all = stdout(&o) + &stderr(&o);
            assert!(!all.contains("Zq7"), "{conn}: {all}");
            assert!(!all.trim().is_empty(), "{conn}: says why");
        }
    }
}

/// A server that accepts the connection and never answers: dbarch gives up after connect_timeout.
#[test]
fn a_silent_server_is_given_up_on() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://u:Zq7pw@127.0.0.1:{port}/db?connect_timeout=2");
    let o = dbarch_within(
        &["inspect", "--db", &url],
        dir.path(),
        Duration::from_secs(15),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("no answer from the server within 2 s"),
        "{err}"
    );
    assert!(!err.contains("Zq7"), "{err}");
}

/// What dbarch could not read is never reported as a clean result.
#[test]
fn no_silent_success() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/001_a.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\n",
    );
    write(dir.path(), "m/002_b.sql", "CREATE TABLEX u (b int);\n");
    write(
        dir.path(),
        "m/003_c.sql",
        "ALTER TABLE t ADD COLUMN c int;\n",
    );
    let o = dbarch(&["migrate", "lint", "m", "--locks"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("002_b.sql:1:8"), "{}", stderr(&o));
    // A format a command cannot write is refused, before it connects or reads, never replaced by another.
    for args in [
        &["migrate", "lint", "m", "--locks", "--format", "sarif"][..],
        &["migrate", "down-gen", "m/001_a.sql", "--format", "markdown"],
        &["advise", "m", "--schema", "m", "--format", "markdown"],
        &["rule", "KEY001", "--format", "sarif"],
    ] {
        let started = std::time::Instant::now();
        let o = dbarch(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("output, not --format"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
        assert!(started.elapsed().as_secs() < 5, "{args:?} waited");
    }
    // A log dbarch recognises nothing in: how many lines it read, and exit 2.
    for (name, text) in [
        ("plain.log", "just some text\nnot a log\n"),
        (
            "noprefix.log",
            "LOG:  duration: 1.0 ms  statement: SELECT 1\n",
        ),
        ("nul.log", "\0\0\0\n"),
    ] {
        write(dir.path(), name, text);
        let o = dbarch(&["analyze", name], dir.path());
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("no statement recognised"),
            "{name}: {}",
            stderr(&o)
        );
    }
    // down-gen's own output runs: the schema a bare AUTHORIZATION names, a GRANT without CASCADE.
    write(
        dir.path(),
        "d/001_up.sql",
        "CREATE TABLE t (a int PRIMARY KEY);\nCREATE SCHEMA AUTHORIZATION alice;\n\
         REVOKE SELECT ON t FROM bob CASCADE;\n",
    );
    let o = dbarch(&["migrate", "down-gen", "d/001_up.sql"], dir.path());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let down = stdout(&o);
    assert!(down.contains("DROP SCHEMA alice;"), "{down}");
    assert!(down.contains("GRANT select ON t TO bob;"), "{down}");
    assert!(!down.contains("CASCADE;"), "{down}");
}
