//! `dbarch migrate down-gen`: wires a migration file, the schema its predecessors built, and the reverse
//! derivation into a proposed down script, checked by replaying up then down through the catalog.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use dbarch_catalog::Catalog;
use dbarch_lint::migration::reverse::{ReverseStep, down_steps};
use dbarch_sql::SourceMap;

use crate::args::{Format, Global};
use crate::commands::out;
use crate::inputs;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The migration `file` belongs to and the ones before it, when it sits in a migrations folder.
fn history_before(
    file: &Path,
) -> Option<(Vec<dbarch_migrate::Migration>, dbarch_migrate::Migration)> {
    let target = file.canonicalize().ok()?;
    let parent = target.parent()?;
    // A diesel folder holds up.sql and down.sql: look for the history one level up first.
    for dir in [parent.parent(), Some(parent)].into_iter().flatten() {
        let Ok(all) = dbarch_migrate::discover(dir) else {
            continue;
        };
        if let Some(at) = all
            .iter()
            .position(|m| m.up.path.canonicalize().ok().as_deref() == Some(target.as_path()))
        {
            let mut all = all;
            let this = all.remove(at);
            all.truncate(at);
            return Some((all, this));
        }
    }
    None
}

#[derive(serde::Serialize)]
struct DownGen<'a> {
    file: String,
    steps: &'a [ReverseStep],
    /// What replaying the up and then this down leaves different from the schema before the up.
    remaining_differences: Vec<String>,
}

pub fn down_gen(g: &Global, file: &Path) -> Result<u8> {
    let mut sources = SourceMap::new();
    let mut before = Catalog::new();
    let up_text = match history_before(file) {
        Some((earlier, this)) => {
            for m in &earlier {
                let text = m.up.text(&inputs::read_sql(&m.up.path, g.max_file_size)?);
                let parsed = dbarch_sql::parse_file(&sources.add(&m.up.path, text))?;
                for s in &parsed.statements {
                    before.replay(s);
                }
            }
            this.up.text(&inputs::read_sql(file, g.max_file_size)?)
        }
        None => inputs::read_sql(file, g.max_file_size)?,
    };
    let up = dbarch_sql::parse_file(&sources.add(file, up_text))?;
    let steps = down_steps(&before, &up.statements);

    let mut script = String::new();
    for s in &steps {
        let lc = up.file.line_col(s.up_offset);
        let _ = writeln!(script, "-- undoes line {}: {}", lc.line, s.up);
        if let Some(why) = &s.irreversible {
            let _ = writeln!(script, "-- IRREVERSIBLE: {why}");
        }
        if s.underived {
            let _ = writeln!(
                script,
                "-- CANNOT DERIVE: write the reverse of this statement by hand"
            );
        }
        for sql in &s.sql {
            let _ = writeln!(script, "{sql}");
        }
        script.push('\n');
    }

    // The check: up, then the proposed down, must give back the schema before the up.
    let mut replay = before.clone();
    for s in &up.statements {
        replay.replay(s);
    }
    let down_path = PathBuf::from(format!("{} (proposed down)", file.display()));
    let down = dbarch_sql::parse_file(&sources.add(&down_path, script.clone()))?;
    for s in &down.statements {
        replay.replay(s);
    }
    let remaining: Vec<String> = dbarch_catalog::differences(&before, &replay)
        .iter()
        .map(|c| c.to_string())
        .collect();

    match g.format {
        Format::Json => {
            let doc = DownGen {
                file: file.display().to_string(),
                steps: &steps,
                remaining_differences: remaining,
            };
            out(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        _ => {
            let mut text = format!(
                "-- Proposed down for {}, derived by dbarch from the schema before it.\n-- Review it: steps marked IRREVERSIBLE cannot give back what the up destroyed.\n\n",
                file.display()
            );
            text.push_str(&script);
            if remaining.is_empty() {
                text.push_str("-- Check: replaying the up and then this down gives back the schema before the up.\n");
            } else {
                text.push_str("-- Check: after the up and this down, the schema still differs:\n");
                for r in &remaining {
                    let _ = writeln!(text, "--   {r}");
                }
            }
            out(&text)?;
        }
    }
    let irreversible = steps.iter().filter(|s| s.irreversible.is_some()).count();
    let underived = steps.iter().filter(|s| s.underived).count();
    if irreversible + underived > 0 {
        eprintln!(
            "note: {irreversible} irreversible step(s), {underived} statement(s) whose reverse could not be derived"
        );
    }
    Ok(0)
}
