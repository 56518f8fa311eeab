//! The EXPLAIN plan reader and its tips on any text. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(top) = dbarch_advisor::explain::parse("plan.json", text) {
        let report = dbarch_advisor::explain::analyze("plan.json", &top);
        let _ = report.max_severity();
    }
    let _ = dbarch_sql::take_refused();
});
