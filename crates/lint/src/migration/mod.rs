//! Migration rules see one statement at a time, with the schema as it was just before it, and what the
//! migration has done so far: which tables it created (operations on those are safe), whether a
//! transaction is open, whether `lock_timeout` was set.

mod context;
mod operations;
mod procedural;
pub use operations::Locks;
pub(crate) use operations::{declares_not_null, fills_existing_rows};
mod replay;
pub mod reverse;

pub use context::{DownContext, Refusals, StatementContext};
pub use replay::{MigrationRun, ScriptHandle, run_migrations, run_migrations_from};

use dbarch_catalog::{Catalog, QualifiedName};
use dbarch_sql::{ParsedFile, SourceMap};

use crate::config::Config;
use crate::engine::LintOutput;
use crate::registry::all_rules;
use crate::rule::{Check, Sink};

/// One migration's up script (and down script, when it has one), parsed with their statements kept.
pub struct MigrationScript {
    /// The migration's version as its file names it (`001`, `2019-02-26-002946`).
    pub version: String,
    pub file: ParsedFile,
    pub down: Option<ParsedFile>,
    /// The down script exists but does not parse: where (its file) and the parser's message.
    pub down_error: Option<(dbarch_sql::FileId, String)>,
    /// How the tool runs the script: in a transaction of its own, as one multi-statement query, or
    /// statement by statement.
    pub transaction: dbarch_migrate::Transaction,
    /// The up's statements lowered as they were parsed, in order, when that was done then (their parse
    /// trees are then dropped, but for those the replay still reads: `plpgsql::lowered_for_replay`);
    /// empty when not: the replay lowers them.
    pub lowered: Vec<dbarch_sql::change::Lowered>,
    /// The same for the down's statements.
    pub down_lowered: Vec<dbarch_sql::change::Lowered>,
}

impl MigrationScript {
    /// The up's statements lowered: as they were at parse time, or now.
    pub(crate) fn up_lowered(&self) -> std::borrow::Cow<'_, [dbarch_sql::change::Lowered]> {
        lowered_or_now(&self.lowered, &self.file.statements)
    }

    /// The down's statements lowered (none without a down).
    pub(crate) fn down_lowered(&self) -> std::borrow::Cow<'_, [dbarch_sql::change::Lowered]> {
        let statements = self.down.as_ref().map_or(&[][..], |d| &d.statements[..]);
        lowered_or_now(&self.down_lowered, statements)
    }

    /// SHA-256 of the up script's text (computed when asked: only a manifest check needs it).
    pub fn checksum(&self) -> String {
        dbarch_migrate::checksum(&self.file.file.text)
    }
}

/// What a history rule sees: every migration, and the manifest of those already applied (if given).
pub struct HistoryContext<'a> {
    pub scripts: &'a [MigrationScript],
    pub manifest: &'a [dbarch_migrate::Applied],
    /// The manifest file, for locating findings about its lines.
    pub manifest_file: Option<&'a dbarch_sql::SourceFile>,
}

