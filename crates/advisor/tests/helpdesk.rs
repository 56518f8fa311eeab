//! The advisor on a schema, statistics and workload it was not tuned on (a help desk): it must propose
//! what an expert would — a composite for the list sorted by date, an expression index for the
//! case-insensitive sign-in, GIN for jsonb, arrays and full text, partial indexes for the open queue and
//! the live rows — stay within a budget, and name the redundant existing index.

use dbarch_advisor::{Advice, Budget, Options, Strategy, advise};
use dbarch_catalog::{Catalog, Stats};
use dbarch_sql::SourceMap;

fn run(budget: Budget) -> Advice {
    run_with(budget, Strategy::Extend)
}

fn run_with(budget: Budget, strategy: Strategy) -> Advice {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/helpdesk");
    let mut sources = SourceMap::new();
    let schema = sources.add(
        "schema.sql",
        std::fs::read_to_string(format!("{dir}/schema.sql")).unwrap(),
    );
    let parsed = dbarch_sql::parse_file(&schema).unwrap();
    let catalog = Catalog::from_files([&parsed]);
    let stats = Stats::from_json(
        "stats.json",
        &std::fs::read_to_string(format!("{dir}/stats.json")).unwrap(),
    )
    .unwrap();
    let workload_file = sources.add(
        "workload.sql",
        std::fs::read_to_string(format!("{dir}/workload.sql")).unwrap(),
    );
    let mut builder = dbarch_workload::Builder::default();
    dbarch_workload::load_into(&workload_file, &mut builder).unwrap();
    advise(
        &builder.finish(),
        &catalog,
        &stats,
        &Options { budget, strategy },
    )
}

fn sqls(a: &Advice) -> Vec<String> {
    a.recommendations.iter().map(|r| r.sql.clone()).collect()
}

#[test]
fn proposes_what_an_expert_would() {
    let a = run(Budget::Unlimited);
    let got = sqls(&a);
    let has = |needle: &str| got.iter().any(|s| s.contains(needle));
    // Composite: equality, then the sort column in the query's direction.
    assert!(
        has("ON public.tickets USING btree (organisation_id, created_at DESC)"),
        "{got:#?}"
    );
    // Expression index for lower(email) = lower($1).
    assert!(
        has("ON public.people USING btree (lower(email))"),
        "{got:#?}"
    );
    // GIN: jsonb containment (jsonb_path_ops), array overlap, full text.
    assert!(
        has("ON public.tickets USING gin (custom_fields jsonb_path_ops)"),
        "{got:#?}"
    );
    assert!(has("ON public.tickets USING gin (labels)"), "{got:#?}");
    assert!(has("ON public.messages USING gin (body_tsv)"), "{got:#?}");
    // Partial indexes on the constant conditions.
    assert!(has("WHERE status = 'open'"), "{got:#?}");
    assert!(has("WHERE deleted_at IS NULL"), "{got:#?}");
    let queue = a
        .recommendations
        .iter()
        .find(|r| r.predicate.as_deref() == Some("status = 'open'"))
        .unwrap();
    assert_eq!(queue.columns[..2], ["organisation_id", "priority DESC"]);
    // The live-agents index does not carry the column its own condition tests.
    let live = a
        .recommendations
        .iter()
        .find(|r| r.predicate.as_deref() == Some("deleted_at IS NULL"))
        .unwrap();
    assert!(
        !live.include.contains(&"deleted_at".to_string()),
        "{live:?}"
    );
    // Nothing for what existing indexes serve already (messages by ticket in order).
    assert!(
        !has("ON public.messages USING btree (ticket_id"),
        "{got:#?}"
    );
    // Each served query gets cheaper.
    for r in &a.recommendations {
        assert!(!r.queries.is_empty(), "{}", r.sql);
        for q in &r.queries {
            assert!(q.cost_after < q.cost_before, "{}: {q:?}", r.sql);
        }
    }
    assert!(a.cost_after < a.cost_before);
    // The single-column index on messages(ticket_id) is a prefix of (ticket_id, created_at).
    let drops: Vec<&str> = a.drops.iter().map(|d| d.index.as_str()).collect();
    assert!(drops.contains(&"messages_ticket_id_idx"), "{drops:?}");
    // Foreign-key indexes nobody reads through are kept.
    assert!(!drops.contains(&"messages_author_id_idx"), "{drops:?}");
}

#[test]
fn stays_within_the_budget_and_spends_it_well() {
    let unlimited = run(Budget::Unlimited);
    let mut previous = unlimited.cost_before;
    for mb in [50.0, 200.0, 1000.0, 5000.0] {
        let a = run(Budget::Bytes(mb * 1024.0 * 1024.0));
        let total: f64 = a.recommendations.iter().map(|r| r.size_bytes).sum();
        assert!(total <= mb * 1024.0 * 1024.0 + 1.0, "{mb} MB: {total}");
        assert!((a.used_bytes - total).abs() < 1.0);
        // More room never makes the workload dearer.
        assert!(
            a.cost_after <= previous + 1e-6,
            "{mb} MB: {} > {previous}",
            a.cost_after
        );
        previous = a.cost_after;
    }
    assert!(unlimited.cost_after <= previous + 1e-6);
}

#[test]
fn budget_sizes_parse() {
    assert_eq!(Budget::parse("500MB"), Ok(Budget::Bytes(500.0 * 1048576.0)));
    assert_eq!(
        Budget::parse("1.5 GB"),
        Ok(Budget::Bytes(1.5 * 1073741824.0))
    );
    assert_eq!(Budget::parse("0.5x"), Ok(Budget::OfData(0.5)));
    assert_eq!(Budget::parse("25%"), Ok(Budget::OfData(0.25)));
    assert_eq!(Budget::parse("4096"), Ok(Budget::Bytes(4096.0)));
    assert!(Budget::parse("lots").is_err());
    assert!(Budget::parse("-1GB").is_err());
    for bad in ["NaNx", "nan%", "infx", "-0.5x", "-1%", "1e400", "NaN MB"] {
        assert!(Budget::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn extend_does_at_least_as_well_as_plain_greedy() {
    for mb in [100.0, 500.0, 2000.0] {
        let budget = Budget::Bytes(mb * 1024.0 * 1024.0);
        let extend = run_with(budget, Strategy::Extend);
        let greedy = run_with(budget, Strategy::Greedy);
        assert!(
            extend.cost_after <= greedy.cost_after * (1.0 + 1e-9),
            "{mb} MB: extend {} > greedy {}",
            extend.cost_after,
            greedy.cost_after
        );
    }
}
