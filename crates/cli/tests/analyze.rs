//! `dbarch analyze` as a user runs it: planted anti-patterns found at their lines, good queries left
//! alone, every workload format read.

use crate::common::*;

fn findings(args: &[&str], cwd: &std::path::Path) -> Vec<(String, u64)> {
    let o = dbarch(args, cwd);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let mut out = codes_and_lines(&json(&o));
    out.sort();
    out
}

#[test]
fn shop_workload_against_its_schema() {
    let got = findings(
        &[
            "analyze",
            "examples/shop/workload.sql",
            "--schema",
            "examples/shop/schema.sql",
            "--format",
            "json",
        ],
        &repo(),
    );
    let want: Vec<(String, u64)> = [
        ("QRY001", 13),
        ("QRY002", 34),
        ("QRY005", 16),
        ("QRY005", 16),
        ("QRY006", 31),
        ("QRY007", 25),
        ("QRY008", 22),
        ("QRY009", 19),
        ("QRY011", 16),
        ("QRY012", 28),
        ("QRY014", 47),
        ("QRY015", 50),
        ("QRY016", 43),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), *l))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn logs_and_pg_stat_statements_exports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("postgresql.log"),
        "2024-05-01 10:00:00.100 UTC [101] app@shop LOG:  duration: 2.000 ms  statement: select id from users where id = 1\n\
         2024-05-01 10:00:00.200 UTC [101] app@shop LOG:  duration: 9.000 ms  statement: select id from users where deleted_at = null\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pgss.csv"),
        "query,calls,total_exec_time,rows\n\"select id from items order by random() limit $1\",10,5.5,10\n\"select id from items where id = $1\",99,1,99\n",
    )
    .unwrap();
    let got = findings(&["analyze", ".", "--format", "json"], dir.path());
    assert_eq!(
        got,
        vec![("QRY004".to_string(), 2), ("QRY006".to_string(), 2)]
    );
    // Bad input: a clear error and exit 2.
    std::fs::write(dir.path().join("bad.csv"), "calls\n1\n").unwrap();
    let o = dbarch(&["analyze", "bad.csv"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.csv") && stderr(&o).contains("query"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn n_plus_one_in_a_server_log() {
    // Session 7 loads a user's orders, then each order's items one by one (prepared statement with its
    // parameters on DETAIL lines); session 8 runs unrelated queries in between.
    let mut log = String::from(
        "2024-05-01 10:00:00.000 UTC [7] app@shop LOG:  duration: 1.100 ms  statement: SELECT id FROM orders WHERE user_id = 42 ORDER BY id\n",
    );
    for i in 0..15 {
        log.push_str(&format!(
            "2024-05-01 10:00:00.{:03} UTC [7] app@shop LOG:  duration: 0.150 ms  execute <unnamed>: SELECT product_id, quantity\n\
             \tFROM order_items WHERE order_id = $1\n\
             2024-05-01 10:00:00.{:03} UTC [7] app@shop DETAIL:  parameters: $1 = '{}'\n\
             2024-05-01 10:00:00.{:03} UTC [8] app@shop LOG:  duration: 0.300 ms  statement: SELECT id, name FROM products WHERE id = {}\n",
            10 + i * 20,
            11 + i * 20,
            1000 + i,
            12 + i * 20,
            i % 2,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("postgresql.log"), &log).unwrap();
    let o = dbarch(
        &["analyze", "postgresql.log", "--format", "json"],
        dir.path(),
    );
    let report = json(&o);
    let found: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "QRY021")
        .collect();
    assert_eq!(found.len(), 1, "{report:#}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("15 executions")
            && message.contains("SELECT id FROM orders WHERE user_id = 42"),
        "{message}"
    );
    assert!(
        found[0]["help"]
            .as_str()
            .unwrap()
            .contains("order_id = ANY($1)")
    );
    // The child's first execution is on line 2 of the log.
    assert_eq!(codes_and_lines(&report), vec![("QRY021".to_string(), 2)]);
}
