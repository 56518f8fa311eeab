//! A down migration proposed for an up script: the schema its predecessors built, each statement
//! reversed from it ([`dbarch_lint::migration::reverse`]), and the proposal checked by replaying the up and
//! then the proposed down through the schema model.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use dbarch_catalog::Catalog;
use dbarch_lint::migration::reverse::{ReverseStep, down_steps};
use dbarch_sql::SourceMap;

use crate::{Result, inputs};

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

/// A proposed down script.
pub struct DownProposal {
    /// The steps, in the order they run, each with the up statement it undoes.
    pub steps: Vec<ReverseStep>,
    /// The script: each step's SQL under a comment naming the up line it undoes.
    pub script: String,
    /// What replaying the up and then this down leaves different from the schema before the up.
    pub remaining: Vec<String>,
}

impl DownProposal {
    pub fn irreversible(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.irreversible.is_some())
            .count()
    }

    pub fn underived(&self) -> usize {
        self.steps.iter().filter(|s| s.underived).count()
    }
}

/// Locks are those of PostgreSQL `pg_version`.
pub fn propose_down(max_mb: u64, file: &Path, pg_version: u32) -> Result<DownProposal> {
    let mut sources = SourceMap::new();
    let mut before = Catalog::new();
    let up_text = match history_before(file) {
        Some((earlier, this)) => {
            for m in &earlier {
                let text = m.up.text(&inputs::read_sql(&m.up.path, max_mb)?);
                let parsed = dbarch_sql::parse_file(&sources.add(&m.up.path, text))?;
                for s in &parsed.statements {
                    before.replay(s);
                }
            }
            this.up.text(&inputs::read_sql(file, max_mb)?)
        }
        None => inputs::read_sql(file, max_mb)?,
    };
    let up = dbarch_sql::parse_file(&sources.add(file, up_text))?;
    let steps = down_steps(&before, &up.statements, pg_version);

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
        for l in &s.locks {
            let _ = writeln!(script, "-- {}", l.describe());
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
    // Exactly: the order of a table's columns too (a column added back comes at the end).
    let remaining: Vec<String> = dbarch_catalog::differences(&before, &replay)
        .iter()
        .chain(&dbarch_catalog::column_order_differences(&before, &replay))
        .map(|c| c.to_string())
        .collect();

    Ok(DownProposal {
        steps,
        script,
        remaining,
    })
}
