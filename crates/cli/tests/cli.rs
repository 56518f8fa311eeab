//! The `dbarch` binary as a user runs it: exit codes, formats, bad input, configuration, suppressions.

use std::path::Path;

use crate::common::*;

#[test]
fn review_of_the_shop_example() {
    let o = dbarch(&["review", "examples/shop"], &repo());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
    insta::assert_snapshot!("shop_human", text);
}

#[test]
fn json_report_is_the_documented_interface() {
    let o = dbarch(&["review", "examples/shop", "--format", "json"], &repo());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 2);
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() >= 10);
    for f in findings {
        for key in [
            "code",
            "name",
            "severity",
            "message",
            "help",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "fingerprint",
        ] {
            assert!(f.get(key).is_some(), "missing {key} in {f}");
        }
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
    }
    for key in [
        "files",
        "statements",
        "findings",
        "errors",
        "warnings",
        "infos",
        "suppressed",
    ] {
        assert!(v["summary"].get(key).is_some(), "summary.{key}");
    }
    insta::assert_json_snapshot!("shop_json", v);
}

#[test]
fn migrations_folder_gives_the_same_findings_as_the_schema() {
    let a: serde_json::Value = serde_json::from_slice(
        &dbarch(&["review", "examples/shop", "--format", "json"], &repo()).stdout,
    )
    .unwrap();
    let b: serde_json::Value = serde_json::from_slice(
        &dbarch(
            &["review", "examples/shop/migrations", "--format", "json"],
            &repo(),
        )
        .stdout,
    )
    .unwrap();
    // The schema directory also holds the shop's workload, judged by the query rules: compare the rest.
    let prints = |v: &serde_json::Value| {
        let mut p: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["code"].as_str().unwrap().starts_with("QRY"))
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    assert_eq!(prints(&a), prints(&b));
    assert_eq!(b["summary"]["files"], 12);
}

#[test]
fn sarif_and_markdown_render() {
    let o = dbarch(&["lint", "examples/shop", "--format", "sarif"], &repo());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["runs"][0]["results"].as_array().unwrap().len() >= 10);
    let o = dbarch(&["lint", "examples/shop", "--format", "markdown"], &repo());
    assert!(stdout(&o).starts_with("# dbarch review"));
}

