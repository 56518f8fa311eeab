//! Transaction control inside migrations, judged on what PostgreSQL does with it: COMMIT AND CHAIN ends
//! one transaction and opens the next (locks released, a NOT VALID constraint validated in a transaction
//! of its own); a file golang-migrate sends as one query runs in an implicit transaction block that its
//! own BEGIN ... COMMIT may make explicit; COMMIT AND CHAIN outside an explicit block is refused.

use crate::common::*;

/// The (code, file name, line) of each finding of `migrate lint` on the folder.
fn lint(dir: &std::path::Path) -> Vec<(String, String, u64)> {
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
                file.rsplit('/').nth(1).unwrap_or(file).to_string()
                    + "/"
                    + file.rsplit('/').next().unwrap_or(file),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn codes_in(found: &[(String, String, u64)], file: &str) -> Vec<String> {
    found
        .iter()
        .filter(|(_, f, _)| f.ends_with(file))
        .map(|(c, _, _)| c.clone())
        .collect()
}

/// Inside the tool's transaction (diesel wraps each up.sql), COMMIT AND CHAIN releases the locks taken so
/// far and starts a fresh transaction: no "statements run outside any transaction", no lock accumulation
/// across it, and VALIDATE after it is in a transaction of its own (the recommended pattern).
#[test]
fn commit_and_chain_in_a_wrapped_migration_opens_the_next_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/2024-01-01-000001_init/up.sql",
        "CREATE TABLE a (x int);\nCREATE TABLE b (x int);\n",
    );
    write(
        d,
        "migrations/2024-01-01-000001_init/down.sql",
        "DROP TABLE b;\nDROP TABLE a;\n",
    );
    write(
        d,
        "migrations/2024-01-01-000002_defaults/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a ALTER COLUMN x SET DEFAULT 1;\nCOMMIT AND CHAIN;\n\
         SET lock_timeout = '2s';\nALTER TABLE b ALTER COLUMN x SET DEFAULT 1;\nCOMMIT AND CHAIN;\n",
    );
    write(
        d,
        "migrations/2024-01-01-000002_defaults/down.sql",
        "ALTER TABLE b ALTER COLUMN x DROP DEFAULT;\nALTER TABLE a ALTER COLUMN x DROP DEFAULT;\n",
    );
    write(
        d,
        "migrations/2024-01-01-000003_check/up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a ADD CONSTRAINT a_x_pos CHECK (x > 0) NOT VALID;\n\
         COMMIT AND CHAIN;\nALTER TABLE a VALIDATE CONSTRAINT a_x_pos;\n",
    );
    write(
        d,
        "migrations/2024-01-01-000003_check/down.sql",
        "ALTER TABLE a DROP CONSTRAINT a_x_pos;\n",
    );
    let found = lint(d);
    for file in ["000002_defaults/up.sql", "000003_check/up.sql"] {
        let codes = codes_in(&found, file);
        for wrong in ["MIG028", "MIG020", "MIG018"] {
            assert!(
                !codes.contains(&wrong.to_string()),
                "{wrong} on {file}: {found:?}"
            );
        }
    }
    // A plain COMMIT there does end the tool's transaction: that is still reported.
    write(
        d,
        "migrations/2024-01-01-000004_commit/up.sql",
        "CREATE TABLE c (x int);\nCOMMIT;\nCREATE TABLE e (x int);\n",
    );
    write(
        d,
        "migrations/2024-01-01-000004_commit/down.sql",
        "DROP TABLE e;\nDROP TABLE c;\n",
    );
    let found = lint(d);
    assert!(
        codes_in(&found, "000004_commit/up.sql").contains(&"MIG028".to_string()),
        "{found:?}"
    );
}

