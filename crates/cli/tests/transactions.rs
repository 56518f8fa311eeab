//! Transaction control inside migrations, judged on what PostgreSQL does with it: COMMIT AND CHAIN ends
//! one transaction and opens the next (locks released, a NOT VALID constraint validated in a transaction
//! of its own); a file golang-migrate sends as one query runs in an implicit transaction block that its
//! own BEGIN ... COMMIT may make explicit; COMMIT AND CHAIN outside an explicit block is refused.

mod common;

use common::*;

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
    assert!(codes_in(&found, "003_w.down.sql").is_empty(), "{found:?}");
    assert!(
        codes_in(&found, "004_drop.up.sql").contains(&"MIG033".to_string()),
        "{found:?}"
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
