//! The change model against a real server, on a fixed sample of generated schemas
//! (`crates/catalog/tests/support/schemas.rs`): the DDL `diff(a, b)` emits runs on a database built as
//! `a`, and that database then has the schema of one built as `b` (both read back from the server's
//! catalogs and compared as the schema model compares schemas).

use dbarch_catalog::{Catalog, diff, differences};
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

#[test]
fn the_emitted_diff_gives_the_target_schema_on_a_server() {
    let cluster = dbarch_testkit::cluster();
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(15),
        ..Config::default()
    });
    let strategy = schemas::two_versions();
    for case in 0..24 {
        let (va, vb) = match strategy.new_tree(&mut runner) {
            Ok(t) => t.current(),
            Err(e) => panic!("generate: {e}"),
        };
        let (sa, sb) = (
            schemas::script(&schemas::ddl(&va)),
            schemas::script(&schemas::ddl(&vb)),
        );
        let plan: String = diff(&catalog(&sa), &catalog(&sb))
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
    }
}
