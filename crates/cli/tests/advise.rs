//! `dbarch advise` as a user runs it: the shop's workload against its schema and statistics, JSON
//! output with the documented fields, a budget that is respected, and clear errors for bad input.

use crate::common::*;

fn advise(args: &[&str]) -> serde_json::Value {
    let mut all = vec![
        "advise",
        "examples/shop/workload.sql",
        "--schema",
        "examples/shop/schema.sql",
        "--stats",
        "examples/shop/stats.json",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    let o = dbarch(&all, &repo());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json(&o)
}

#[test]
fn shop_recommendations() {
    let v = advise(&[]);
    let recs = v["recommendations"].as_array().unwrap();
    // The order history by user, newest first: equality then the sort column.
    let history = recs
        .iter()
        .find(|r| r["table"] == "orders" && r["columns"][0] == "user_id")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(history["columns"][1], "placed_at");
    assert_eq!(history["method"], "btree");
    assert!(
        history["sql"].as_str().unwrap().starts_with(
            "CREATE INDEX CONCURRENTLY ON public.orders USING btree (user_id, placed_at"
        )
    );
    let served = &history["queries"][0];
    assert_eq!(served["location"], "examples/shop/workload.sql:5");
    assert_eq!(served["calls"], 120000);
    assert!(served["cost_after"].as_f64().unwrap() < served["cost_before"].as_f64().unwrap());
    // The case-insensitive lookup gets its expression index.
    assert!(
        recs.iter()
            .any(|r| r["columns"][0] == "lower(display_name)"),
        "{v:#}"
    );
    for r in recs {
        for key in [
            "table",
            "columns",
            "method",
            "include",
            "where",
            "sql",
            "size_bytes",
            "queries",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    // The single-column index a composite already serves is a drop suggestion.
    let drops: Vec<&str> = v["drops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["index"].as_str().unwrap())
        .collect();
    assert!(drops.contains(&"reviews_product_id_idx"), "{drops:?}");
    assert!(v["cost_after"].as_f64().unwrap() < v["cost_before"].as_f64().unwrap());
}

#[test]
fn the_budget_holds() {
    let v = advise(&["--budget", "20MB"]);
    let used: f64 = v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["size_bytes"].as_f64().unwrap())
        .sum();
    assert!(used <= 20.0 * 1048576.0, "{used}");
    assert_eq!(v["budget_bytes"].as_f64().unwrap(), 20.0 * 1048576.0);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stats.json"),
        "{\"tables\": {\"t\": {\"rows\": \"many\"}}}",
    )
    .unwrap();
    let stats = dir.path().join("stats.json");
    let o = dbarch(
        &[
            "advise",
            "examples/shop/workload.sql",
            "--schema",
            "examples/shop/schema.sql",
            "--stats",
            stats.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("stats.json:1:"), "{}", stderr(&o));
    let o = dbarch(
        &[
            "advise",
            "examples/shop/workload.sql",
            "--schema",
            "examples/shop/schema.sql",
            "--budget",
            "plenty",
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("budget `plenty`"), "{}", stderr(&o));
}

/// A query PostgreSQL would refuse gets no index, and the report says it was left out and why.
#[test]
fn a_query_postgres_refuses_is_left_out_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE codes (id bigint PRIMARY KEY, code text NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("workload.sql"),
        "SELECT id FROM codes WHERE code = 10042;",
    )
    .unwrap();
    let o = dbarch(
        &[
            "advise",
            "workload.sql",
            "--schema",
            "schema.sql",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert!(v["recommendations"].as_array().unwrap().is_empty(), "{v:#}");
    let left = &v["left_out"][0];
    assert_eq!(left["location"], "workload.sql:1", "{v:#}");
    assert!(
        left["reason"]
            .as_str()
            .unwrap()
            .contains("PostgreSQL refuses it"),
        "{v:#}"
    );
    let o = dbarch(
        &["advise", "workload.sql", "--schema", "schema.sql"],
        dir.path(),
    );
    let text = stdout(&o);
    assert!(
        text.starts_with("Advised on 1 distinct query against 0 B"),
        "{text}"
    );
    assert!(text.contains("Left out (no index is sought for a query that cannot run):\n- workload.sql:1: PostgreSQL refuses it"), "{text}");
}
