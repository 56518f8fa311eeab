//! One function per subcommand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use dbarch_catalog::Catalog;
use dbarch_lint::{Config, LintInput, all_rules, find_rule};
use dbarch_report::{
    Report, RuleInfo, Severity, plural, render_human, render_markdown, render_sarif,
};
use dbarch_sql::{ParsedFile, SourceFile, SourceMap};

use crate::args::{Cli, Command, Format, Global, MigrateCommand, Threshold};
use crate::inputs;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The name of a command and the output formats it writes.
fn formats(command: &Command) -> (&'static str, &'static [Format]) {
    const ALL: &[Format] = &[Format::Human, Format::Json, Format::Sarif, Format::Markdown];
    const HUMAN_JSON: &[Format] = &[Format::Human, Format::Json];
    const DOCS: &[Format] = &[Format::Human, Format::Json, Format::Markdown];
    match command {
        Command::Review { .. } => ("review", ALL),
        Command::Lint { .. } => ("lint", ALL),
        Command::Analyze { .. } => ("analyze", ALL),
        Command::Migrate {
            action: MigrateCommand::Lint { locks, .. },
        } => {
            if *locks {
                ("migrate lint --locks", HUMAN_JSON)
            } else {
                ("migrate lint", ALL)
            }
        }
        Command::Migrate {
            action: MigrateCommand::Trace { .. },
        } => ("migrate trace", HUMAN_JSON),
        Command::Migrate {
            action: MigrateCommand::DownGen { .. },
        } => ("migrate down-gen", HUMAN_JSON),
        Command::Migrate {
            action: MigrateCommand::Manifest { .. },
        } => ("migrate manifest", HUMAN_JSON),
        Command::Inspect { .. } => ("inspect", ALL),
        Command::Explain { .. } => ("explain", ALL),
        Command::Advise { .. } => ("advise", HUMAN_JSON),
        Command::Rules { .. } => ("rules", DOCS),
        Command::Rule { .. } => ("rule", DOCS),
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Human => "human",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Markdown => "markdown",
    }
}

pub fn run(cli: Cli) -> Result<u8> {
    // A format a command cannot write is refused before anything is read or connected to, never
    // replaced by another one.
    let (name, writes) = formats(&cli.command);
    if !writes.contains(&cli.global.format) {
        let names: Vec<&str> = writes.iter().map(|f| format_name(*f)).collect();
        return Err(format!(
            "`dbarch {name}` writes {} output, not --format {}",
            names.join(", "),
            format_name(cli.global.format)
        )
        .into());
    }
    match &cli.command {
        Command::Review { paths, db } => check(&cli.global, paths, db.as_deref(), true),
        Command::Lint { paths, db } => check(&cli.global, paths, db.as_deref(), false),
        Command::Migrate {
            action:
                MigrateCommand::Lint {
                    paths,
                    locks,
                    manifest,
                },
        } => migrate_lint(&cli.global, paths, *locks, manifest.as_deref()),
        Command::Migrate {
            action: MigrateCommand::Trace { paths, db },
        } => crate::trace::migrate_trace(&cli.global, paths, db.as_deref()),
        Command::Migrate {
            action: MigrateCommand::DownGen { file },
        } => crate::downgen::down_gen(&cli.global, file),
        Command::Migrate {
            action: MigrateCommand::Manifest { path },
        } => migrate_manifest(&cli.global, path),
        Command::Inspect { db } => crate::live::inspect(&cli.global, db),
        Command::Explain {
            plan,
            db,
            query,
            analyze,
            schema,
            stats,
        } => crate::live::explain(
            &cli.global,
            plan.as_deref(),
            db.as_deref(),
            query.as_deref(),
            *analyze,
            schema,
            stats.as_deref(),
        ),
        Command::Advise {
            paths,
            schema,
            stats,
            budget,
            greedy,
            db,
        } => crate::advise::advise(
            &cli.global,
            paths,
            schema,
            stats.as_deref(),
            budget.as_deref(),
            *greedy,
            db.as_deref(),
        ),
        Command::Analyze {
            paths,
            schema,
            stats,
        } => crate::analyze::analyze(&cli.global, paths, schema, stats.as_deref()),
        Command::Rules { write_docs } => rules(&cli.global, write_docs.as_deref()),
        Command::Rule { code } => rule(&cli.global, code),
    }
}