/// golang-migrate sends each file as one query: its own BEGIN ... COMMIT is what that tool recommends
/// (not a fight with a transaction of the tool's), CONCURRENTLY is refused in a file of several
/// statements but runs alone, and COMMIT AND CHAIN outside an explicit block is refused.
#[test]
fn a_file_sent_as_one_query_runs_in_an_implicit_block() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/001_init.up.sql",
        "BEGIN;\nCREATE TABLE a (x int);\nCREATE TABLE b (x int);\nCOMMIT;\n",
    );
    write(
        d,
        "migrations/001_init.down.sql",
        "BEGIN;\nDROP TABLE b;\nDROP TABLE a;\nCOMMIT;\n",
    );
    write(
        d,
        "migrations/002_index.up.sql",
        "CREATE INDEX CONCURRENTLY a_x_idx ON a (x);\n",
    );
    write(
        d,
        "migrations/002_index.down.sql",
        "DROP INDEX CONCURRENTLY a_x_idx;\n",
    );
    write(
        d,
        "migrations/003_two.up.sql",
        "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY b_x_idx ON b (x);\n",
    );
    write(d, "migrations/003_two.down.sql", "DROP INDEX b_x_idx;\n");
    write(
        d,
        "migrations/004_chain.up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a ALTER COLUMN x SET DEFAULT 1;\nCOMMIT AND CHAIN;\n\
         ALTER TABLE b ALTER COLUMN x SET DEFAULT 1;\n",
    );
    write(
        d,
        "migrations/004_chain.down.sql",
        "ALTER TABLE b ALTER COLUMN x DROP DEFAULT;\nALTER TABLE a ALTER COLUMN x DROP DEFAULT;\n",
    );
    let found = lint(d);
    assert!(codes_in(&found, "001_init.up.sql").is_empty(), "{found:?}");
    assert!(
        !codes_in(&found, "002_index.up.sql").contains(&"MIG002".to_string()),
        "{found:?}"
    );
    assert!(
        codes_in(&found, "003_two.up.sql").contains(&"MIG002".to_string()),
        "{found:?}"
    );
    assert!(
        codes_in(&found, "004_chain.up.sql").contains(&"MIG028".to_string()),
        "{found:?}"
    );
}

/// With `[migrations] tool = "sqlx"` up/down pairs run in the tool's own transaction: a BEGIN in one is
/// a fight with it (PostgreSQL warns, and the COMMIT ends sqlx's transaction early).
#[test]
fn sqlx_wraps_its_migrations_in_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/001_init.up.sql",
        "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n",
    );
    write(d, "migrations/001_init.down.sql", "DROP TABLE a;\n");
    assert!(codes_in(&lint(d), "001_init.up.sql").is_empty());
    write(d, "dbarch.toml", "[migrations]\ntool = \"sqlx\"\n");
    let found = lint(d);
    let codes = codes_in(&found, "001_init.up.sql");
    assert_eq!(codes, ["MIG028", "MIG028"], "{found:?}");
    // A tool dbarch does not know is a clear error, naming the file.
    write(d, "dbarch.toml", "[migrations]\ntool = \"liquibase\"\n");
    let o = dbarch(&["migrate", "lint", "migrations"], d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("dbarch.toml"), "{}", stderr(&o));
}

/// A migration that defines a helper running DDL through EXECUTE and calls it: the call is followed into
/// the helper (its `format(...)` expanded with the argument of the call), so the column exists in the
/// model as on the server and no claim that PostgreSQL refuses what comes after is made. A DO block's
/// ALTER under IF NOT EXISTS may or may not have run: its table is uncertain, and no refusal is claimed
/// about it. Every file runs on PostgreSQL without error.
#[test]
fn ddl_the_model_cannot_see_makes_no_refusal_claims() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/001_init.up.sql", "CREATE TABLE a (x int);\n");
    write(d, "migrations/001_init.down.sql", "DROP TABLE a;\n");
    write(
        d,
        "migrations/002_add_tenant.up.sql",
        "CREATE FUNCTION add_tenant(t text) RETURNS void AS $$\n\
         BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN tenant_id integer', t); END;\n\
         $$ LANGUAGE plpgsql;\nSELECT add_tenant('a');\nDROP FUNCTION add_tenant(text);\n",
    );
    write(
        d,
        "migrations/002_add_tenant.down.sql",
        "ALTER TABLE a DROP COLUMN tenant_id;\n",
    );
    write(
        d,
        "migrations/003_default.up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a ALTER COLUMN tenant_id SET DEFAULT 1;\n",
    );
    write(
        d,
        "migrations/003_default.down.sql",
        "ALTER TABLE a ALTER COLUMN tenant_id DROP DEFAULT;\n",
    );
    // The same through a DO block.
    write(
        d,
        "migrations/004_do.up.sql",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'a' \
         AND column_name = 'region') THEN ALTER TABLE a ADD COLUMN region text; END IF; END $$;\n",
    );
    write(
        d,
        "migrations/004_do.down.sql",
        "ALTER TABLE a DROP COLUMN region;\n",
    );
    let found = lint(d);
    for (code, file, line) in &found {
        assert!(
            !["MIG021", "MIG032", "MIG033"].contains(&code.as_str()),
            "{code} at {file}:{line}: {found:?}"
        );
    }
}

