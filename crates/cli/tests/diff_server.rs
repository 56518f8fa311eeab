//! The change model against a real server, on a fixed sample of generated schemas
//! (`crates/catalog/tests/support/schemas.rs`): the DDL `diff(a, b)` emits runs on a database built as
//! `a`, and that database then has the schema of one built as `b` (both read back from the server's
//! catalogs and compared as the schema model compares schemas). The down script proposed for that plan
//! (`migrate down-gen`'s derivation) runs after it, and where no step is marked irreversible the database
//! has the schema of `a` again.

use dbarch_catalog::{Catalog, diff, differences};
use dbarch_lint::migration::reverse::down_steps;
use dbarch_sql::change::emit;
use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngSeed, TestRunner};

#[path = "../../catalog/tests/support/schemas.rs"]
mod schemas;

fn catalog(sql: &str) -> Catalog {
    let mut sources = SourceMap::new();
    let file = sources.add("schema.sql", sql.to_string());
    match parse_file_opts(&file, ParseOptions::SCHEMA) {
        Ok(f) => Catalog::from_files([&f]),
        Err(e) => panic!("{e:?}\n{sql}"),
    }
}

/// The schema of a database as the server describes it.
fn server_schema(db: &mut postgres::Client) -> Catalog {
    match dbarch_live::schema_ddl(db) {
        Ok(ddl) => catalog(&ddl),
        Err(e) => panic!("introspect: {e}"),
    }
}

fn run(db: &mut postgres::Client, what: &str, sql: &str) {
    if let Err(e) = db.batch_execute(sql) {
        let why = e
            .as_db_error()
            .map_or(e.to_string(), |d| d.message().to_string());
        panic!("{what} fails on the server: {why}\n{sql}");
    }
}

/// A fresh database built as `a`.
fn a_again(cluster: &dbarch_testkit::TempCluster, case: usize, sa: &str) -> postgres::Client {
    let mut db = dbarch_testkit::database(cluster, &format!("diff_a_again_{case}"));
    run(&mut db, "a", sa);
    db
}

#[test]
fn the_emitted_diff_gives_the_target_schema_on_a_server() {
    let cluster = dbarch_testkit::cluster();
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(15),
        ..Config::default()
    });
    let strategy = schemas::two_versions();
    let mut reversed = 0;
    for case in 0..24 {
        let (va, vb) = match strategy.new_tree(&mut runner) {
            Ok(t) => t.current(),
            Err(e) => panic!("generate: {e}"),
        };
        let (sa, sb) = (
            schemas::script(&schemas::ddl(&va)),
            schemas::script(&schemas::ddl(&vb)),
        );
        let before = catalog(&sa);
        let plan: String = diff(&before, &catalog(&sb))
            .iter()
            .map(|c| match emit(c) {
                Some(sql) => format!("{sql};\n"),
                None => panic!("not emitted: {c:?}"),
            })
            .collect();
        let mut a = dbarch_testkit::database(&cluster, &format!("diff_a_{case}"));
        let mut b = dbarch_testkit::database(&cluster, &format!("diff_b_{case}"));
        run(&mut a, "a", &sa);
        run(&mut a, "the plan", &plan);
        run(&mut b, "b", &sb);
        let left: Vec<String> = differences(&server_schema(&mut a), &server_schema(&mut b))
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert!(
            left.is_empty(),
            "case {case}: {left:?}\n-- a\n{sa}\n-- b\n{sb}\n-- plan\n{plan}"
        );
        // A plan that only adds to `a`, as an up migration: its proposed down gives `a` back.
        let sg = schemas::script(&schemas::ddl(&schemas::grown(&va, &vb)));
        let growth: String = diff(&before, &catalog(&sg))
            .iter()
            .map(|c| match emit(c) {
                Some(sql) => format!("{sql};\n"),
                None => panic!("not emitted: {c:?}"),
            })
            .collect();
        let mut sources = SourceMap::new();
        let up = match parse_file_opts(&sources.add("up.sql", growth.clone()), ParseOptions::SCHEMA)
        {
            Ok(f) => f,
            Err(e) => panic!("{e:?}"),
        };
        let steps = down_steps(&before, &up.statements, 15);
        let doubtful: Vec<&str> = steps
            .iter()
            .filter(|s| s.irreversible.is_some() || s.underived)
            .map(|s| s.up.as_str())
            .collect();
        assert!(
            doubtful.is_empty(),
            "case {case}: not reversed: {doubtful:?}\n{growth}"
        );
        reversed += 1;
        let down: String = steps
            .iter()
            .flat_map(|s| &s.sql)
            .map(|q| format!("{q}\n"))
            .collect();
        let mut g = dbarch_testkit::database(&cluster, &format!("diff_grown_{case}"));
        run(&mut g, "a", &sa);
        run(&mut g, "the growth", &growth);
        run(&mut g, "its proposed down", &down);
        let left: Vec<String> = differences(
            &server_schema(&mut g),
            &server_schema(&mut a_again(&cluster, case, &sa)),
        )
        .iter()
        .map(|d| d.to_string())
        .collect();
        assert!(
            left.is_empty(),
            "case {case}, down: {left:?}\n-- a\n{sa}\n-- up\n{growth}\n-- down\n{down}"
        );
    }
    assert_eq!(reversed, 24);
}