#[test]
fn severity_threshold_sets_the_exit_code() {
    let r = repo();
    assert_eq!(
        dbarch(&["lint", "examples/shop", "--severity", "never"], &r)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        dbarch(&["lint", "examples/shop", "--severity", "error"], &r)
            .status
            .code(),
        Some(1)
    );
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ok.sql",
        "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name varchar(80));\n",
    );
    // Only an info finding: passes at the default threshold, fails at info.
    assert_eq!(
        dbarch(&["lint", "ok.sql"], dir.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        dbarch(&["lint", "ok.sql", "--severity", "info"], dir.path())
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["missing.sql".into()],
            "missing.sql: no such file or directory",
        ),
        (
            {
                std::fs::create_dir_all(d.join("empty")).unwrap();
                vec!["empty".into()]
            },
            "empty: no .sql files",
        ),
        (
            {
                std::fs::write(d.join("bin.sql"), [0x89u8, b'P', b'N', b'G', 0, 0, 1, 2]).unwrap();
                vec!["bin.sql".into()]
            },
            "bin.sql:1:1: not UTF-8",
        ),
        (
            {
                std::fs::write(d.join("latin1.sql"), b"select 1;\nselect '\xe9t\xe9';\n").unwrap();
                vec!["latin1.sql".into()]
            },
            "latin1.sql:2:9: not UTF-8",
        ),
        (
            {
                write(d, "nul.sql", "select 1;\0");
                vec!["nul.sql".into()]
            },
            "nul.sql:1:10: NUL byte",
        ),
        (
            {
                write(d, "prose.sql", "This is a README, not SQL.\n");
                vec!["prose.sql".into()]
            },
            "prose.sql:1:1: syntax error at or near \"This\"",
        ),
        (
            {
                write(
                    d,
                    "typo.sql",
                    "create table a (id int);\ncreate table b (\n  id int,\n  name text nto null\n);\n",
                );
                vec!["typo.sql".into()]
            },
            "typo.sql:4:13: syntax error at or near \"nto\"",
        ),
        (
            {
                write(d, "quote.sql", "select 1;\nselect 'abc;\n");
                vec!["quote.sql".into()]
            },
            "quote.sql:2:8: unterminated string literal",
        ),
        (vec!["rule".into(), "NOPE001".into()], "no rule `NOPE001`"),
    ];
    for (args, want) in cases {
        let mut a = if args[0] == "rule" {
            vec![]
        } else {
            vec!["review".to_string()]
        };
        a.extend(args);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = dbarch(&refs, d);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "{a:?}: want {want:?}, got {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{a:?}");
        assert!(stdout(&o).is_empty(), "{a:?}: no partial report on stdout");
    }
    // Usage errors are exit 2 as well.
    assert_eq!(dbarch(&["review"], d).status.code(), Some(2));
    assert_eq!(
        dbarch(&["review", "x.sql", "--format", "yaml"], d)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_large_file_is_refused_by_size_not_by_crash() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("huge.sql")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let o = dbarch(&["review", "huge.sql"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("huge.sql: 100 MB is over the 64 MB input limit"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn inline_suppressions_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "s.sql",
        "-- dbarch:ignore KEY001 append-only import table\nCREATE TABLE raw_import (line text);\nCREATE TABLE t (\n    id bigint PRIMARY KEY,\n    -- dbarch:ignore TYP001 legacy column, converted in Q3\n    at timestamp,\n    at2 timestamp\n);\n",
    );
    let v: serde_json::Value =
        serde_json::from_slice(&dbarch(&["lint", "s.sql", "--format", "json"], d).stdout).unwrap();
    let codes = codes_and_lines(&v);
    assert_eq!(codes, vec![("TYP001".to_string(), 7)]);
    assert_eq!(v["summary"]["suppressed"], 2);

    write(d, "dbarch.toml", "[rules]\nignore = [\"TYP\"]\n");
    let v: serde_json::Value =
        serde_json::from_slice(&dbarch(&["lint", "s.sql", "--format", "json"], d).stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);

    write(d, "bad.toml", "[rules]\nselect = [\"XYZ\"]\n");
    let o = dbarch(&["lint", "s.sql", "--config", "bad.toml"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.toml: `XYZ` matches no rule"),
        "{}",
        stderr(&o)
    );

    write(
        d,
        "sev.toml",
        "[rules]\nseverity = { TYP001 = \"error\" }\n[per-path-ignores]\n\"legacy/*.sql\" = [\"KEY001\"]\n",
    );
    write(d, "legacy/old.sql", "CREATE TABLE old (x int);\n");
    let v: serde_json::Value = serde_json::from_slice(
        &dbarch(
            &[
                "lint",
                "s.sql",
                "legacy/old.sql",
                "--config",
                "sev.toml",
                "--format",
                "json",
            ],
            d,
        )
        .stdout,
    )
    .unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["severity"], "error");

    // A configuration in a project folder, run from above it: its globs are relative to its folder.
    write(
        d,
        "project/dbarch.toml",
        "[per-path-ignores]\n\"legacy/*.sql\" = [\"KEY001\"]\n",
    );
    write(d, "project/legacy/old.sql", "CREATE TABLE old (x int);\n");
    let v: serde_json::Value = serde_json::from_slice(
        &dbarch(
            &[
                "lint",
                "project/legacy/old.sql",
                "--config",
                "project/dbarch.toml",
                "--format",
                "json",
            ],
            d,
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 1, "{v:#}");
}

#[test]
fn psql_scripts_with_meta_commands_and_copy_data() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dump.sql",
        "\\connect shop\n\\set ON_ERROR_STOP on\nCREATE TABLE t (id bigint PRIMARY KEY, v text);\nCOPY t (id, v) FROM stdin;\n1\thello; world\n2\t'unbalanced\n\\.\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\n",
    );
    let o = dbarch(&["lint", "dump.sql", "--verbose"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("dump.sql:1:1: skipped psql meta-command `\\connect shop`"),
        "{err}"
    );
    assert!(err.contains("skipped COPY data block"), "{err}");
}

#[test]
fn rules_listing_and_docs() {
    let o = dbarch(&["rules", "--format", "json"], &repo());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v.as_array().unwrap();
    assert!(rules.len() >= 30);
    for r in rules {
        for part in ["what", "why", "example", "use_instead"] {
            assert!(
                !r["doc"][part].as_str().unwrap().is_empty(),
                "{} {part}",
                r["code"]
            );
        }
        assert!(!r["fixtures"]["triggers"].as_str().unwrap().is_empty());
        assert!(!r["fixtures"]["clean"].as_str().unwrap().is_empty());
    }
    let o = dbarch(&["rule", "fk-without-index"], &repo());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("# KEY002 `fk-without-index`")
            && stdout(&o).contains("## Why it matters")
    );
    let o = dbarch(&["rules"], &repo());
    assert!(stdout(&o).contains("KEY001") && stdout(&o).contains("table-without-primary-key"));
}

#[test]
fn dbmate_down_sections_are_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "db/migrations/20240101000000_users.sql",
        "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n",
    );
    write(
        dir.path(),
        "db/migrations/20240102000000_orders.sql",
        "-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n-- migrate:down\nDROP TABLE orders;\n",
    );
    let o = dbarch(&["review", "db/migrations", "--format", "json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    // The users table survives (its DROP is in a down section), so the FK to it is judged: no index.
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["code"], "KEY002");
    assert_eq!(f[0]["file"], "db/migrations/20240102000000_orders.sql");
    assert_eq!(f[0]["line"], 2);
}

