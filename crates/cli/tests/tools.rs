//! Each migration tool's conventions, as `migrate lint` reads them from the folder: the order it runs
//! migrations in and the transaction it runs each in. Every case here was a false finding when a
//! folder was read as plain up/down pairs.

mod common;

use common::*;

/// The codes of `migrate lint` on the folder, with the file name of each.
fn lint(dir: &std::path::Path) -> Vec<(String, String)> {
    let o = dbarch(&["migrate", "lint", "migrations", "--format", "json"], dir);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    json(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            (
                f["code"].as_str().unwrap().to_string(),
                file.trim_start_matches("migrations/").to_string(),
            )
        })
        .collect()
}

fn has(found: &[(String, String)], code: &str) -> bool {
    found.iter().any(|(c, _)| c == code)
}

const TABLE: &str = "CREATE TABLE t (a int);\n";
const INDEX: &str = "CREATE INDEX CONCURRENTLY t_a ON t (a);\n";

/// morph runs a file outside its transaction when the file starts with `-- morph:nontransactional`.
#[test]
fn morph_nontransactional_marker() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/000001_t.up.sql", TABLE);
    write(d, "migrations/000001_t.down.sql", "DROP TABLE t;\n");
    write(
        d,
        "migrations/000002_i.up.sql",
        &format!("-- morph:nontransactional\n{INDEX}"),
    );
    write(
        d,
        "migrations/000002_i.down.sql",
        "DROP INDEX CONCURRENTLY t_a;\n",
    );
    let found = lint(d);
    assert!(!has(&found, "MIG002"), "{found:?}");
    // Without the marker the index is built in morph's transaction, which PostgreSQL refuses.
    write(
        d,
        "migrations/000003_j.up.sql",
        "CREATE INDEX CONCURRENTLY t_a2 ON t (a);\n",
    );
    write(
        d,
        "migrations/000003_j.down.sql",
        "DROP INDEX CONCURRENTLY t_a2;\n",
    );
    let found = lint(d);
    assert!(
        found
            .iter()
            .any(|(c, f)| c == "MIG002" && f == "000003_j.up.sql"),
        "{found:?}"
    );
}

/// ory/popx: `.autocommit.` in the name runs the file outside a transaction; of a version's files the
/// PostgreSQL one runs, and files of other dialects do not.
#[test]
fn popx_autocommit_and_dialects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/20200101000000000000_t.up.sql", TABLE);
    write(
        d,
        "migrations/20200101000000000000_t.down.sql",
        "DROP TABLE t;\n",
    );
    write(
        d,
        "migrations/20200102000000000000_i.postgres.autocommit.up.sql",
        INDEX,
    );
    write(
        d,
        "migrations/20200102000000000000_i.postgres.down.sql",
        "DROP INDEX t_a;\n",
    );
    write(
        d,
        "migrations/20200102000000000000_i.mysql.up.sql",
        "CREATE INDEX t_a ON t (a) ALGORITHM=INPLACE;\n",
    );
    write(
        d,
        "migrations/20200102000000000000_i.mysql.down.sql",
        "DROP INDEX t_a ON t;\n",
    );
    let found = lint(d);
    assert!(!has(&found, "MIG002"), "{found:?}");
    assert!(
        !found.iter().any(|(_, f)| f.contains(".mysql.")),
        "{found:?}"
    );
}

