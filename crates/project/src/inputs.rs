//! Turning the paths a user gives into source files, in replay order.

use std::path::{Path, PathBuf};

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}: no such file or directory")]
    Missing(String),
    #[error("{0}: no .sql files found in this directory")]
    Empty(String),
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] dbarch_sql::read::ReadError),
}

/// A directory given as input and what was found in it.
#[derive(Debug, Default)]
pub struct Plan {
    /// Scripts in replay order: whole files, or the up section of a dbmate file.
    pub files: Vec<Script>,
    /// Notes on choices made (e.g. a migrations folder not replayed because a schema file exists).
    pub notes: Vec<String>,
    /// Migration histories among the inputs (given, or the `migrations` folder of a schema directory):
    /// `review` and `lint` run the migration-safety rules on them too.
    pub migrations: Vec<PathBuf>,
    /// Of those, the ones not replayed as the schema (their files are not among `files`).
    pub extra_migrations: Vec<PathBuf>,
    /// The migrations of `migrations`, folder by folder, as discovered (each folder is read once).
    pub discovered: Vec<dbarch_migrate::Migration>,
    /// Workload files beside a schema (`workload*.sql|csv|json|log` in an input directory): `review` and
    /// `lint` run the query rules on them against the schema.
    pub workloads: Vec<PathBuf>,
    /// `stats.json` in an input directory: table statistics for the query rules.
    pub stats: Option<PathBuf>,
}

/// Workload files and statistics at the top of a directory.
fn workload_beside(dir: &Path, plan: &mut Plan) {
    let Ok(entries) = sorted_dir(dir) else { return };
    for f in entries {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !f.is_file() {
            continue;
        }
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if name.starts_with("workload") && matches!(ext, "sql" | "csv" | "json" | "log") {
            plan.workloads.push(f);
        } else if name == "stats.json" && plan.stats.is_none() {
            plan.stats = Some(f);
        }
    }
}

pub use dbarch_migrate::natural_cmp;
use dbarch_migrate::{Script, is_down_script, sorted_dir};

fn sql_files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let io = |source| InputError::Io {
        path: dir.display().to_string(),
        source,
    };
    let entries = sorted_dir(dir).map_err(io)?;
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if p.is_dir() {
            sql_files_under(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "sql") && !is_down_script(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// A folder of migrations rather than a schema: named `migrations`, or holding diesel-style
/// `<version>_<name>/up.sql` folders, or numbered / versioned (`V1__x.sql`) files.
fn is_migrations_folder(dir: &Path, top: &[PathBuf]) -> bool {
    if dir.file_name().is_some_and(|n| n == "migrations") {
        return true;
    }
    let diesel = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| e.path().join("up.sql").is_file())
        })
        .unwrap_or(false);
    let numbered = top
        .iter()
        .filter(|f| {
            let n = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            n.starts_with(|c: char| c.is_ascii_digit()) || (n.starts_with('V') && n.contains("__"))
        })
        .count();
    diesel || (top.len() > 1 && numbered * 2 > top.len())
}

/// The schema files for each path: a file as given; a directory's top-level .sql files when it has any
/// (a schema directory), else every .sql file beneath it in natural order (a migrations folder, replayed).
pub fn plan(
    paths: &[PathBuf],
    max_mb: u64,
    tool: Option<dbarch_migrate::Tool>,
) -> Result<Plan, InputError> {
    let mut plan = Plan::default();
    for p in paths {
        if !p.exists() {
            return Err(InputError::Missing(p.display().to_string()));
        }
        if !p.is_dir() {
            dbarch_sql::read::check_regular(p)?;
            plan.files.push(Script::file(p.clone()));
            continue;
        }
        let io = |source| InputError::Io {
            path: p.display().to_string(),
            source,
        };
        let mut top: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            // Not only regular files: a FIFO or a device named `.sql` is refused when read, not skipped.
            .filter(|f| {
                !f.is_dir() && f.extension().is_some_and(|e| e == "sql") && !is_down_script(f)
            })
            .filter(|f| {
                !f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("workload"))
            })
            .collect();
        top.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        if !top.is_empty() && !is_migrations_folder(p, &top) {
            let migrations = p.join("migrations");
            if migrations.is_dir()
                && let Ok(found) = discover(&migrations, max_mb, tool)
            {
                plan.discovered.extend(found);
                plan.notes.push(format!(
                    "{}: the schema is read from the schema files; {} is checked for migration safety (review it on its own to replay it as the schema)",
                    p.display(),
                    migrations.display()
                ));
                plan.migrations.push(migrations.clone());
                plan.extra_migrations.push(migrations);
            }
            plan.files.extend(top.into_iter().map(Script::file));
            workload_beside(p, &mut plan);
            continue;
        }
        // A migrations history: replay the up scripts in the order the tool would run them.
        if let Ok(migrations) = discover(p, max_mb, tool) {
            plan.files.extend(migrations.iter().map(|m| m.up.clone()));
            plan.discovered.extend(migrations);
            plan.migrations.push(p.clone());
            continue;
        }
        let mut found = vec![];
        sql_files_under(p, &mut found)?;
        if found.is_empty() {
            return Err(InputError::Empty(p.display().to_string()));
        }
        plan.files.extend(found.into_iter().map(Script::file));
    }
    Ok(plan)
}

/// The migrations of a folder, its files read as [`read_sql`] reads them (size limit, encoding checks);
/// the up scripts keep the text read.
pub fn discover(
    dir: &Path,
    max_mb: u64,
    tool: Option<dbarch_migrate::Tool>,
) -> Result<Vec<dbarch_migrate::Migration>, dbarch_migrate::DiscoverError> {
    dbarch_migrate::discover_with(
        dir,
        &|p: &Path| read_sql(p, max_mb).map_err(|e| e.to_string()),
        tool,
    )
}

/// A script's text to parse: from what discovery read, or read now.
pub fn script_text(script: &Script, max_mb: u64) -> Result<String, InputError> {
    match &script.contents {
        Some(text) => Ok(script.text(text)),
        None => Ok(script.text(&read_sql(&script.path, max_mb)?)),
    }
}

/// Read a file as UTF-8 SQL text, with clear errors for special, binary, non-UTF-8 and oversized files
/// ([`dbarch_sql::read`]).
pub fn read_sql(path: &Path, max_mb: u64) -> Result<String, InputError> {
    Ok(dbarch_sql::read::read_text(path, max_mb)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["10_b.sql", "2_a.sql", "1_c.sql", "002_x.sql"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["1_c.sql", "2_a.sql", "002_x.sql", "10_b.sql"]);
    }
}
