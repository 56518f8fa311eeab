//! `dbarch analyze` as a user runs it: planted anti-patterns found at their lines, good queries left
//! alone, every workload format read.

mod common;

use common::*;

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