#[test]
fn migrate_lint_judges_each_statement_against_the_schema_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n",
    );
    write(d, "migrations/001_init.down.sql", "DROP TABLE users;\n");
    write(
        d,
        "migrations/002_more.up.sql",
        "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
    );
    let o = dbarch(&["migrate", "lint", "migrations", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The summary counts the up scripts and their statements.
    assert_eq!(v["summary"]["files"], 2, "{v:#}");
    assert_eq!(v["summary"]["statements"], 5, "{v:#}");
    let got: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().into(),
                f["file"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // 001 creates the table, so its index is fine; 002 runs in a transaction (up/down pairs do), so
    // CONCURRENTLY fails, and SET NOT NULL scans the existing table.
    assert_eq!(
        got,
        vec![
            (
                "MIG002".to_string(),
                "migrations/002_more.up.sql".to_string(),
                2
            ),
            (
                "MIG006".to_string(),
                "migrations/002_more.up.sql".to_string(),
                3
            ),
        ]
    );
    assert_eq!(
        v["summary"]["files"], 2,
        "the down file is not an up migration"
    );
}

#[test]
fn migrate_lock_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX ON users (email);\n",
    );
    write(
        d,
        "m/002_x.up.sql",
        "SET lock_timeout = '2s';\nCREATE INDEX users_e2 ON users (email);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
    );
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "m",
            "--locks",
            "--format",
            "json",
            "--pg-version",
            "14",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pg_version"], 14);
    let m = &v["migrations"].as_array().unwrap();
    assert!(
        m[0]["statements"].as_array().unwrap().is_empty(),
        "a new table's index takes no lock anyone waits for"
    );
    let s = m[1]["statements"].as_array().unwrap();
    assert_eq!(
        (
            s[0]["line"].as_u64(),
            s[0]["lock"].as_str(),
            s[0]["blocks"].as_str()
        ),
        (Some(2), Some("SHARE"), Some("writes"))
    );
    assert_eq!(
        (
            s[1]["operation"].as_str(),
            s[1]["lock"].as_str(),
            s[1]["scan"].as_bool()
        ),
        (Some("set-not-null"), Some("ACCESS EXCLUSIVE"), Some(true))
    );
    assert_eq!(m[1]["longest_held"][0]["lock"], "ACCESS EXCLUSIVE");
    assert_eq!(m[1]["longest_held"][0]["taken_at_line"], 3);
}