/// What a DO block runs is applied: a down that does not undo it is found (the column the DO block added
/// is left behind), and a down whose DO block does undo its up is not reported.
#[test]
fn a_do_block_is_replayed_so_its_down_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/001_init.up.sql", "CREATE TABLE a (x int);\n");
    write(d, "migrations/001_init.down.sql", "DROP TABLE a;\n");
    write(
        d,
        "migrations/002_z.up.sql",
        "DO $$ BEGIN ALTER TABLE a ADD COLUMN z int; END $$;\n",
    );
    write(d, "migrations/002_z.down.sql", "SELECT 1;\n");
    write(
        d,
        "migrations/003_w.up.sql",
        "ALTER TABLE a ADD COLUMN w int;\n",
    );
    write(
        d,
        "migrations/003_w.down.sql",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I DROP COLUMN %I', 'a', 'w'); END $$;\n",
    );
    // The model is still sure of `a`: a drop of a column it never had is refused.
    write(
        d,
        "migrations/004_drop.up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a DROP COLUMN missing;\n",
    );
    let found = lint(d);
    assert_eq!(codes_in(&found, "002_z.down.sql"), ["MIG021"], "{found:?}");
    // Restored (its DDL is still judged: no lock_timeout before the drop).
    assert_eq!(codes_in(&found, "003_w.down.sql"), ["MIG009"], "{found:?}");
    assert!(
        codes_in(&found, "004_drop.up.sql").contains(&"MIG033".to_string()),
        "{found:?}"
    );
}

/// The DDL a DO block runs is judged by the migration rules at its line in the block, guarded or not, and
/// its locks are in the lock report at the same lines: an index built without CONCURRENTLY, a rewrite,
/// no lock_timeout. No fix rewrites a statement inside the block (a routine cannot build an index
/// CONCURRENTLY); a setting to make before it is still given. A block that only reads and writes rows
/// gets nothing.
#[test]
fn the_ddl_a_do_block_runs_is_judged_and_locks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/001_init.up.sql", "CREATE TABLE a (x int);\n");
    write(d, "migrations/001_init.down.sql", "DROP TABLE a;\n");
    write(
        d,
        "migrations/002_y.up.sql",
        "SELECT 1;\nDO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM information_schema.columns\n    \
         WHERE table_name = 'a' AND column_name = 'y') THEN\n    \
         ALTER TABLE a ADD COLUMN y int;\n    CREATE INDEX a_y_idx ON a (y);\n    \
         ALTER TABLE a ALTER COLUMN x TYPE bigint;\n  END IF;\nEND\n$$;\n",
    );
    write(
        d,
        "migrations/002_y.down.sql",
        "SET lock_timeout = '2s';\nDROP INDEX a_y_idx;\nALTER TABLE a DROP COLUMN y;\n\
         ALTER TABLE a ALTER COLUMN x TYPE int;\n",
    );
    write(
        d,
        "migrations/003_rows.up.sql",
        "DO $$ BEGIN UPDATE a SET x = 1 WHERE x IS NULL; END $$;\n",
    );
    // PostgreSQL refuses CREATE INDEX CONCURRENTLY in a routine ("cannot be executed from a
    // function"): an error when the block runs it for certain, nothing said when it may not run it.
    write(
        d,
        "migrations/004_cic.up.sql",
        "DO $$ BEGIN CREATE INDEX CONCURRENTLY a_x_idx ON a (x); END $$;\n",
    );
    write(
        d,
        "migrations/005_cic_guarded.up.sql",
        "DO $$ BEGIN IF (SELECT count(*) FROM a) < 1000 THEN \
         CREATE INDEX CONCURRENTLY a_x2_idx ON a (x); END IF; END $$;\n",
    );
    let o = dbarch(&["migrate", "lint", "migrations", "--format", "json"], d);
    let report = json(&o);
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("002_y.up.sql"))
        .collect();
    let code = |c: &str| findings.iter().find(|f| f["code"] == c).copied();
    // Each at its statement's line inside the block.
    for (c, line) in [("MIG009", 6), ("MIG001", 7), ("MIG011", 8)] {
        let f = code(c).unwrap_or_else(|| panic!("{c} in the DO block: {findings:#?}"));
        assert_eq!(f["line"], line, "{f:#}");
        assert_eq!(f["column"], 5, "{f:#}");
    }
    let index = code("MIG001").unwrap();
    assert!(
        index["fix"].is_null(),
        "no CONCURRENTLY fix inside a DO block: {index:#}"
    );
    assert!(
        index["help"]
            .as_str()
            .unwrap()
            .contains("inside a DO block"),
        "{index:#}"
    );
    assert!(
        code("MIG009").unwrap()["fix"]["sql"]
            .as_str()
            .is_some_and(|s| s.starts_with("SET lock_timeout")),
        "the setting is still a fix: {findings:#?}"
    );
    let found = lint(d);
    assert!(codes_in(&found, "003_rows.up.sql").is_empty(), "{found:?}");
    assert!(
        codes_in(&found, "004_cic.up.sql").contains(&"MIG002".to_string()),
        "{found:?}"
    );
    assert!(
        !codes_in(&found, "005_cic_guarded.up.sql").contains(&"MIG002".to_string()),
        "{found:?}"
    );
    // The block's locks, each at its statement's line.
    let o = dbarch(&["migrate", "lint", "migrations", "--locks"], d);
    let text = stdout(&o);
    let at = |line: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{line} ")))
            .unwrap_or_else(|| panic!("no lock at line {line}: {text}"))
    };
    assert!(
        at("7").contains("SHARE ") && at("7").contains("scans CREATE INDEX a_y_idx"),
        "{text}"
    );
    assert!(
        at("8").contains("ACCESS EXCLUSIVE") && at("8").contains("rewrites ALTER TABLE a"),
        "{text}"
    );
}