pub(crate) fn out(text: &str) -> Result<()> {
    // Text without colour codes goes out as it is; anstream (which strips colour for a pipe) reads every
    // byte, which on a large JSON report costs more than writing it.
    let written = if text.contains('\x1b') {
        let mut stdout = anstream::stdout();
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
    } else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
    };
    match written {
        // A closed pipe (`dbarch ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub(crate) fn load_config(g: &Global, paths: &[PathBuf]) -> Result<Config> {
    if let Some(p) = &g.config {
        return Ok(Config::load(p)?);
    }
    let local = Path::new("dbarch.toml");
    if local.is_file() {
        return Ok(Config::load(local)?);
    }
    if let Some(dir) = paths.iter().find(|p| p.is_dir()) {
        let f = dir.join("dbarch.toml");
        if f.is_file() {
            return Ok(Config::load(&f)?);
        }
    }
    Ok(Config::default())
}

pub fn rule_infos() -> Vec<RuleInfo> {
    all_rules()
        .iter()
        .map(|r| RuleInfo {
            code: r.code.into(),
            name: r.name.into(),
            severity: r.severity,
            summary: r.summary.into(),
            help_markdown: r.markdown(),
        })
        .collect()
}

fn check(g: &Global, paths: &[PathBuf], db: Option<&str>, overview: bool) -> Result<u8> {
    let config = load_config(g, paths)?;
    let pg_version = g.pg_version.or(config.pg_version).unwrap_or(16);
    let mut plan = inputs::plan(paths, g.max_file_size)?;
    let mut sources = SourceMap::new();
    let mut files: Vec<ParsedFile> = Vec::with_capacity(plan.files.len());
    let mut catalog = Catalog::new();
    let mut statements = 0;
    // A live database: its schema as DDL (replayed like a file), its statistics, its pg_stat_statements.
    let mut live_stats = None;
    let mut live_workload = None;
    if let Some(db) = db {
        let live = crate::live::read(db, true)?;
        let file = sources.add(&live.name, live.ddl);
        let parsed = dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.apply(&s)
        })?;
        statements += parsed.statement_count;
        files.push(parsed);
        live_stats = Some(live.stats);
        live_workload = live.workload;
        plan.notes.extend(live.notes);
    }
    // A migrations folder alone: its history is parsed and replayed as it is parsed (the migration rules
    // judge each statement), and the schema it ends with is the schema the schema rules judge.
    let mut streamed = None;
    if db.is_none() && plan.extra_migrations.is_empty() && !plan.migrations.is_empty() {
        let migrations = std::mem::take(&mut plan.discovered);
        let same = migrations.len() == plan.files.len()
            && migrations
                .iter()
                .zip(&plan.files)
                .all(|(m, f)| m.up.path == f.path && m.up.section == f.section);
        if !same {
            plan.discovered = migrations;
        } else {
            let ReadMigrations { found, unreadable } =
                read_found(g, migrations, config.checks_downs(), &mut sources)?;
            if let Some(e) = unreadable.first() {
                return Err(e.clone().into());
            }
            let ((run, scripts), parse_errors) = parse_streaming(&found, |incoming| {
                dbarch_lint::run_migrations_from(
                    Catalog::new(),
                    incoming,
                    &sources,
                    &config,
                    pg_version,
                )
            });
            // The first unparseable migration stops the review, as a schema file that does not parse does.
            if let Some(e) = parse_errors.first() {
                return Err(e.clone().into());
            }
            catalog = run.catalog;
            for s in &scripts {
                statements += s.file.statement_count;
                files.push(s.file.without_statements());
            }
            streamed = Some(run.lint);
        }
    }
    // Otherwise migration histories are parsed first (in parallel, up and down): their up scripts are also
    // the schema's files, replayed below from the same trees rather than parsed twice.
    let loaded = if plan.migrations.is_empty() || streamed.is_some() {
        None
    } else {
        Some(load_found(
            g,
            std::mem::take(&mut plan.discovered),
            config.checks_downs(),
            &mut sources,
        )?)
    };
    let parsed_ups: std::collections::HashMap<&Path, &ParsedFile> = loaded
        .iter()
        .flat_map(|l| &l.scripts)
        .map(|s| (s.file.file.path.as_path(), &s.file))
        .collect();
    for script in plan.files.iter().filter(|_| streamed.is_none()) {
        if let Some(up) = parsed_ups.get(script.path.as_path()) {
            for stmt in &up.statements {
                catalog.apply(stmt);
            }
            statements += up.statement_count;
            files.push(up.without_statements());
            continue;
        }
        let text = inputs::script_text(script, g.max_file_size)?;
        let file = sources.add(&script.path, text);
        // Schema rules read the catalog only, so each parse tree is applied and dropped at once.
        let parsed = dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.apply(&s)
        })?;
        statements += parsed.statement_count;
        files.push(parsed);
    }
    let lint = dbarch_lint::run(&LintInput {
        catalog: &catalog,
        files: &files,
        sources: &sources,
        config: &config,
        pg_version,
    });
    let mut findings = lint.findings;
    let mut suppressed = lint.suppressed;
    // Migration histories among the inputs: their statements judged for production safety too.
    let mut parse_errors = vec![];
    let (mut file_count, mut statement_count) = (files.len(), statements);
    let migration_lint = match (loaded, streamed) {
        (Some(loaded), _) => {
            let run = dbarch_lint::run_migrations(
                Catalog::new(),
                &loaded.scripts,
                &sources,
                &config,
                pg_version,
            );
            Some((run.lint, loaded))
        }
        // Streamed: no parse error (the first stops the review), no history beside schema files.
        (None, Some(lint)) => Some((lint, LoadedMigrations::default())),
        (None, None) => None,
    };
    if let Some((migration_findings, loaded)) = migration_lint {
        // The schema rules already judged the replayed history: keep one finding per rule and place.
        let seen: std::collections::HashSet<(String, String, usize, usize)> = findings
            .iter()
            .map(|f| (f.code.clone(), f.file.clone(), f.line, f.column))
            .collect();
        // Beside schema files, the schema rules judge the schema files; the history adds the migration
        // rules only.
        let beside_schema = |f: &dbarch_report::Finding| {
            plan.extra_migrations
                .iter()
                .any(|d| Path::new(&f.file).starts_with(d))
        };
        findings.extend(migration_findings.findings.into_iter().filter(|f| {
            !seen.contains(&(f.code.clone(), f.file.clone(), f.line, f.column))
                && (!beside_schema(f) || f.code.starts_with("MIG"))
        }));
        suppressed += migration_findings.suppressed;
        parse_errors = loaded.parse_errors;
        // A replayed history's files are already counted as the schema's.
        for s in loaded.scripts.iter().filter(|s| {
            plan.extra_migrations
                .iter()
                .any(|d| s.file.file.path.starts_with(d))
        }) {
            file_count += 1;
            statement_count += s.file.statement_count;
        }
    }
    // A workload beside the schema: the query rules judge it against the schema.
    let mut workload_size = None;
    if !plan.workloads.is_empty() || live_workload.is_some() {
        let stats = match live_stats {
            Some(s) => Some(s),
            None => crate::analyze::load_stats(plan.stats.as_deref())?,
        };
        let workload = crate::analyze::load_workload_with(
            g,
            &plan.workloads,
            live_workload,
            config.options.loops(),
            &mut sources,
        )?;
        let run =
            dbarch_lint::run_queries(&workload, Some(&catalog), stats.as_ref(), &sources, &config);
        findings.extend(run.findings);
        suppressed += run.suppressed;
        file_count += plan.workloads.len();
        statement_count += workload.queries.len();
        workload_size = Some((workload.queries.len(), plan.workloads.len().max(1)));
    }
    let mut report = Report::new(findings, file_count, statement_count, suppressed);
    report.notes = plan.notes.clone();

    if g.verbose {
        let mut err = anstream::stderr();
        for n in &plan.notes {
            let _ = writeln!(err, "note: {n}");
        }
        for f in &files {
            for n in &f.notes {
                let lc = f.file.line_col(n.span.start);
                let _ = writeln!(
                    err,
                    "note: {}:{}:{}: {}",
                    f.file.path.display(),
                    lc.line,
                    lc.column,
                    n.message
                );
            }
        }
        for u in &catalog.unsupported {
            if let Some(span) = u.origin.span()
                && let Some(f) = sources.get(span.file)
            {
                let lc = f.line_col(span.start);
                let _ = writeln!(
                    err,
                    "note: {}:{}:{}: {} ({})",
                    f.path.display(),
                    lc.line,
                    lc.column,
                    u.reason,
                    u.kind
                );
            }
        }
    }

    let overview = if overview {
        overview_line(&catalog, files.len(), workload_size)
    } else {
        String::new()
    };
    let code = emit(g, &report, &overview)?;
    if parse_errors.is_empty() {
        return Ok(code);
    }
    report_parse_errors(&parse_errors);
    Ok(2)
}

