//! Every input the `conninfo` fuzz target found (tests/data/conninfo-crashes): a password the driver
//! reads from the string never shows in what dbarch prints, and redaction is quick.

use std::time::{Duration, Instant};

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conninfo-crashes");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Ok(conn) = std::str::from_utf8(&bytes) else {
            continue;
        };
        n += 1;
        let started = Instant::now();
        let shown = dbarch_live::conninfo::shown_password(conn);
        assert!(started.elapsed() < Duration::from_secs(1), "{conn:?}");
        assert_eq!(shown, None, "{conn:?}");
    }
    assert!(n >= 5, "the crash inputs are there");
}
