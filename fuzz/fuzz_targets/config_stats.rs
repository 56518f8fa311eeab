//! dbarch.toml and the --stats JSON on any text, and a budget string. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = dbarch_lint::Config::parse(text, "dbarch.toml");
    let _ = dbarch_catalog::Stats::from_json("stats.json", text);
    let _ = dbarch_advisor::Budget::parse(text);
});
