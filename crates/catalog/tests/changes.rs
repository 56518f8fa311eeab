//! Properties of the change model over generated schemas (`support/schemas.rs`): what the emitter writes
//! lowers back to the same change, and the changes `diff(a, b)` lists turn `a` into `b` — applied to the
//! model, and written as DDL and replayed. (`crates/cli/tests/diff_server.rs` runs a sample on a server.)

use dbarch_catalog::{Catalog, diff, differences};
use dbarch_sql::change::{SchemaChange, emit, lower};
use dbarch_sql::{ParseOptions, SourceMap, Span, Statement, parse_file_opts};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

#[path = "support/schemas.rs"]
mod schemas;

fn statements(sql: &str) -> Vec<Statement> {
    let mut sources = SourceMap::new();
    let file = sources.add("schema.sql", sql.to_string());
    match parse_file_opts(&file, ParseOptions::SCHEMA) {
        Ok(f) => f.statements,
        Err(e) => panic!("{e:?}\n{sql}"),
    }
}

fn catalog(sql: &str) -> Catalog {
    let mut c = Catalog::new();
    for s in &statements(sql) {
        c.replay(s);
    }
    c
}

fn changes_of(sql: &str) -> Vec<SchemaChange> {
    statements(sql)
        .iter()
        .flat_map(|s| lower(s).changes)
        .map(|mut c| {
            c.erase_spans(Span::default());
            c
        })
        .collect()
}

/// The script that makes `changes`.
fn emitted(changes: &[SchemaChange]) -> String {
    changes
        .iter()
        .map(|c| match emit(c) {
            Some(sql) => format!("{sql};\n"),
            None => panic!("not emitted: {c:?}"),
        })
        .collect()
}

fn config() -> Config {
    Config {
        cases: 200,
        rng_seed: RngSeed::Fixed(14),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn what_is_emitted_lowers_to_the_same_change(v in schemas::version()) {
        for statement in schemas::ddl(&v) {
            for change in changes_of(&statement) {
                let text = emit(&change);
                prop_assert!(text.is_some(), "{statement}: {change:?} not emitted");
                let text = text.unwrap_or_default();
                prop_assert_eq!(changes_of(&text), vec![change], "{} -> {}", statement, text);
            }
        }
    }

    #[test]
    fn the_diff_turns_one_schema_into_the_other((va, vb) in schemas::two_versions()) {
        let (sa, sb) = (schemas::script(&schemas::ddl(&va)), schemas::script(&schemas::ddl(&vb)));
        let (a, b) = (catalog(&sa), catalog(&sb));
        let plan = diff(&a, &b);
        // Applied to the model.
        let mut applied = a.clone();
        applied.apply_changes(&plan);
        let left: Vec<String> = differences(&applied, &b).iter().map(|d| d.to_string()).collect();
        prop_assert!(left.is_empty(), "applied: {left:?}\n-- a\n{sa}\n-- b\n{sb}\n-- plan\n{plan:#?}");
        // Written as DDL and replayed.
        let script = emitted(&plan);
        let replayed = catalog(&format!("{sa}{script}"));
        let left: Vec<String> = differences(&replayed, &b).iter().map(|d| d.to_string()).collect();
        prop_assert!(left.is_empty(), "replayed: {left:?}\n-- a\n{sa}\n-- b\n{sb}\n-- script\n{script}");
        prop_assert!(diff(&b, &b).is_empty());
    }

    #[test]
    fn what_only_adds_drops_nothing((va, vb) in schemas::two_versions()) {
        let sa = schemas::script(&schemas::ddl(&va));
        let sg = schemas::script(&schemas::ddl(&schemas::grown(&va, &vb)));
        let (a, g) = (catalog(&sa), catalog(&sg));
        let plan = diff(&a, &g);
        let drops: Vec<&SchemaChange> = plan
            .iter()
            .filter(|c| matches!(c, SchemaChange::Drop(_)))
            .collect();
        prop_assert!(drops.is_empty(), "{drops:?}\n-- a\n{sa}\n-- grown\n{sg}");
        let mut applied = a.clone();
        applied.apply_changes(&plan);
        prop_assert!(differences(&applied, &g).is_empty());
    }
}
