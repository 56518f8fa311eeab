//! `dbarch migrate down-gen`: the pipeline's proposed down script, rendered.

use std::fmt::Write;
use std::path::Path;

use dbarch_lint::migration::reverse::ReverseStep;

use crate::args::{Format, Global};
use crate::commands::out;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(serde::Serialize)]
struct DownGen<'a> {
    file: String,
    steps: &'a [ReverseStep],
    /// What replaying the up and then this down leaves different from the schema before the up.
    remaining_differences: &'a [String],
}

pub fn down_gen(g: &Global, file: &Path) -> Result<u8> {
    let proposal =
        dbarch_project::down::propose_down(g.max_file_size, file, g.pg_version.unwrap_or(16))?;
    let (script, remaining) = (&proposal.script, &proposal.remaining);
    match g.format {
        Format::Json => {
            let doc = DownGen {
                file: file.display().to_string(),
                steps: &proposal.steps,
                remaining_differences: remaining,
            };
            out(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        _ => {
            let mut text = format!(
                "-- Proposed down for {}, derived by dbarch from the schema before it.\n-- Review it: steps marked IRREVERSIBLE cannot give back what the up destroyed.\n\n",
                file.display()
            );
            text.push_str(script);
            if proposal.underived() > 0 {
                text.push_str("-- Check: the statements marked CANNOT DERIVE are not undone: write their reverse by hand, then check the schema.\n");
            } else if remaining.is_empty() {
                text.push_str("-- Check: replaying the up and then this down gives back the schema before the up.\n");
            } else {
                text.push_str("-- Check: after the up and this down, the schema still differs:\n");
                for r in remaining {
                    let _ = writeln!(text, "--   {r}");
                }
            }
            out(&text)?;
        }
    }
    let (irreversible, underived) = (proposal.irreversible(), proposal.underived());
    if irreversible + underived > 0 {
        eprintln!(
            "note: {irreversible} irreversible step(s), {underived} statement(s) whose reverse could not be derived"
        );
    }
    Ok(0)
}
