//! Migration histories: discovered, read (in parallel), parsed while they are replayed, and linted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dbarch_catalog::Catalog;
use dbarch_lint::{Config, MigrationRun};
use dbarch_sql::{SourceFile, SourceMap};

use crate::{Result, inputs};

/// Migrations of the folders, parsed (up and down), in order; unparseable ups are listed apart.
#[derive(Default)]
pub struct LoadedMigrations {
    pub scripts: Vec<dbarch_lint::MigrationScript>,
    pub parse_errors: Vec<String>,
}

/// A migration found in a folder: its up script and its down script (when read), not parsed yet.
pub type FoundMigration = (
    dbarch_migrate::Migration,
    Arc<SourceFile>,
    Option<Arc<SourceFile>>,
);

/// The migrations of the folders, read (in order) but not parsed yet.
pub struct ReadMigrations {
    pub found: Vec<FoundMigration>,
    /// Migrations whose up script could not be read as text, with the reason: reported after the others
    /// have been judged.
    pub unreadable: Vec<String>,
}

/// The migrations of the folders, in order.
pub fn discover_all(
    max_mb: u64,
    paths: &[PathBuf],
    tool: Option<dbarch_migrate::Tool>,
) -> Result<Vec<dbarch_migrate::Migration>> {
    let mut migrations = vec![];
    for dir in paths {
        migrations.extend(inputs::discover(dir, max_mb, tool)?);
    }
    Ok(migrations)
}

