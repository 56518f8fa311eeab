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
        let shown = dbarch_live::conninfo::redact(conn);
        let scrubbed = dbarch_live::conninfo::scrub(conn, conn);
        assert!(started.elapsed() < Duration::from_secs(1), "{conn:?}");
        let Ok(config) = conn.parse::<postgres::Config>() else {
            continue;
        };
        let Some(password) = config.get_password().map(String::from_utf8_lossy) else {
            continue;
        };
        // As in the fuzz target: a password the masks themselves could spell is not judged.
        if password.len() < 3
            || password.contains('*')
            || "<connection string>".contains(password.as_ref())
            || conn.matches(password.as_ref()).count() != 1
        {
            continue;
        }
        assert!(!shown.contains(password.as_ref()), "{conn:?} -> {shown:?}");
        assert!(
            !scrubbed.contains(password.as_ref()),
            "{conn:?} -> {scrubbed:?}"
        );
        match dbarch_live::target(Some(conn)) {
            Ok(t) => assert!(
                !t.shown.contains(password.as_ref()),
                "{conn:?} -> {}",
                t.shown
            ),
            Err(e) => assert!(
                !e.to_string().contains(password.as_ref()),
                "{conn:?} -> {e}"
            ),
        }
    }
    assert!(n >= 5, "the crash inputs are there");
}