/// Print a report in the chosen format; the exit code follows the --severity threshold.
pub(crate) fn emit(g: &Global, report: &Report, preface: &str) -> Result<u8> {
    let text = match g.format {
        Format::Human => format!("{preface}{}", render_human(report, true)),
        Format::Json => report.to_json() + "\n",
        Format::Sarif => render_sarif(report, &rule_infos(), env!("CARGO_PKG_VERSION")) + "\n",
        Format::Markdown => render_markdown(report),
    };
    out(&text)?;
    Ok(exit_code(g, report.max_severity()))
}

/// 1 when the worst finding is at or above the --severity threshold, else 0.
pub(crate) fn exit_code(g: &Global, worst: Option<Severity>) -> u8 {
    let threshold = match g.severity {
        Threshold::Error => Some(Severity::Error),
        Threshold::Warning => Some(Severity::Warning),
        Threshold::Info => Some(Severity::Info),
        Threshold::Never => None,
    };
    u8::from(matches!((threshold, worst), (Some(t), Some(m)) if m >= t))
}

fn migrate_manifest(g: &Global, dir: &Path) -> Result<u8> {
    let mut items = vec![];
    for m in inputs::discover(dir, g.max_file_size)? {
        let text = inputs::script_text(&m.up, g.max_file_size)?;
        items.push((m.version, text));
    }
    out(&dbarch_migrate::write_manifest(
        items.iter().map(|(v, t)| (v.as_str(), t.as_str())),
    ))?;
    Ok(0)
}

