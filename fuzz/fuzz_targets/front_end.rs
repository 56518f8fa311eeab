//! The front end on any text: split, parse (whole trees and outlines), spans inside the file, suppression
//! comments. Nothing may panic or abort; every span lies within the file.
#![no_main]

use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.sql", text.to_string());
    for options in [ParseOptions::FULL, ParseOptions::SCHEMA] {
        if let Ok(parsed) = parse_file_opts(&file, options) {
            for s in &parsed.statements {
                assert!(s.span.start <= s.span.end && s.span.end <= text.len());
                let _ = file.line_col(s.span.start);
                let _ = s.kind();
            }
            for n in &parsed.notes {
                assert!(n.span.end <= text.len());
            }
        }
    }
    let _ = dbarch_sql::take_refused();
    let _ = dbarch_sql::guard::sendable(text, dbarch_sql::guard::Use::Run);
});
