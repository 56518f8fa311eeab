//! `dbarch review` and `dbarch lint`: the pipeline's review, rendered.

use std::io::Write;
use std::path::PathBuf;

use crate::args::Global;
use crate::commands::{emit, load_config};
use crate::migrations::report_parse_errors;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub(crate) fn check(
    g: &Global,
    paths: &[PathBuf],
    db: Option<&str>,
    stats: Option<&std::path::Path>,
    overview: bool,
) -> Result<u8> {
    let config = load_config(g, paths)?;
    let review = dbarch_project::review::review(&dbarch_project::review::Request {
        paths,
        db,
        config: &config,
        pg_version: g.pg_version.or(config.pg_version).unwrap_or(16),
        max_mb: g.max_file_size,
        stats,
    })?;
    if g.verbose {
        let mut err = anstream::stderr();
        for n in review.notes() {
            let _ = writeln!(err, "note: {n}");
        }
    }
    let overview = if overview {
        review.overview()
    } else {
        String::new()
    };
    let code = emit(g, &review.report, &overview)?;
    if review.parse_errors.is_empty() {
        return Ok(code);
    }
    report_parse_errors(&review.parse_errors);
    Ok(2)
}