/// GRANT and REVOKE on a table take ACCESS SHARE on it since PostgreSQL 18 and no table lock before
/// (both traced on real servers by the knowledge test); a grant on a schema locks no table.
#[test]
fn grant_and_revoke_lock_the_table_since_18() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    write(
        d,
        "m/002_x.up.sql",
        "GRANT SELECT ON users TO PUBLIC;\nREVOKE SELECT ON TABLE users FROM PUBLIC;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n",
    );
    let report = |version: &str| {
        let o = dbarch(
            &[
                "migrate",
                "lint",
                "m",
                "--locks",
                "--format",
                "json",
                "--pg-version",
                version,
            ],
            d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["migrations"][1]["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["line"],
                    e["operation"].as_str().unwrap_or(""),
                    e["lock"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(report("17").is_empty(), "{:?}", report("17"));
    assert_eq!(
        report("18"),
        ["1 grant ACCESS SHARE", "2 revoke ACCESS SHARE"]
    );
}

/// LOCK TABLE takes the mode it names; REFRESH MATERIALIZED VIEW locks the view (ACCESS EXCLUSIVE, or
/// EXCLUSIVE with CONCURRENTLY, which readers pass).
#[test]
fn lock_table_and_refresh_are_in_the_lock_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);
         CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;
         CREATE UNIQUE INDEX ON user_emails (id);
",
    );
    write(
        d,
        "m/002_x.up.sql",
        "SET lock_timeout = '2s';
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;
         REFRESH MATERIALIZED VIEW user_emails;
REFRESH MATERIALIZED VIEW CONCURRENTLY user_emails;
",
    );
    let o = dbarch(&["migrate", "lint", "m", "--locks", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = v["migrations"][1]["statements"].as_array().unwrap();
    let got: Vec<(Option<&str>, Option<&str>, Option<&str>)> = s
        .iter()
        .map(|e| {
            (
                e["table"].as_str(),
                e["operation"].as_str(),
                e["lock"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("users"),
                Some("lock-table-share-row-exclusive"),
                Some("SHARE ROW EXCLUSIVE")
            ),
            (
                Some("user_emails"),
                Some("refresh-materialized-view"),
                Some("ACCESS EXCLUSIVE")
            ),
            (
                Some("user_emails"),
                Some("refresh-materialized-view-concurrently"),
                Some("EXCLUSIVE")
            ),
        ],
        "{s:?}"
    );
}

#[test]
fn down_scripts_are_checked_for_reversibility() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    write(d, "m/001_init.down.sql", "DROP TABLE users;\n");
    write(
        d,
        "m/002_email.up.sql",
        "ALTER TABLE users ADD COLUMN email text;\n",
    );
    write(
        d,
        "m/002_email.down.sql",
        "-- forgot the column\nSELECT 1;\n",
    );
    write(
        d,
        "m/003_bad.up.sql",
        "ALTER TABLE users ADD COLUMN name text;\n",
    );
    write(
        d,
        "m/003_bad.down.sql",
        "ALTER TABLE users DROP COLUMN name\nALTER TABLE users DROP COLUMN x;\n",
    );
    write(d, "only.toml", "[rules]\nselect = [\"MIG021\"]\n");
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "m",
            "--format",
            "json",
            "--config",
            "only.toml",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let msgs: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].0, "m/002_email.down.sql");
    assert!(
        msgs[0].1.ends_with("column users.email is left behind"),
        "{msgs:?}"
    );
    assert_eq!(msgs[1].0, "m/003_bad.down.sql");
    assert!(
        msgs[1]
            .1
            .contains("does not parse: 2:1: syntax error at or near \"ALTER\""),
        "{msgs:?}"
    );
}

