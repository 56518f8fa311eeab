//! Every input the `workload` fuzz target found (tests/data/workload-crashes), run as the target runs
//! it: the first byte picks the reader, the rest is the file; reading and the query rules must not panic
//! (the test profile checks integer overflow, as the fuzz build does).

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/workload-crashes");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&kind, rest)) = data.split_first() else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(rest) else {
            continue;
        };
        n += 1;
        let name = [
            "w.sql",
            "pgss.csv",
            "pgss.json",
            "postgresql.log",
            "postgresql.csv",
            "postgresql.json",
        ][kind as usize % 6];
        let _ = dbarch_lint::lint_workload_text(name, text, &dbarch_lint::Config::default());
    }
    assert!(n >= 1, "the crash inputs are there");
}