/// Read the migrations' files (the downs too when `with_downs`) into `sources`.
pub fn read_found(
    max_mb: u64,
    migrations: Vec<dbarch_migrate::Migration>,
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<ReadMigrations> {
    use rayon::prelude::*;
    // A migration discovery could not read is set aside, to be reported.
    let (migrations, unreadable): (Vec<_>, Vec<_>) = migrations
        .into_iter()
        .partition(|m| m.up.unreadable.is_none());
    let unreadable = unreadable
        .into_iter()
        .filter_map(|m| m.up.unreadable)
        .collect();
    // The files are read in parallel, then numbered in order.
    let texts: Vec<_> = migrations
        .par_iter()
        .map(|m| {
            let up = inputs::script_text(&m.up, max_mb)?;
            let down = match m.down.as_ref().filter(|_| with_downs) {
                Some(d) => Some(inputs::script_text(d, max_mb)?),
                None => None,
            };
            Ok::<_, inputs::InputError>((up, down))
        })
        .collect();
    let mut found = Vec::with_capacity(migrations.len());
    for (m, texts) in migrations.into_iter().zip(texts) {
        let (up_text, down_text) = texts?;
        let up = sources.add(&m.up.path, up_text);
        let down = match (&m.down, down_text) {
            (Some(d), Some(text)) => Some(sources.add(&d.path, text)),
            _ => None,
        };
        found.push((m, up, down));
    }
    Ok(ReadMigrations { found, unreadable })
}

/// Parse one migration: its up (an error is the migration's, reported apart) and its down (an error
/// there is a finding about the migration, not a reason to stop).
/// `for_replay`: the migration is only replayed (`run_migrations_from`): each statement is lowered as it
/// is parsed, here on the parsing threads, and its tree dropped unless the replay reads it
/// (`plpgsql::lowered_for_replay`); otherwise the trees are kept for a caller that reads them.
pub fn parse_migration(
    m: &dbarch_migrate::Migration,
    up: &Arc<SourceFile>,
    down: Option<&Arc<SourceFile>>,
    for_replay: bool,
) -> std::result::Result<dbarch_lint::MigrationScript, String> {
    // The migration rules and the catalog need a view's name and what it reads, not its query's tree.
    let options = dbarch_sql::ParseOptions::SCHEMA;
    let parse = |file: &Arc<SourceFile>| {
        let mut statements = vec![];
        let mut lowered = vec![];
        let mut parsed = dbarch_sql::parse_file_with(file, options, |s| {
            if for_replay {
                let (s, l) = dbarch_sql::plpgsql::lowered_for_replay(s);
                lowered.push(l);
                statements.push(s);
            } else {
                statements.push(s);
            }
        })?;
        parsed.statements = statements;
        Ok::<_, dbarch_sql::SyntaxError>((parsed, lowered))
    };
    let (parsed, lowered) = parse(up).map_err(|e| e.to_string())?;
    let (mut down_parsed, mut down_lowered, mut down_error) = (None, vec![], None);
    if let Some(d) = down {
        match parse(d) {
            Ok((p, l)) => (down_parsed, down_lowered) = (Some(p), l),
            Err(e) => down_error = Some((d.id, format!("{}:{}: {}", e.line, e.column, e.message))),
        }
    }
    Ok(dbarch_lint::MigrationScript {
        version: m.version.clone(),
        file: parsed,
        down: down_parsed,
        down_error,
        transaction: m.transaction,
        lowered,
        down_lowered,
    })
}

/// `with_downs`: read and parse the down scripts too (for the reversibility check). The files are added
/// to `sources`.
pub fn load_migrations(
    max_mb: u64,
    paths: &[PathBuf],
    with_downs: bool,
    tool: Option<dbarch_migrate::Tool>,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    load_found(
        max_mb,
        discover_all(max_mb, paths, tool)?,
        with_downs,
        sources,
    )
}

/// `load_migrations` of migrations already discovered.
pub fn load_found(
    max_mb: u64,
    migrations: Vec<dbarch_migrate::Migration>,
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    use rayon::prelude::*;
    let ReadMigrations { found, unreadable } = read_found(max_mb, migrations, with_downs, sources)?;
    let parsed: Vec<_> = found
        .par_iter()
        .map(|(m, up, down)| parse_migration(m, up, down.as_ref(), false))
        .collect();
    let mut scripts = vec![];
    let mut parse_errors = unreadable;
    for p in parsed {
        match p {
            Ok(script) => scripts.push(script),
            // An unparseable migration is reported (exit 2) after the others have been linted.
            Err(e) => parse_errors.push(e),
        }
    }
    Ok(LoadedMigrations {
        scripts,
        parse_errors,
    })
}

/// How many migrations are parsed (in parallel) before they are handed on to be replayed.
const PARSE_CHUNK: usize = 8;

/// Parse the migrations on a producer thread (each chunk in parallel) and hand the parsed ones, in order,
/// to `consume` on this thread as they come; unparseable ups are collected apart.
pub fn parse_streaming<R>(
    found: &[FoundMigration],
    consume: impl FnOnce(&mut dyn Iterator<Item = dbarch_lint::MigrationScript>) -> R,
) -> (R, Vec<String>) {
    use rayon::prelude::*;
    let mut errors = vec![];
    let result = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<
            Vec<std::result::Result<dbarch_lint::MigrationScript, String>>,
        >(2);
        scope.spawn(move || {
            for chunk in found.chunks(PARSE_CHUNK) {
                let parsed = chunk
                    .par_iter()
                    .map(|(m, up, down)| parse_migration(m, up, down.as_ref(), true))
                    .collect();
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        let mut incoming = rx.into_iter().flatten().filter_map(|p| match p {
            Ok(script) => Some(script),
            Err(e) => {
                errors.push(e);
                None
            }
        });
        consume(&mut incoming)
    });
    (result, errors)
}

/// A history linted: the migration rules' findings, the lock report, the migrations parsed.
pub struct HistoryLint {
    pub run: MigrationRun,
    pub scripts: Vec<dbarch_lint::MigrationScript>,
    /// Migrations that could not be read or parsed, with the reason (the others were judged).
    pub parse_errors: Vec<String>,
}

impl HistoryLint {
    pub fn statements(&self) -> usize {
        self.scripts.iter().map(|s| s.file.statement_count).sum()
    }
}

/// The migrations of `paths`, each replayed as soon as it is parsed (while later ones are still being
/// parsed) and judged by the migration rules; with a manifest of applied migrations, the history rules
/// too.
pub fn lint_history(
    max_mb: u64,
    paths: &[PathBuf],
    config: &Config,
    pg_version: u32,
    manifest: Option<&Path>,
    stats: Option<&Path>,
    sources: &mut SourceMap,
) -> Result<HistoryLint> {
    let stats = crate::workload::load_stats(stats)?;
    let ReadMigrations { found, unreadable } = read_found(
        max_mb,
        discover_all(max_mb, paths, config.migrations.tool)?,
        config.checks_downs(),
        sources,
    )?;
    let ((mut run, scripts), parsed_errors) = parse_streaming(&found, |incoming| {
        dbarch_lint::run_migrations_from(
            Catalog::new(),
            incoming,
            sources,
            config,
            pg_version,
            stats.as_ref(),
        )
    });
    let mut parse_errors = unreadable;
    parse_errors.extend(parsed_errors);
    if let Some(path) = manifest {
        let text = inputs::read_sql(path, max_mb)?;
        let applied = dbarch_migrate::parse_manifest(&text, &path.display().to_string())?;
        let file = sources.add(path, text);
        let history = dbarch_lint::run_history(&scripts, &applied, Some(&file), sources, config);
        run.lint.findings.extend(history.findings);
        run.lint.suppressed += history.suppressed;
    }
    Ok(HistoryLint {
        run,
        scripts,
        parse_errors,
    })
}

/// The manifest of a folder's migrations (version and checksum of each up script).
pub fn manifest(max_mb: u64, dir: &Path, tool: Option<dbarch_migrate::Tool>) -> Result<String> {
    let mut items = vec![];
    for m in inputs::discover(dir, max_mb, tool)? {
        let text = inputs::script_text(&m.up, max_mb)?;
        items.push((m.version, text));
    }
    Ok(dbarch_migrate::write_manifest(
        items.iter().map(|(v, t)| (v.as_str(), t.as_str())),
    ))
}

/// The files of `paths` that already existed at the git revision `since` (`migrate lint --since`): their
/// migrations are replayed but not reported. Each path's repository is asked with `git ls-tree`; a path
/// outside a repository, or a revision git does not know, is an error naming it.
pub fn files_at_revision(
    since: &str,
    paths: &[PathBuf],
) -> Result<std::collections::HashSet<PathBuf>> {
    use std::process::Command;
    let mut out = std::collections::HashSet::new();
    for dir in paths {
        let git = |args: &[&str]| -> Result<String> {
            let o = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .output()
                .map_err(|e| format!("--since: cannot run git: {e}"))?;
            if !o.status.success() {
                return Err(format!(
                    "--since {since}: git in {}: {}",
                    dir.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                )
                .into());
            }
            Ok(String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
        // The revision must name a commit (not a path or a typo that git would take for one).
        git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{since}^{{commit}}"),
        ])
        .map_err(|_| {
            format!(
                "--since {since}: not a commit of the repository of {}",
                dir.display()
            )
        })?;
        for name in git(&["ls-tree", "-r", "--name-only", "--full-tree", since])?.lines() {
            if let Ok(p) = top.join(name).canonicalize() {
                out.insert(p);
            }
        }
    }
    Ok(out)
}

impl HistoryLint {
    /// Keep only the findings in files added after the revision whose files are `existing`.
    pub fn only_new(&mut self, existing: &std::collections::HashSet<PathBuf>) {
        // Findings come many to a file: each file is looked up once.
        let mut old: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        self.run.lint.findings.retain(|f| {
            !*old.entry(f.file.clone()).or_insert_with(|| {
                Path::new(&f.file)
                    .canonicalize()
                    .is_ok_and(|p| existing.contains(&p))
            })
        });
    }
}