/// Migrations of the folders, parsed (up and down), in order; unparseable ups are listed apart.
#[derive(Default)]
pub(crate) struct LoadedMigrations {
    pub scripts: Vec<dbarch_lint::MigrationScript>,
    pub parse_errors: Vec<String>,
}

/// A migration found in a folder: its up script and its down script (when read), not parsed yet.
type FoundMigration = (
    dbarch_migrate::Migration,
    Arc<SourceFile>,
    Option<Arc<SourceFile>>,
);

/// The migrations of the folders, read (in order) but not parsed yet.
struct ReadMigrations {
    found: Vec<FoundMigration>,
    /// Migrations whose up script could not be read as text, with the reason: reported after the others
    /// have been judged.
    unreadable: Vec<String>,
}

/// The migrations of the folders, in order.
fn discover_all(g: &Global, paths: &[PathBuf]) -> Result<Vec<dbarch_migrate::Migration>> {
    let mut migrations = vec![];
    for dir in paths {
        migrations.extend(inputs::discover(dir, g.max_file_size)?);
    }
    Ok(migrations)
}

/// Read the migrations' files (the downs too when `with_downs`) into `sources`.
fn read_found(
    g: &Global,
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
            let up = inputs::script_text(&m.up, g.max_file_size)?;
            let down = match m.down.as_ref().filter(|_| with_downs) {
                Some(d) => Some(inputs::script_text(d, g.max_file_size)?),
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
fn parse_migration(
    m: &dbarch_migrate::Migration,
    up: &Arc<SourceFile>,
    down: Option<&Arc<SourceFile>>,
) -> std::result::Result<dbarch_lint::MigrationScript, String> {
    // The migration rules and the catalog need a view's name and what it reads, not its query's tree.
    let options = dbarch_sql::ParseOptions::SCHEMA;
    let parsed = dbarch_sql::parse_file_opts(up, options).map_err(|e| e.to_string())?;
    let (mut down_parsed, mut down_error) = (None, None);
    if let Some(d) = down {
        match dbarch_sql::parse_file_opts(d, options) {
            Ok(p) => down_parsed = Some(p),
            Err(e) => down_error = Some((d.id, format!("{}:{}: {}", e.line, e.column, e.message))),
        }
    }
    Ok(dbarch_lint::MigrationScript {
        version: m.version.clone(),
        file: parsed,
        down: down_parsed,
        down_error,
        wrapped: m.transaction == dbarch_migrate::Transaction::Wrapped,
    })
}

/// `with_downs`: read and parse the down scripts too (for the reversibility check). The files are added
/// to `sources`.
pub(crate) fn load_migrations(
    g: &Global,
    paths: &[PathBuf],
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    load_found(g, discover_all(g, paths)?, with_downs, sources)
}

/// `load_migrations` of migrations already discovered.
fn load_found(
    g: &Global,
    migrations: Vec<dbarch_migrate::Migration>,
    with_downs: bool,
    sources: &mut SourceMap,
) -> Result<LoadedMigrations> {
    use rayon::prelude::*;
    let ReadMigrations { found, unreadable } = read_found(g, migrations, with_downs, sources)?;
    let parsed: Vec<_> = found
        .par_iter()
        .map(|(m, up, down)| parse_migration(m, up, down.as_ref()))
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
fn parse_streaming<R>(
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
                    .map(|(m, up, down)| parse_migration(m, up, down.as_ref()))
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

pub(crate) fn report_parse_errors(parse_errors: &[String]) {
    for e in parse_errors {
        eprintln!("error: {e}");
    }
    eprintln!(
        "error: {} migration(s) could not be parsed; the results above are for the others",
        parse_errors.len()
    );
}

fn migrate_lint(
    g: &Global,
    paths: &[PathBuf],
    lock_report: bool,
    manifest: Option<&Path>,
) -> Result<u8> {
    let config = load_config(g, paths)?;
    let pg_version = g.pg_version.or(config.pg_version).unwrap_or(16);
    let mut sources = SourceMap::new();
    let ReadMigrations { found, unreadable } = read_found(
        g,
        discover_all(g, paths)?,
        config.checks_downs(),
        &mut sources,
    )?;
    // Each migration is replayed as soon as it is parsed, while later ones are still being parsed.
    let ((run, scripts), parsed_errors) = parse_streaming(&found, |incoming| {
        dbarch_lint::run_migrations_from(Catalog::new(), incoming, &sources, &config, pg_version)
    });
    let mut parse_errors = unreadable;
    parse_errors.extend(parsed_errors);
    let statements = scripts.iter().map(|s| s.file.statement_count).sum();
    if lock_report {
        match g.format {
            Format::Json => out(&(serde_json::to_string_pretty(&run.locks)? + "\n"))?,
            _ => out(&dbarch_report::render_locks_human(&run.locks))?,
        }
        // A migration that does not parse has no locks to show: never a silent success.
        if parse_errors.is_empty() {
            return Ok(0);
        }
        report_parse_errors(&parse_errors);
        return Ok(2);
    }
    let mut lint = run.lint;
    if let Some(path) = manifest {
        let text = inputs::read_sql(path, g.max_file_size)?;
        let applied = dbarch_migrate::parse_manifest(&text, &path.display().to_string())?;
        let file = sources.add(path, text);
        let history = dbarch_lint::run_history(&scripts, &applied, Some(&file), &sources, &config);
        lint.findings.extend(history.findings);
        lint.suppressed += history.suppressed;
    }
    let report = Report::new(lint.findings, scripts.len(), statements, lint.suppressed);
    let code = emit(g, &report, "")?;
    if parse_errors.is_empty() {
        return Ok(code);
    }
    report_parse_errors(&parse_errors);
    Ok(2)
}

fn overview_line(c: &Catalog, files: usize, workload: Option<(usize, usize)>) -> String {
    let fks: usize = c.tables.values().map(|t| t.foreign_keys().count()).sum();
    let idx: usize = c.indexes_by_table().values().map(Vec::len).sum();
    let workload = workload
        .map(|(queries, files)| {
            format!(
                ", and a workload of {} from {}",
                plural(queries, "query"),
                plural(files, "file")
            )
        })
        .unwrap_or_default();
    format!(
        "Reviewed {}, {}, {}, {}, {} from {}{workload}.\n\n",
        plural(c.tables.len(), "table"),
        plural(idx, "index"),
        plural(fks, "foreign key"),
        plural(c.views.len(), "view"),
        plural(c.functions.len(), "function"),
        plural(files, "file"),
    )
}

fn rules(g: &Global, write_docs: Option<&Path>) -> Result<u8> {
    if let Some(dir) = write_docs {
        std::fs::create_dir_all(dir)?;
        for (name, content) in dbarch_lint::registry::doc_pages() {
            // Write to a temporary file and rename, so an interrupted run leaves no partial page.
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, content)?;
            std::fs::rename(&tmp, dir.join(&name))?;
        }
        eprintln!("wrote {} pages to {}", all_rules().len() + 1, dir.display());
        return Ok(0);
    }
    match g.format {
        Format::Json => {
            let v: Vec<serde_json::Value> = all_rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "category": r.category,
                        "severity": r.severity,
                        "summary": r.summary,
                        "doc": r.doc,
                        "fixtures": r.fixtures,
                        "markdown": r.markdown(),
                    })
                })
                .collect();
            out(&(serde_json::to_string_pretty(&v)? + "\n"))?;
        }
        Format::Markdown => {
            let pages = dbarch_lint::registry::doc_pages();
            out(pages.last().map(|p| p.1.as_str()).unwrap_or(""))?;
        }
        _ => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec!["Code", "Name", "Category", "Severity", "Summary"]);
            for r in all_rules() {
                t.add_row(vec![
                    r.code,
                    r.name,
                    r.category.as_str(),
                    r.severity.as_str(),
                    r.summary,
                ]);
            }
            out(&format!(
                "{t}\n{} rules. `dbarch rule CODE` shows one rule's documentation.\n",
                all_rules().len()
            ))?;
        }
    }
    Ok(0)
}

fn rule(g: &Global, code: &str) -> Result<u8> {
    let Some(r) = find_rule(code) else {
        return Err(format!("no rule `{code}` (see `dbarch rules`)").into());
    };
    match g.format {
        Format::Json => out(&(serde_json::to_string_pretty(&serde_json::json!({
            "code": r.code, "name": r.name, "category": r.category, "severity": r.severity,
            "summary": r.summary, "doc": r.doc, "fixtures": r.fixtures,
        }))? + "\n"))?,
        _ => out(&r.markdown())?,
    }
    Ok(0)
}