#[test]
fn manifest_catches_edited_and_out_of_order_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    write(
        d,
        "m/003_email.up.sql",
        "ALTER TABLE users ADD COLUMN email text;\n",
    );
    let o = dbarch(&["migrate", "manifest", "m"], d);
    assert_eq!(o.status.code(), Some(0));
    std::fs::write(d.join("applied.txt"), &o.stdout).unwrap();
    write(
        d,
        "only.toml",
        "[rules]\nselect = [\"MIG022\", \"MIG023\"]\n",
    );
    let args = [
        "migrate",
        "lint",
        "m",
        "--manifest",
        "applied.txt",
        "--config",
        "only.toml",
        "--format",
        "json",
    ];
    assert_eq!(
        dbarch(&args, d).status.code(),
        Some(0),
        "an untouched history is clean"
    );

    write(
        d,
        "m/001_init.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
    );
    write(
        d,
        "m/002_late.up.sql",
        "CREATE INDEX users_name_idx ON users (name);\n",
    );
    let o = dbarch(&args, d);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().into(),
                f["file"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("MIG022".to_string(), "m/001_init.up.sql".to_string()),
            ("MIG023".to_string(), "m/002_late.up.sql".to_string())
        ]
    );

    std::fs::remove_file(d.join("m/003_email.up.sql")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&dbarch(&args, d).stdout).unwrap();
    let removed = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("no longer among"))
        .unwrap();
    assert_eq!(removed["file"], "applied.txt");
    assert_eq!(removed["line"], 3);
}

