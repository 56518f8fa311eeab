//! Connection strings: redaction never panics, and a password the driver would read from the string
//! never survives into what dbarch shows (the redacted target, or the error it reports).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(conn) = std::str::from_utf8(data) else {
        return;
    };
    let shown = dbarch_live::conninfo::redact(conn);
    let _ = dbarch_live::conninfo::scrub(conn, conn);
    // The password as the driver reads it, when the string parses.
    let Ok(config) = conn.parse::<postgres::Config>() else {
        return;
    };
    let Some(password) = config.get_password().map(String::from_utf8_lossy) else {
        return;
    };
    // Only a password that appears once, as itself, and is not part of the rest of what is shown.
    // (A password holding the mask's asterisks can be spelled by the redacted text itself.)
    if password.len() < 3
        || password.contains('*')
        || "<connection string>".contains(password.as_ref())
        || conn.matches(password.as_ref()).count() != 1
    {
        return;
    }
    let rest = conn.replacen(password.as_ref(), "", 1);
    if rest.contains(password.as_ref()) {
        return;
    }
    assert!(!shown.contains(password.as_ref()), "{conn:?} -> {shown:?}");
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
});
