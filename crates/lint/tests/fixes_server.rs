//! Every fix a schema rule prints is run on a real server: the rule's trigger fixture is loaded into a
//! throwaway database (with `fixtures/CODE/data.sql`, rows that make the fix hard, when the rule has
//! one), each printed fix runs there statement by statement as printed (outside a
//! transaction block, as CONCURRENTLY needs), and the schema the server then has — read back from its
//! catalogs — is reviewed again: the finding must be gone, and no rule may find anything it did not
//! find before the fix (a fix does not trade one problem for another). Between the fix's statements no
//! uniqueness, key, foreign key or row level security policy that holds both before and after may be
//! missing (the new is made before the old is dropped). And what a non-owner application role could do
//! before the fix it can still do after it: run `fixtures/CODE/after.sql` when the rule has one (the
//! application's session: the settings it makes, the statements it runs) and read every table.
//!
//! Rules whose fixes are known to be wrong are listed in `KNOWN_WRONG` with what goes wrong; the test
//! fails when one of them starts to pass (take it off the list) as much as when another rule fails.

use dbarch_lint::{Config, all_rules, lint_text};

/// Every rule's findings (fingerprint, message) on the schema a database has, read back from its catalogs.
fn findings_of(client: &mut postgres::Client, name: &str) -> Vec<(String, String)> {
    let ddl = dbarch_live::introspect::schema_ddl(client)
        .unwrap_or_else(|e| panic!("{name}: reading the schema back: {e}"));
    lint_text(name, &ddl, &Config::default())
        .unwrap_or_else(|e| panic!("{name}: the schema read back does not parse: {e}\n{ddl}"))
        .into_iter()
        .map(|f| (f.fingerprint, format!("{} {}", f.code, f.message)))
        .collect()
}

/// Rules whose fix renames: the findings about the renamed object change identity.
const RENAMES: &[&str] = &["NAM001"];

/// Fixes known to fail on the server or to leave their finding, and why. To be emptied.
const KNOWN_WRONG: &[(&str, &str)] = &[];