/// An EXECUTE of a string built at run time (a loop over the catalog) may change anything: no refusal
/// is claimed after it, and `--verbose` says why the schema is uncertain.
#[test]
fn execute_of_a_run_time_string_makes_the_schema_uncertain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "migrations/001_init.up.sql", "CREATE TABLE a (x int);\n");
    write(
        d,
        "migrations/002_loop.up.sql",
        "DO $$ DECLARE r record; BEGIN\n\
         FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP\n\
         EXECUTE format('ALTER TABLE %I ADD COLUMN audit_at timestamptz', r.tablename);\n\
         END LOOP; END $$;\n",
    );
    write(
        d,
        "migrations/003_use.up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE a DROP COLUMN audit_at;\n",
    );
    let found = lint(d);
    assert!(!found.iter().any(|(c, _, _)| c == "MIG033"), "{found:?}");
    let o = dbarch(&["--verbose", "migrate", "lint", "migrations"], d);
    let err = stderr(&o);
    assert!(
        err.contains("002_loop.up.sql:1:1: a DO block: no schema change applied; the schema is uncertain from here (EXECUTE format("),
        "{err}"
    );
}

/// Each migration tool's conventions, read from the folder (one test binary with the transaction
/// tests: each binary costs a link).
mod tools {
    use super::*;

    // Each migration tool's conventions, as `migrate lint` reads them from the folder: the order it runs
    // migrations in and the transaction it runs each in. Every case here was a false finding when a
    // folder was read as plain up/down pairs.

    /// The codes of `migrate lint` on the folder, with the file name of each (under the folder).
    fn lint_tool(dir: &std::path::Path) -> Vec<(String, String)> {
        lint(dir)
            .into_iter()
            .map(|(code, file, _)| (code, file.trim_start_matches("migrations/").to_string()))
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
        let found = lint_tool(d);
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
        let found = lint_tool(d);
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
        let found = lint_tool(d);
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
        let found = lint_tool(d);
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
        let found = lint_tool(d);
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
        let all = lint_tool(d);
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
}

/// A down runs on a rollback: its statements are judged by the migration rules and reported at the
/// down's lines (an index rebuilt without CONCURRENTLY on a table the history already had), but what
/// its up created, or a rename back, is the down's to undo; `lint-downs = false` turns it off.
#[test]
fn down_scripts_are_judged_like_ups() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "migrations/000001_init.up.sql",
        "CREATE TABLE a (id bigint PRIMARY KEY, x int, name text);\nCREATE INDEX a_x ON a (x);\n",
    );
    write(d, "migrations/000001_init.down.sql", "DROP TABLE a;\n");
    write(
        d,
        "migrations/000002_change.up.sql",
        "SET lock_timeout = '2s';\nDROP INDEX CONCURRENTLY a_x;\nALTER TABLE a ADD COLUMN y int;\n\
         ALTER TABLE a RENAME COLUMN name TO title;\nCREATE TABLE b (id bigint PRIMARY KEY);\n",
    );
    write(
        d,
        "migrations/000002_change.down.sql",
        "SET lock_timeout = '2s';\nDROP TABLE b;\nALTER TABLE a RENAME COLUMN title TO name;\n\
         ALTER TABLE a DROP COLUMN y;\nCREATE INDEX a_x ON a (x);\n",
    );
    let found = lint(d);
    let down: Vec<(String, u64)> = found
        .iter()
        .filter(|(_, f, _)| f.ends_with("000002_change.down.sql"))
        .map(|(c, _, l)| (c.clone(), *l))
        .collect();
    assert_eq!(down, vec![("MIG001".to_string(), 5)], "{found:?}");
    write(d, "dbarch.toml", "[migrations]\nlint-downs = false\n");
    let found = lint(d);
    assert!(
        codes_in(&found, "000002_change.down.sql").is_empty(),
        "{found:?}"
    );
}