/// Run the history rules (manifest checks).
pub fn run_history(
    scripts: &[MigrationScript],
    manifest: &[dbarch_migrate::Applied],
    manifest_file: Option<&dbarch_sql::SourceFile>,
    sources: &SourceMap,
    config: &Config,
) -> LintOutput {
    let mut out = LintOutput::default();
    let cx = HistoryContext {
        scripts,
        manifest,
        manifest_file,
    };
    for rule in all_rules().iter().filter(|r| config.enabled(r)) {
        let Check::History(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(&cx, &mut sink);
        out.add(rule, sink.into_items(), sources, &[], config, None);
    }
    out
}

/// A possibly qualified routine or type name, unqualified ones in the schema new objects go to.
pub(crate) fn qualified(catalog: &Catalog, parts: &[String]) -> QualifiedName {
    match parts {
        [.., s, n] => QualifiedName::new(s.clone(), n.clone()),
        [n] => QualifiedName::new(catalog.creation_schema(), n.clone()),
        [] => QualifiedName::new(catalog.creation_schema(), String::new()),
    }
}

/// Lint a fixture or a single migration text: everything before a line `-- migration` is the existing
/// schema, the rest is one migration run in a transaction (unless it says `-- dbarch:no-transaction`);
/// a line `-- down` starts its down script; a line `-- pg-version: N` sets the target version; lines
/// `-- manifest: VERSION SHA256|current` list applied migrations (the text's migration is version 1).
pub fn lint_migration_text(
    path: &str,
    sql: &str,
    config: &Config,
) -> Result<Vec<dbarch_report::Finding>, dbarch_sql::SyntaxError> {
    let (setup, rest) = match sql.find("-- migration\n") {
        Some(i) => (&sql[..i], &sql[i..]),
        None => ("", sql),
    };
    let (migration, down) = match rest.find("-- down\n") {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let mut sources = SourceMap::new();
    // Both parts keep the fixture's line numbers: each is the whole text with the other part blanked.
    let blank = |s: &str| {
        s.chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect::<String>()
    };
    let down_text = down.unwrap_or("");
    let setup_file = sources.add(
        path,
        format!("{setup}{}{}", blank(migration), blank(down_text)),
    );
    let migration_file = sources.add(
        path,
        format!("{}{migration}{}", blank(setup), blank(down_text)),
    );
    let down_file =
        down.map(|d| sources.add(path, format!("{}{}{d}", blank(setup), blank(migration))));
    let base = Catalog::from_files([&dbarch_sql::parse_file(&setup_file)?]);
    let parsed = dbarch_sql::parse_file(&migration_file)?;
    let transaction = dbarch_migrate::Transaction::wrapped_unless(
        dbarch_migrate::declares_no_transaction(migration),
    );
    let down = match down_file {
        Some(f) => Some(dbarch_sql::parse_file(&f)?),
        None => None,
    };
    let scripts = vec![MigrationScript {
        version: "1".into(),
        file: parsed,
        down,
        down_error: None,
        transaction,
        lowered: vec![],
        down_lowered: vec![],
    }];
    // A fixture may pin the target version: `-- pg-version: 11`.
    let pinned = sql.lines().find_map(|l| {
        l.trim()
            .strip_prefix("-- pg-version:")
            .and_then(|v| v.trim().parse().ok())
    });
    let run = run_migrations(
        base,
        &scripts,
        &sources,
        config,
        pinned.or(config.pg_version).unwrap_or(16),
    );
    // `-- manifest: VERSION SHA256|current` lines give the applied migrations (the fixture's migration is
    // version 1; `current` stands for its own checksum).
    let manifest: Vec<dbarch_migrate::Applied> = sql
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let rest = l.trim().strip_prefix("-- manifest:")?;
            let mut p = rest.split_whitespace();
            let (v, c) = (p.next()?, p.next()?);
            let checksum = if c == "current" {
                scripts[0].checksum()
            } else {
                c.to_string()
            };
            Some(dbarch_migrate::Applied {
                version: v.to_string(),
                checksum,
                line: i + 1,
            })
        })
        .collect();
    let mut findings = run.lint.findings;
    if !manifest.is_empty() {
        findings.extend(run_history(&scripts, &manifest, None, &sources, config).findings);
    }
    Ok(findings)
}

/// `lowered` when it is the lowering of `statements` (made at parse time), else `statements` lowered.
fn lowered_or_now<'a>(
    lowered: &'a [dbarch_sql::change::Lowered],
    statements: &[dbarch_sql::Statement],
) -> std::borrow::Cow<'a, [dbarch_sql::change::Lowered]> {
    if lowered.len() == statements.len() {
        std::borrow::Cow::Borrowed(lowered)
    } else {
        std::borrow::Cow::Owned(statements.iter().map(dbarch_sql::change::lower).collect())
    }
}
