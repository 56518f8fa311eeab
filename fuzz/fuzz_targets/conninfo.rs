//! Connection strings: redaction never panics, and a password the driver would read from the string
//! never survives into what dbarch shows (`dbarch_live::conninfo::shown_password`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(conn) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(shown) = dbarch_live::conninfo::shown_password(conn) {
        panic!("{conn:?} -> {shown:?}");
    }
});