#[test]
fn every_schema_fix_runs_on_the_server_and_removes_its_finding() {
    let cluster = dbarch_testkit::cluster();
    let mut wrong: Vec<(String, String)> = vec![];
    let mut verified = vec![];
    let schema_rules = all_rules().iter().filter(|r| {
        !r.is_migration_rule() && !r.is_query_rule() && !r.is_live_rule() && !r.is_plan_rule()
    });
    for rule in schema_rules {
        let code = rule.code;
        let config = Config::only(&[code]);
        let path = format!("fixtures/{code}/triggers.sql");
        let sql = rule.fixtures.triggers;
        let findings: Vec<_> = lint_text(&path, sql, &config)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_iter()
            .filter(|f| f.code == code && f.fix.is_some())
            .collect();
        if findings.is_empty() {
            continue;
        }
        // Each fix on its own, on the fixture as loaded: a user applies one fix, not all at once.
        let mut failed = false;
        for (n, f) in findings.iter().enumerate() {
            let db = format!("fix_{}_{n}", code.to_ascii_lowercase());
            let mut client = dbarch_testkit::database(&cluster, &db);
            // Statement by statement: one the server refuses (the schema the rule is about may be one
            // PostgreSQL does not accept, as a foreign key to columns without a key) must run once the
            // fix has.
            let mut refused = vec![];
            for stmt in statements(sql) {
                if client.batch_execute(&stmt).is_err() {
                    refused.push(stmt);
                }
            }
            load_data(&mut client, code);
            grant_to_the_application(&mut client);
            let app_could = as_the_application(&mut client, code);
            let held_before = enforced(&mut client);
            let mut moments = vec![];
            // What every rule finds in the schema as the server has it, before the fix; with the
            // statements the server refused (they run once the fix has), what the file's schema has.
            let mut before = findings_of(&mut client, &format!("{db} (before the fix)"));
            if !refused.is_empty() {
                before.extend(
                    lint_text(&path, sql, &Config::default())
                        .unwrap_or_else(|e| panic!("{path}: {e}"))
                        .into_iter()
                        .map(|f| (f.fingerprint, f.message)),
                );
            }
            let fix_sql = f.fix.as_ref().map(|f| f.sql.as_str()).unwrap_or_default();
            // The queries a fix prints in its comments (the rows that would make it fail) run too.
            for query in fix_sql
                .lines()
                .filter(|l| l.trim_start().starts_with("--"))
                .filter_map(|l| l.find(": SELECT ").map(|at| &l[at + 2..]))
            {
                if let Err(e) = client.batch_execute(query) {
                    wrong.push((
                        code.into(),
                        format!("its query `{query}` fails: {}", error(&e)),
                    ));
                    failed = true;
                }
            }
            for stmt in statements(fix_sql) {
                if let Err(e) = client.batch_execute(&stmt) {
                    wrong.push((code.into(), format!("`{stmt}` fails: {}", error(&e))));
                    failed = true;
                }
                moments.push((stmt, enforced(&mut client)));
            }
            // Nothing that holds before and after the fix is missing in between.
            if !RENAMES.contains(&code) {
                let held_after = enforced(&mut client);
                for (stmt, held) in &moments {
                    for gone in held_before
                        .intersection(&held_after)
                        .filter(|h| !held.contains(*h))
                    {
                        wrong.push((
                            code.into(),
                            format!("after its statement `{stmt}`, {gone} is no longer enforced"),
                        ));
                        failed = true;
                    }
                }
            }
            // What the application could do, it still can.
            let app_can = as_the_application(&mut client, code);
            for (what, before) in &app_could {
                if let (Ok(()), Some(Err(e))) = (before, app_can.get(what)) {
                    wrong.push((
                        code.into(),
                        format!("after its fix the application role cannot {what}: {e}"),
                    ));
                    failed = true;
                }
            }
            for stmt in &refused {
                if let Err(e) = client.batch_execute(stmt) {
                    wrong.push((
                        code.into(),
                        format!(
                            "the fixture's `{stmt}` is still refused after the fix: {}",
                            error(&e)
                        ),
                    ));
                    failed = true;
                }
            }
            // The schema as the server now has it, reviewed again.
            let ddl = dbarch_live::introspect::schema_ddl(&mut client)
                .unwrap_or_else(|e| panic!("{code}: reading the schema back: {e}"));
            let after =
                lint_text(&format!("{db} (after the fix)"), &ddl, &config).unwrap_or_else(|e| {
                    panic!("{code}: the schema read back does not parse: {e}\n{ddl}")
                });
            if after
                .iter()
                .any(|a| a.code == code && a.message == f.message)
            {
                wrong.push((code.into(), format!("after its fix, still: {}", f.message)));
                failed = true;
            }
            // No rule finds something new: the fix does not trade one problem for another. (A rename
            // gives the findings about the renamed object new identities: not compared.)
            let after_all = if RENAMES.contains(&code) {
                vec![]
            } else {
                findings_of(&mut client, &format!("{db} (after the fix)"))
            };
            for (new, message) in after_all {
                if !before.iter().any(|(b, _)| b == &new) {
                    wrong.push((
                        code.into(),
                        format!("its fix brings a new finding: {message}"),
                    ));
                    failed = true;
                }
            }
        }
        if !failed {
            verified.push(code);
        }
    }
    let mut unexpected: Vec<String> = wrong
        .iter()
        .filter(|(c, _)| !KNOWN_WRONG.iter().any(|(k, _)| k == c))
        .map(|(c, w)| format!("{c}: {w}"))
        .collect();
    for (k, why) in KNOWN_WRONG {
        if !wrong.iter().any(|(c, _)| c == k) {
            unexpected.push(format!(
                "{k} is listed as known wrong ({why}) but its fixes now hold: take it off the list"
            ));
        }
    }
    assert!(
        unexpected.is_empty(),
        "fixes verified on the server: {verified:?}\n{}",
        unexpected.join("\n")
    );
    // A schema rule that documents how safe its fix is must have a fix the server ran.
    let untested: Vec<&str> = all_rules()
        .iter()
        .filter(|r| {
            !r.is_migration_rule() && !r.is_query_rule() && !r.is_live_rule() && !r.is_plan_rule()
        })
        .filter(|r| r.doc.fix_safety.is_some() && !verified.contains(&r.code))
        .filter(|r| !KNOWN_WRONG.iter().any(|(k, _)| k == &r.code))
        .map(|r| r.code)
        .collect();
    assert!(
        untested.is_empty(),
        "rules with a fix but no fix their trigger fixture makes the server run: {untested:?}"
    );
}

