//! `review` and `lint`: a schema (files, a migrations folder or a live database) judged by the schema
//! rules, the migration rules on the histories among the inputs, and the query rules on the workloads
//! beside it — the inputs classified once, the schema model built once, one report.

use std::path::{Path, PathBuf};

use dbarch_catalog::Catalog;
use dbarch_lint::{Config, LintInput};
use dbarch_report::{Report, plural};
use dbarch_sql::{ParsedFile, SourceMap};

use crate::migrations::{
    LoadedMigrations, ReadMigrations, load_found, parse_streaming, read_found,
};
use crate::{Result, inputs};

/// What to review.
pub struct Request<'a> {
    pub paths: &'a [PathBuf],
    /// A live database (`''`: from the PG* environment variables).
    pub db: Option<&'a str>,
    pub config: &'a Config,
    pub pg_version: u32,
    /// The largest file read, in megabytes.
    pub max_mb: u64,
    /// Table statistics (`--stats`; else a `stats.json` among the inputs; `--db` reads the database's).
    pub stats: Option<&'a Path>,
}

/// A review: the report, and what it was made from.
pub struct Review {
    pub report: Report,
    /// The schema judged.
    pub catalog: Catalog,
    /// The files read (without their statements).
    pub files: Vec<ParsedFile>,
    pub sources: SourceMap,
    /// Migrations that could not be read or parsed (the others were judged).
    pub parse_errors: Vec<String>,
    /// The workload judged: distinct queries, and files.
    pub workload_size: Option<(usize, usize)>,
}

impl Review {
    /// What was skipped or not modelled, each with its place: the choices made about the inputs,
    /// psql meta-commands and the like, statements the schema model does not follow.
    pub fn notes(&self) -> Vec<String> {
        let mut out = self.report.notes.clone();
        for f in &self.files {
            for n in &f.notes {
                let lc = f.file.line_col(n.span.start);
                out.push(format!(
                    "{}:{}:{}: {}",
                    f.file.path.display(),
                    lc.line,
                    lc.column,
                    n.message
                ));
            }
        }
        out.extend(unmodelled_notes(&self.catalog, &self.sources));
        out
    }

    /// "Reviewed 12 tables, 9 indexes, ... from 3 files." and a blank line.
    pub fn overview(&self) -> String {
        overview_line(&self.catalog, self.files.len(), self.workload_size)
    }
}

pub fn review(req: &Request) -> Result<Review> {
    let config = req.config;
    let pg_version = req.pg_version;
    let mut plan = inputs::plan(req.paths, req.max_mb, req.config.migrations.tool)?;
    let mut sources = SourceMap::new();
    let mut files: Vec<ParsedFile> = Vec::with_capacity(plan.files.len());
    let mut catalog = Catalog::new();
    let mut statements = 0;
    // A live database: its schema as DDL (replayed like a file), its statistics, its pg_stat_statements.
    let mut live_stats = None;
    let mut live_workload = None;
    if let Some(db) = req.db {
        let live = crate::live::read(db, true)?;
        let file = sources.add(&live.name, live.ddl);
        let parsed = dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.replay(&s)
        })?;
        statements += parsed.statement_count;
        files.push(parsed);
        live_stats = Some(live.stats);
        live_workload = live.workload;
        plan.notes.extend(live.notes);
    }
    // Statistics (`--db`, `--stats`, a `stats.json`): the query rules weigh them, and the fixes' costs
    // name table sizes.
    let stats = match live_stats {
        Some(s) => Some(s),
        None => crate::workload::load_stats(req.stats.or(plan.stats.as_deref()))?,
    };
    // A migrations folder alone: its history is parsed and replayed as it is parsed (the migration rules
    // judge each statement), and the schema it ends with is the schema the schema rules judge.
    let mut streamed = None;
    if req.db.is_none() && plan.extra_migrations.is_empty() && !plan.migrations.is_empty() {
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
                read_found(req.max_mb, migrations, config.checks_downs(), &mut sources)?;
            if let Some(e) = unreadable.first() {
                return Err(e.clone().into());
            }
            let ((run, scripts), parse_errors) = parse_streaming(&found, |incoming| {
                dbarch_lint::run_migrations_from(
                    Catalog::new(),
                    incoming,
                    &sources,
                    config,
                    pg_version,
                    stats.as_ref(),
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
            req.max_mb,
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
                catalog.replay(stmt);
            }
            statements += up.statement_count;
            files.push(up.without_statements());
            continue;
        }
        let text = inputs::script_text(script, req.max_mb)?;
        let file = sources.add(&script.path, text);
        // Schema rules read the catalog only, so each parse tree is applied and dropped at once.
        let parsed = dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.replay(&s)
        })?;
        statements += parsed.statement_count;
        files.push(parsed);
    }
    let lint = dbarch_lint::run(&LintInput {
        catalog: &catalog,
        files: &files,
        sources: &sources,
        config,
        pg_version,
        stats: stats.as_ref(),
    });
    let mut findings = lint.findings;
    let mut suppressed = lint.suppressed;
    // Migration histories among the inputs: their statements judged for production safety too.
    let mut parse_errors = vec![];
    let (mut file_count, mut statement_count) = (files.len(), statements);
    let migration_lint = match (loaded, streamed) {
        (Some(loaded), _) => {
            let (run, _) = dbarch_lint::run_migrations_from(
                Catalog::new(),
                loaded.scripts.iter(),
                &sources,
                config,
                pg_version,
                stats.as_ref(),
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
                && (!beside_schema(f)
                    || dbarch_lint::find_rule(&f.code).is_some_and(|r| r.is_migration_rule()))
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
        let workload = crate::workload::load_workload_with(
            req.max_mb,
            &plan.workloads,
            live_workload,
            config.options.loops(),
            &mut sources,
        )?;
        let run =
            dbarch_lint::run_queries(&workload, Some(&catalog), stats.as_ref(), &sources, config);
        findings.extend(run.findings);
        suppressed += run.suppressed;
        file_count += plan.workloads.len();
        statement_count += workload.queries.len();
        workload_size = Some((workload.queries.len(), plan.workloads.len().max(1)));
    }
    let mut report = Report::new(findings, file_count, statement_count, suppressed);
    report.notes = plan.notes.clone();

    Ok(Review {
        report,
        catalog,
        files,
        sources,
        parse_errors,
        workload_size,
    })
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

/// The statements the schema model did not follow, or followed only in part, each with its place:
/// `file:line:column: reason (statement kind)`.
pub fn unmodelled_notes(catalog: &Catalog, sources: &SourceMap) -> Vec<String> {
    catalog
        .unsupported
        .iter()
        .filter_map(|u| {
            let span = u.origin.span()?;
            let f = sources.get(span.file)?;
            let lc = f.line_col(span.start);
            Some(format!(
                "{}:{}:{}: {} ({})",
                f.path.display(),
                lc.line,
                lc.column,
                u.reason,
                u.kind
            ))
        })
        .collect()
}
