//! The dispatch of subcommands to their modules, and what they share: the formats each writes, the
//! configuration, output and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};

use dbarch_lint::{Config, all_rules};
use dbarch_report::{Report, RuleInfo, Severity, render_human, render_markdown, render_sarif};

use crate::args::{Cli, Command, Format, Global, MigrateCommand, Threshold};

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

/// A format as `--format` spells it.
fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

pub fn run(cli: Cli) -> Result<u8> {
    // A format a command cannot write is refused before anything is read or connected to, never
    // replaced by another one.
    let (name, writes) = formats(&cli.command);
    if !writes.contains(&cli.global.format) {
        let names: Vec<String> = writes.iter().map(|f| format_name(*f)).collect();
        return Err(format!(
            "`dbarch {name}` writes {} output, not --format {}",
            names.join(", "),
            format_name(cli.global.format)
        )
        .into());
    }
    // A baseline is of a findings report: refused, not ignored, where there is none to filter.
    let baselines = ["review", "lint", "analyze", "migrate lint"];
    if (cli.global.baseline.is_some() || cli.global.write_baseline.is_some())
        && !baselines.contains(&name)
    {
        return Err(format!(
            "`dbarch {name}` takes no --baseline or --write-baseline (review, lint, analyze and migrate lint do)"
        )
        .into());
    }
    match &cli.command {
        Command::Review { paths, db, stats } => {
            crate::review::check(&cli.global, paths, db.as_deref(), stats.as_deref(), true)
        }
        Command::Lint { paths, db, stats } => {
            crate::review::check(&cli.global, paths, db.as_deref(), stats.as_deref(), false)
        }
        Command::Migrate {
            action:
                MigrateCommand::Lint {
                    paths,
                    locks,
                    manifest,
                    stats,
                    since,
                },
        } => crate::migrations::migrate_lint(
            &cli.global,
            paths,
            *locks,
            manifest.as_deref(),
            stats.as_deref(),
            since.as_deref(),
        ),
        Command::Migrate {
            action: MigrateCommand::Trace { paths, db },
        } => crate::trace::migrate_trace(&cli.global, paths, db.as_deref()),
        Command::Migrate {
            action: MigrateCommand::DownGen { file },
        } => crate::downgen::down_gen(&cli.global, file),
        Command::Migrate {
            action: MigrateCommand::Manifest { path },
        } => crate::migrations::migrate_manifest(&cli.global, path),
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
        Command::Rules { write_docs } => crate::rules::rules(&cli.global, write_docs.as_deref()),
        Command::Rule { code } => crate::rules::rule(&cli.global, code),
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

/// Print a report in the chosen format; the exit code follows the --severity threshold.
pub(crate) fn emit(g: &Global, report: &Report, preface: &str) -> Result<u8> {
    let baselined;
    let report = match (&g.write_baseline, &g.baseline) {
        (Some(path), _) => {
            let b = dbarch_report::Baseline::of(report);
            std::fs::write(path, b.text())
                .map_err(|e| format!("{}: cannot write the baseline: {e}", path.display()))?;
            eprintln!(
                "wrote {} findings to the baseline {}",
                b.len(),
                path.display()
            );
            baselined = b.filter(report);
            &baselined
        }
        (None, Some(path)) => {
            let text = dbarch_sql::read::read_text(path, dbarch_sql::read::DEFAULT_MAX_MB)?;
            let b = dbarch_report::Baseline::parse(&text).map_err(|line| {
                format!(
                    "{}:{line}:1: not a baseline line (file<TAB>fingerprint, as --write-baseline writes)",
                    path.display()
                )
            })?;
            baselined = b.filter(report);
            &baselined
        }
        (None, None) => report,
    };
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