/// The non-owner role the application connects as, granted what an application role has on every
/// schema of the database: USAGE, the four commands on its tables, its sequences and functions.
const APP_ROLE: &str = "fix_app";

fn grant_to_the_application(client: &mut postgres::Client) {
    let schemas: Vec<String> = client
        .query(
            "SELECT quote_ident(nspname) FROM pg_namespace
             WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
               AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'",
            &[],
        )
        .unwrap_or_else(|e| panic!("listing schemas: {}", error(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sql = format!(
        "DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
    );
    for s in schemas {
        sql.push_str(&format!(
            "GRANT USAGE ON SCHEMA {s} TO {APP_ROLE};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {APP_ROLE};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {APP_ROLE};
             GRANT EXECUTE ON ALL ROUTINES IN SCHEMA {s} TO {APP_ROLE};"
        ));
    }
    client
        .batch_execute(&sql)
        .unwrap_or_else(|e| panic!("granting to the application role: {}", error(&e)));
}

/// What the application role can do, each in a transaction of its own (rolled back) that first runs the
/// rule's `fixtures/CODE/after.sql` (the application's session: its settings and statements) when it
/// has one: that file, and a read of each table; each with the server's answer.
fn as_the_application(
    client: &mut postgres::Client,
    code: &str,
) -> std::collections::BTreeMap<String, Result<(), String>> {
    let tables: Vec<String> = client
        .query(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            &[],
        )
        .unwrap_or_else(|e| panic!("listing tables: {}", error(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect();
    let after =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/{code}/after.sql"));
    // The application's session: what it sets and runs (after.sql), then each read.
    let session = std::fs::read_to_string(&after).unwrap_or_default();
    let mut work: Vec<(String, String)> = tables
        .into_iter()
        .map(|t| {
            (
                format!("read {t}"),
                format!("{session}\n;SELECT FROM {t} LIMIT 1"),
            )
        })
        .collect();
    if !session.is_empty() {
        work.push((format!("run {}", after.display()), session));
    }
    work.into_iter()
        .map(|(what, sql)| {
            let answer = client
                .batch_execute(&format!("BEGIN; SET LOCAL ROLE {APP_ROLE}; {sql}"))
                .map_err(|e| error(&e));
            client
                .batch_execute("ROLLBACK")
                .unwrap_or_else(|e| panic!("rolling back: {}", error(&e)));
            (what, answer)
        })
        .collect()
}

/// What the database enforces that a fix must never leave missing, one line each: every unique or
/// primary key (by table and columns), foreign key and exclusion constraint (by definition), and each
/// table whose row level security is on with a policy.
fn enforced(client: &mut postgres::Client) -> std::collections::BTreeSet<String> {
    client
        .query(
            "SELECT format('a unique key on %s (%s)', i.indrelid::regclass,
                           (SELECT string_agg(a.attname, ', ' ORDER BY a.attname) FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)))
             FROM pg_index i WHERE i.indisunique AND i.indisvalid AND i.indisready
             UNION
             SELECT format('%s on %s', replace(pg_get_constraintdef(c.oid), ' NOT VALID', ''),
                           c.conrelid::regclass)
             FROM pg_constraint c WHERE c.contype IN ('f', 'x')
             UNION
             SELECT format('row level security on %s', c.oid::regclass) FROM pg_class c
             WHERE c.relrowsecurity AND EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)",
            &[],
        )
        .unwrap_or_else(|e| panic!("reading what is enforced: {}", error(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Rows that make a fix work for its living: `fixtures/CODE/data.sql`, when the rule has one.
fn load_data(client: &mut postgres::Client, code: &str) {
    let data =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/{code}/data.sql"));
    if let Ok(rows) = std::fs::read_to_string(&data) {
        client
            .batch_execute(&rows)
            .unwrap_or_else(|e| panic!("{}: {}", data.display(), error(&e)));
    }
}

fn error(e: &postgres::Error) -> String {
    e.as_db_error()
        .map_or(e.to_string(), |d| d.message().to_string())
}

/// The statements of a fix: `;`-separated (outside quotes), `--` comments dropped.
fn statements(fix: &str) -> Vec<String> {
    dbarch_sql::split::split(fix)
        .statements
        .iter()
        .map(|s| {
            fix[s.start..s.end]
                .trim()
                .trim_end_matches(';')
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty() && !s.lines().all(|l| l.trim_start().starts_with("--")))
        .collect()
}

/// Taking back what PUBLIC was granted on schema public keeps its USAGE: a role can still read the tables
/// it was granted, and can no longer create objects there.
#[test]
fn revoking_public_on_a_schema_keeps_usage() {
    let cluster = dbarch_testkit::cluster();
    let sql = "CREATE TABLE customers (id bigint PRIMARY KEY);
               GRANT ALL ON SCHEMA public TO PUBLIC;
               CREATE ROLE app LOGIN;
               GRANT SELECT ON customers TO app;";
    let config = Config::only(&["SEC003"]);
    let fix = lint_text("t.sql", sql, &config)
        .unwrap()
        .into_iter()
        .find_map(|f| f.fix.map(|f| f.sql))
        .expect("SEC003 fires with a fix");
    assert_eq!(fix, "REVOKE create ON SCHEMA public FROM public;");
    let mut db = dbarch_testkit::database(&cluster, "revoke_schema");
    db.batch_execute(sql).unwrap();
    for s in statements(&fix) {
        db.batch_execute(&s).unwrap();
    }
    db.batch_execute("SET ROLE app").unwrap();
    assert!(
        db.batch_execute("SELECT * FROM customers").is_ok(),
        "USAGE kept"
    );
    assert!(
        db.batch_execute("CREATE TABLE mine (a int)").is_err(),
        "CREATE revoked"
    );
}

/// Every fix a migration rule prints is the flagged statement written safely: in the rule's trigger
/// fixture the flagged statement is replaced by its fix, and then the migration runs on a throwaway server
/// after the fixture's setup (with `fixtures/CODE/data.sql`), statement by statement outside a
/// transaction block, and linted again the rule no longer flags what the fix wrote.
#[test]
fn every_migration_fix_runs_on_the_server_and_satisfies_its_rule() {
    let cluster = dbarch_testkit::cluster();
    let mut wrong = vec![];
    let mut verified = vec![];
    for rule in all_rules().iter().filter(|r| r.is_migration_rule()) {
        let code = rule.code;
        let config = Config::only(&[code]);
        let path = format!("fixtures/{code}/triggers.sql");
        let sql = rule.fixtures.triggers;
        let Some(marker) = sql.find("-- migration") else {
            continue;
        };
        let findings: Vec<_> = dbarch_lint::lint_migration_text(&path, sql, &config)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_iter()
            .filter(|f| f.code == code && f.fix.is_some())
            .collect();
        let mut failed = false;
        for (n, f) in findings.iter().enumerate() {
            let fix = f.fix.clone().map(|f| f.sql).unwrap_or_default();
            // The migration with the flagged statement (the one on the finding's line) replaced by the fix.
            let split = dbarch_sql::split::split(sql);
            let Some(flagged) = split.statements.iter().find(|s| {
                let first = sql[..s.start].matches('\n').count() + 1;
                let last = sql[..s.end].matches('\n').count() + 1;
                s.start > marker && (first..=last).contains(&f.line)
            }) else {
                wrong.push((code.to_string(), format!("no statement on line {}", f.line)));
                failed = true;
                continue;
            };
            let fixed = format!("{}{}\n{}", &sql[..flagged.start], fix, &sql[flagged.end..]);
            // The rule is satisfied by the fix (no finding of it on the fix's lines).
            let fix_lines = sql[..flagged.start].matches('\n').count() + 1
                ..=sql[..flagged.start].matches('\n').count() + 1 + fix.matches('\n').count();
            let again = dbarch_lint::lint_migration_text(&path, &fixed, &config)
                .unwrap_or_else(|e| panic!("{path} with the fix: {e}\n{fixed}"));
            if let Some(a) = again
                .iter()
                .find(|a| a.code == code && fix_lines.contains(&a.line))
            {
                wrong.push((
                    code.to_string(),
                    format!("its fix is flagged again: {}\n{fix}", a.message),
                ));
                failed = true;
            }
            // And it runs.
            let mut client = dbarch_testkit::database(
                &cluster,
                &format!("mfix_{}_{n}", code.to_ascii_lowercase()),
            );
            client
                .batch_execute(&sql[..marker])
                .unwrap_or_else(|e| panic!("{path}: the setup fails on the server: {}", error(&e)));
            load_data(&mut client, code);
            for stmt in statements(&fixed[marker..]) {
                if let Err(e) = client.batch_execute(&stmt) {
                    wrong.push((code.to_string(), format!("`{stmt}` fails: {}", error(&e))));
                    failed = true;
                }
            }
        }
        if !findings.is_empty() && !failed {
            verified.push(code);
        }
    }
    assert!(
        wrong.is_empty(),
        "migration fixes verified on the server: {verified:?}\n{}",
        wrong
            .iter()
            .map(|(c, w)| format!("{c}: {w}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let untested: Vec<&str> = all_rules()
        .iter()
        .filter(|r| r.is_migration_rule() && r.doc.fix_safety.is_some())
        .filter(|r| !verified.contains(&r.code))
        .map(|r| r.code)
        .collect();
    assert!(
        untested.is_empty(),
        "migration rules with a fix but no fix their trigger fixture makes the server run: {untested:?}"
    );
}

/// timestamp to timestamptz as TYP001's fix writes it changes the catalog only: the table keeps its
/// file (no rewrite), over rows, and the values are the same instants read as UTC.
#[test]
fn timestamptz_fix_does_not_rewrite() {
    let cluster = dbarch_testkit::cluster();
    let sql = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);";
    let fix = lint_text("t.sql", sql, &Config::only(&["TYP001"]))
        .unwrap()
        .into_iter()
        .find_map(|f| f.fix.map(|f| f.sql))
        .expect("TYP001 fires with a fix");
    let mut db = dbarch_testkit::database(&cluster, "timestamptz_fix");
    db.batch_execute(sql).unwrap();
    db.batch_execute(
        "SET TimeZone = 'America/New_York';
         INSERT INTO orders SELECT g, timestamp '2024-03-10 01:30' + g * interval '1 minute' FROM generate_series(1, 10000) g;",
    )
    .unwrap();
    let node = |db: &mut postgres::Client| -> u32 {
        db.query_one("SELECT pg_relation_filenode('orders')::int8", &[])
            .map(|r| r.get::<_, i64>(0) as u32)
            .unwrap()
    };
    let before = node(&mut db);
    for s in statements(&fix) {
        db.batch_execute(&s).unwrap();
    }
    assert_eq!(node(&mut db), before, "the table was rewritten by: {fix}");
    let first: String = db
        .query_one(
            "SELECT (placed_at AT TIME ZONE 'UTC')::text FROM orders WHERE id = 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(first, "2024-03-10 01:31:00", "values read as UTC");
}

/// A type fix is not offered as SQL when a view reads the column: PostgreSQL refuses the change.
#[test]
fn no_type_fix_through_a_view() {
    let sql =
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL, note char(10));
               CREATE VIEW recent AS SELECT id, placed_at, note FROM orders;";
    for code in ["TYP001", "TYP005"] {
        let findings = lint_text("t.sql", sql, &Config::only(&[code])).unwrap();
        assert!(findings.iter().any(|f| f.code == code), "{code} fires");
        assert!(
            findings.iter().all(|f| f.fix.is_none()),
            "{code}: no SQL fix through a view: {findings:?}"
        );
    }
    // Without the view the fixes are there.
    let bare =
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL, note char(10));";
    for code in ["TYP001", "TYP005"] {
        let findings = lint_text("t.sql", bare, &Config::only(&[code])).unwrap();
        assert!(
            findings.iter().any(|f| f.fix.is_some()),
            "{code} fixes a bare table"
        );
    }
}

/// Rules whose documented example is a schema PostgreSQL refuses: the refusal is what they report.
const EXAMPLE_REFUSED: &[(&str, &str)] = &[
    ("KEY004", "a foreign key to columns without a unique key"),
    (
        "KEY010",
        "a partitioned table's key without its partition columns",
    ),
    (
        "MIG033",
        "a partitioned table's key without its partition columns",
    ),
    (
        "MIG032",
        "a column type change under a view that reads the column",
    ),
];

/// Each schema and migration rule's page, run on the server: the example is SQL PostgreSQL accepts (but
/// for the rules that report what it refuses), and the recommended form — alone, or after the example's
/// schema when it changes that schema — runs without error. A page that shows SQL that cannot run
/// teaches the wrong thing. Each runs in a transaction rolled back (CONCURRENTLY left out: the build is
/// the same), so nothing one page makes (a role is the cluster's) is there for the next.
#[test]
fn every_rule_page_runs_on_the_server() {
    let cluster = dbarch_testkit::cluster();
    let mut client = dbarch_testkit::database(&cluster, "pages");
    let mut wrong = vec![];
    let pages = all_rules()
        .iter()
        .filter(|r| !r.is_query_rule() && !r.is_live_rule() && !r.is_plan_rule());
    // The statements of `texts` in one transaction, each under a savepoint, rolled back: the errors of
    // the last text's statements.
    let mut run = |texts: &[&str]| -> Vec<String> {
        let mut errors = vec![];
        client
            .batch_execute("BEGIN")
            .unwrap_or_else(|e| panic!("BEGIN: {}", error(&e)));
        for (i, text) in texts.iter().enumerate() {
            for stmt in statements(text) {
                // The page's own transaction control is the test's: left out.
                let first = stmt
                    .lines()
                    .find(|l| !l.trim_start().starts_with("--"))
                    .and_then(|l| l.split_whitespace().next())
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                // So are what cannot run in a transaction block (VACUUM, databases), and templates
                // with parameters ($1) a batch loop fills in.
                let outside = ["VACUUM", "DATABASE"]
                    .iter()
                    .any(|w| stmt.to_ascii_uppercase().contains(w));
                if ["BEGIN", "COMMIT", "END", "ROLLBACK", "START"]
                    .contains(&first.trim_end_matches(';'))
                    || outside
                    || stmt.contains("$1")
                {
                    continue;
                }
                let stmt = stmt.replace(" CONCURRENTLY", "");
                client
                    .batch_execute("SAVEPOINT page")
                    .unwrap_or_else(|e| panic!("{}", error(&e)));
                match client.batch_execute(&stmt) {
                    Ok(()) => {}
                    Err(e) => {
                        if i + 1 == texts.len() {
                            errors.push(format!("`{stmt}`: {}", error(&e)));
                        }
                        client
                            .batch_execute("ROLLBACK TO SAVEPOINT page")
                            .unwrap_or_else(|e| panic!("{}", error(&e)));
                    }
                }
            }
        }
        client
            .batch_execute("ROLLBACK")
            .unwrap_or_else(|e| panic!("ROLLBACK: {}", error(&e)));
        errors
    };
    for rule in pages {
        let code = rule.code;
        let example = rule.doc.example;
        // A migration rule's example: the schema it runs on, then `-- migration` and the migration.
        let setup = example.find("-- migration").map_or("", |at| &example[..at]);
        let refused = run(&[example]);
        let expected = EXAMPLE_REFUSED.iter().any(|(c, _)| *c == code);
        if !refused.is_empty() && !expected {
            wrong.push(format!(
                "{code}: its example is refused: {}",
                refused.join("; ")
            ));
        }
        // The recommended form, alone; else after the example's schema (its setup, for a migration rule).
        if !run(&[rule.doc.use_instead]).is_empty() {
            // The example's statements but those the recommended form writes again (its head —
            // `CREATE TABLE orders` — is in it).
            let head = |stmt: &str| {
                stmt.split(['(', '\n'])
                    .next()
                    .unwrap_or_default()
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let without_rewritten = |text: &str| {
                statements(text)
                    .into_iter()
                    .filter(|s| !rule.doc.use_instead.contains(&head(s)))
                    .map(|s| format!("{s};"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            // The schema it applies to: a migration rule's setup (with its migration, for a down; the
            // whole example, for a rule about applied migrations), or a schema rule's example; as it
            // is, or without what the recommended form writes again.
            let down = rule.doc.use_instead.trim_start().starts_with("-- down");
            let before_down = example.find("-- down").map_or(example, |at| &example[..at]);
            let schema = if !rule.is_migration_rule() {
                example
            } else if down {
                before_down
            } else {
                setup
            };
            let contexts = [
                schema.to_string(),
                without_rewritten(schema),
                example.to_string(),
                without_rewritten(example),
            ];
            let attempts: Vec<Vec<String>> = contexts
                .iter()
                .map(|c| run(&[c.as_str(), rule.doc.use_instead]))
                .collect();
            if attempts.iter().all(|a| !a.is_empty()) {
                wrong.push(format!(
                    "{code}: its use_instead is refused: {}",
                    attempts[0].join("; ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
