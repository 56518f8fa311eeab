//! `dbarch migrate trace`: the pipeline's trace report, rendered.

use std::path::PathBuf;

use dbarch_project::trace::Traced;

use crate::args::{Format, Global};
use crate::commands::{load_config, out};
use crate::migrations::report_parse_errors;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub fn migrate_trace(g: &Global, paths: &[PathBuf], db: Option<&str>) -> Result<u8> {
    let config = load_config(g, paths)?;
    let (report, failed) = match dbarch_project::trace::trace(g.max_file_size, paths, db, &config)?
    {
        Traced::Report { report, failed } => (report, failed),
        Traced::Unparsed(errors) => {
            report_parse_errors(&errors);
            return Ok(2);
        }
    };
    match g.format {
        Format::Json => out(&(serde_json::to_string_pretty(&report)? + "\n"))?,
        _ => out(&dbarch_report::render_trace_human(&report))?,
    }
    Ok(u8::from(failed))
}