#[test]
fn an_unparseable_migration_is_reported_and_the_others_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m/001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    write(d, "m/002_bad.sql", "ALTER TABLE users ADD COLUM x int;\n");
    write(
        d,
        "m/003_idx.sql",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    let o = dbarch(&["migrate", "lint", "m", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("m/002_bad.sql:1:31: syntax error at or near \"int\""),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "MIG001" && f["file"] == "m/003_idx.sql")
    );
    let o = dbarch(&["migrate", "lint", "nowhere"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nowhere: no such directory"));
}

#[test]
fn down_gen_reverses_from_the_schema_before_the_up() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "001_init.sql",
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
         CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100) NOT NULL, note text DEFAULT 'x', status text DEFAULT 'new');\n\
         CREATE INDEX users_note_idx ON users (note);\n",
    );
    let up = write(
        dir.path(),
        "002_change.sql",
        "ALTER TABLE users ADD COLUMN age int;\n\
         ALTER TABLE users ALTER COLUMN email TYPE text;\n\
         ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';\n\
         ALTER TABLE users RENAME COLUMN note TO remark;\n\
         DROP INDEX users_note_idx;\n\
         CREATE INDEX users_age_idx ON users (age);\n\
         ALTER TYPE mood ADD VALUE 'happy';\n\
         ALTER TABLE users DROP COLUMN status;\n",
    );
    let o = dbarch(&["migrate", "down-gen", up.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "ALTER TABLE public.users ADD COLUMN status text DEFAULT 'active';",
        "-- IRREVERSIBLE: the data in users.status is lost",
        "-- IRREVERSIBLE: PostgreSQL cannot remove the enum value 'happy'",
        "DROP INDEX IF EXISTS public.users_age_idx;",
        "CREATE INDEX users_note_idx ON public.users USING btree (remark);",
        "ALTER TABLE public.users RENAME COLUMN remark TO note;",
        "ALTER TABLE public.users ALTER COLUMN status SET DEFAULT 'new';",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(100) USING email::varchar(100);",
        "ALTER TABLE public.users DROP age;",
        "-- takes ACCESS EXCLUSIVE on users (blocks reads and writes)",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    // Reverse order: the last up statement is undone first.
    assert!(text.find("users.status is lost").unwrap() < text.find("DROP age").unwrap());
    let o = dbarch(
        &[
            "migrate",
            "down-gen",
            up.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let remaining = v["remaining_differences"].as_array().unwrap();
    // Only the enum value cannot come back.
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    assert!(
        remaining[0].as_str().unwrap().contains("mood"),
        "{remaining:?}"
    );
}

#[test]
fn migrate_lint_judges_the_columns_each_migration_creates() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "001_events.sql",
        "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamp);\n",
    );
    write(
        dir.path(),
        "002_payload.sql",
        "ALTER TABLE events ADD COLUMN payload json;\n",
    );
    let o = dbarch(
        &[
            "migrate",
            "lint",
            ".",
            "--format",
            "json",
            "--severity",
            "never",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("TYP"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                Path::new(f["file"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // Each column at the migration that defined it, once.
    assert_eq!(
        got,
        vec![
            ("TYP001".to_string(), "001_events.sql".to_string(), 1),
            ("TYP004".to_string(), "002_payload.sql".to_string(), 1),
        ]
    );
}

/// `--stats` gives the production tables' sizes: a fix's cost names the rows and bytes of the tables it
/// locks, in migration lint and in review alike.
#[test]
fn stats_size_the_tables_a_fix_locks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/001_init.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES orders (id));\n",
    );
    write(
        d,
        "migrations/002_index.sql",
        "CREATE INDEX orders_user_id_idx ON orders (user_id);\n",
    );
    write(
        d,
        "prod.json",
        r#"{"tables": {"orders": {"rows": 5000000, "pages": 60000}}}"#,
    );
    let cost_of = |args: &[&str], code: &str| {
        let o = dbarch(args, d);
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{v:#}"))["fix"]["locks"][0]
            .clone()
    };
    let lock = cost_of(
        &[
            "migrate",
            "lint",
            "migrations",
            "--stats",
            "prod.json",
            "--format",
            "json",
        ],
        "MIG001",
    );
    assert_eq!(lock["rows"], 5000000, "{lock}");
    assert_eq!(lock["bytes"], 60000 * 8192, "{lock}");
    let lock = cost_of(
        &[
            "review",
            "migrations/001_init.sql",
            "--stats",
            "prod.json",
            "--format",
            "json",
        ],
        "KEY002",
    );
    assert_eq!(lock["rows"], 5000000, "{lock}");
    // Without statistics the cost says what is locked, not how much.
    let lock = cost_of(
        &["migrate", "lint", "migrations", "--format", "json"],
        "MIG001",
    );
    assert!(lock["rows"].is_null(), "{lock}");
}

/// A baseline hides the findings a team has accepted: `--write-baseline` records them, `--baseline`
/// reports only what is new (and only it sets the exit code); a line that is not a baseline entry is an
/// error naming the file and line.
#[test]
fn a_baseline_hides_accepted_findings_and_shows_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/001_init.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n",
    );
    write(
        d,
        "migrations/002_index.sql",
        "CREATE INDEX orders_user_id_idx ON orders (user_id);\n",
    );
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "migrations",
            "--write-baseline",
            "baseline.txt",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "migrations",
            "--baseline",
            "baseline.txt",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A new migration's findings are reported, the old ones still hidden.
    write(
        d,
        "migrations/003_more.sql",
        "CREATE INDEX orders_id_user_idx ON orders (id, user_id);\n",
    );
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "migrations",
            "--baseline",
            "baseline.txt",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|f| f.ends_with("003_more.sql")),
        "{v:#}"
    );
    assert!(v["summary"]["suppressed"].as_u64().unwrap() > 0, "{v:#}");
    write(d, "bad.txt", "not an entry\n");
    let o = dbarch(
        &["migrate", "lint", "migrations", "--baseline", "bad.txt"],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.txt:1:1"), "{}", stderr(&o));
}