/// A folder whose `metadata.yaml` files name parents runs in that order, and
/// `createIndexConcurrently: true` runs the up outside a transaction.
#[test]
fn metadata_yaml_graph_and_concurrent_index() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/1000_init/up.sql", TABLE);
    write(d, "migrations/1000_init/down.sql", "DROP TABLE t;\n");
    write(
        d,
        "migrations/1000_init/metadata.yaml",
        "name: init\nparents: []\n",
    );
    // 1001 depends on 1002: it runs after it, although its id is smaller.
    write(
        d,
        "migrations/1001_use/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t DROP COLUMN c;\n",
    );
    write(
        d,
        "migrations/1001_use/down.sql",
        "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE t DROP COLUMN b;\n",
    );
    write(
        d,
        "migrations/1001_use/metadata.yaml",
        "name: use\nparents: [1002]\n",
    );
    write(
        d,
        "migrations/1002_c/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c int;\n",
    );
    write(
        d,
        "migrations/1002_c/down.sql",
        "ALTER TABLE t DROP COLUMN c;\n",
    );
    write(
        d,
        "migrations/1002_c/metadata.yaml",
        "name: c\nparents: [1000]\n",
    );
    write(d, "migrations/1003_idx/up.sql", INDEX);
    write(
        d,
        "migrations/1003_idx/down.sql",
        "DROP INDEX IF EXISTS t_a;\n",
    );
    write(
        d,
        "migrations/1003_idx/metadata.yaml",
        "name: idx\nparents: [1001]\ncreateIndexConcurrently: true\n",
    );
    let found = lint(d);
    assert!(!has(&found, "MIG002"), "{found:?}");
    assert!(!has(&found, "MIG033"), "{found:?}");
    assert!(!has(&found, "MIG021"), "{found:?}");
}

/// goose: `-- +goose NO TRANSACTION` runs the file outside a transaction, statement by statement.
#[test]
fn goose_no_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/00001_t.sql",
        &format!("-- +goose Up\n{TABLE}\n-- +goose Down\nDROP TABLE t;\n"),
    );
    write(
        d,
        "migrations/00002_i.sql",
        &format!(
            "-- +goose Up\n-- +goose NO TRANSACTION\n{INDEX}\n-- +goose Down\nDROP INDEX t_a;\n"
        ),
    );
    let found = lint(d);
    assert!(!has(&found, "MIG002"), "{found:?}");
    assert!(!has(&found, "MIG021"), "{found:?}");
}

/// `[migrations] tool = "refinery"`: `U` files are migrations (refinery's unversioned ones), not undo
/// scripts.
#[test]
fn refinery_named_in_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "dbarch.toml", "[migrations]\ntool = \"refinery\"\n");
    write(d, "migrations/V1__t.sql", TABLE);
    write(d, "migrations/U2__i.sql", "CREATE INDEX t_a ON t (a);\n");
    let o = dbarch(&["migrate", "lint", "migrations", "--format", "json"], d);
    let v = json(&o);
    assert_eq!(v["summary"]["files"].as_u64(), Some(2), "{v}");
    write(d, "dbarch.toml", "[migrations]\ntool = \"nope\"\n");
    let o = dbarch(&["migrate", "lint", "migrations"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dbarch.toml"), "{}", stderr(&o));
}

/// `migrate lint --since REV`: the migrations that existed at REV are replayed (the schema they build is
/// what the new ones are judged on) but only the new ones are reported; a revision git does not know is
/// an error.
#[test]
fn since_a_git_revision() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .arg("-C")
            .arg(d)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .expect("this test needs git on PATH");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q"]);
    write(d, "migrations/001_t.sql", TABLE);
    write(d, "migrations/002_i.sql", "CREATE INDEX t_a ON t (a);\n");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    write(d, "migrations/003_j.sql", "CREATE INDEX t_a2 ON t (a);\n");
    let all = lint(d);
    assert!(
        all.iter().any(|(c, f)| c == "MIG001" && f == "002_i.sql"),
        "{all:?}"
    );
    let o = dbarch(
        &[
            "migrate",
            "lint",
            "migrations",
            "--format",
            "json",
            "--since",
            "HEAD",
        ],
        d,
    );
    let v = json(&o);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|f| f.ends_with("003_j.sql")),
        "{v}"
    );
    let o = dbarch(
        &["migrate", "lint", "migrations", "--since", "no-such-branch"],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-branch"), "{}", stderr(&o));
}
