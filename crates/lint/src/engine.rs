//! Running the rules: enabled rules over the catalog (schema rules) or over each statement of a migration
//! history (migration rules); then severities, per-path ignores and inline suppressions applied, and
//! positions resolved to line:column.

use dbarch_catalog::Catalog;
use dbarch_report::Finding;
use dbarch_sql::{ParsedFile, SourceMap, Suppression};

use crate::config::Config;
use crate::registry::all_rules;
use crate::rule::{Check, Context, Diagnostic, Rule, Sink};

pub struct LintInput<'a> {
    pub catalog: &'a Catalog,
    pub files: &'a [ParsedFile],
    pub sources: &'a SourceMap,
    pub config: &'a Config,
    pub pg_version: u32,
    /// Table statistics (`--stats`, `--db`): the sizes a fix's cost names.
    pub stats: Option<&'a dbarch_catalog::Stats>,
}

#[derive(Default)]
pub struct LintOutput {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
}

impl LintOutput {
    /// Takes in the findings of another run (a down judged apart).
    pub(crate) fn merge(&mut self, other: LintOutput) {
        self.findings.extend(other.findings);
        self.suppressed += other.suppressed;
    }

    /// Turn a rule's diagnostics into findings, dropping those excused by a suppression or a per-path ignore.
    pub(crate) fn add(
        &mut self,
        rule: &Rule,
        diags: Vec<Diagnostic>,
        sources: &SourceMap,
        suppressions: &[&Suppression],
        config: &Config,
        costing: Option<&crate::cost::Costing>,
    ) {
        for mut d in diags {
            let file = d.span.and_then(|s| sources.get(s.file));
            let path = file
                .map(|f| f.path.display().to_string())
                .unwrap_or_else(|| "(schema)".to_string());
            if let Some(span) = d.span {
                let excused = suppressions
                    .iter()
                    .any(|s| s.covers(rule.code, rule.name, span));
                if excused || config.ignored_at(rule, &path) {
                    self.suppressed += 1;
                    continue;
                }
            }
            // A fix (of a finding that is not suppressed) is offered with its cost; one that would block
            // a large table is words instead.
            let fix = d.fix.take().and_then(|sql| match costing {
                Some(c) => match c.offer(sql, rule.doc.fix_safety) {
                    Ok(f) => Some(f),
                    Err(words) => {
                        d.help = format!("{} {words}", d.help).trim().to_string();
                        None
                    }
                },
                None => {
                    let mut f = dbarch_report::Fix::sql(sql);
                    f.safety = rule.doc.fix_safety.map(String::from);
                    Some(f)
                }
            });
            let (start, end, line_text) = match (d.span, file) {
                (Some(span), Some(f)) => {
                    let s = f.line_col(span.start);
                    let e = f.line_col(span.end);
                    let line = f.line_text(s.line);
                    (
                        s,
                        e,
                        Some(dbarch_report::SourceLine::around(line, s.column)),
                    )
                }
                _ => (
                    dbarch_sql::LineCol { line: 1, column: 1 },
                    dbarch_sql::LineCol { line: 1, column: 1 },
                    None,
                ),
            };
            self.findings.push(Finding {
                code: rule.code.to_string(),
                name: rule.name.to_string(),
                severity: config.severity_of(rule),
                message: d.message,
                help: d.help,
                file: path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                fix,
                fingerprint: format!("{}:{}", rule.code, d.object),
                source_line: line_text,
            });
        }
    }
}

/// Run the enabled schema rules over a finished catalog.
pub fn run(input: &LintInput) -> LintOutput {
    let mut cx = Context::new(input.catalog, &input.config.options, input.pg_version);
    cx.stats = input.stats;
    let suppressions: Vec<&Suppression> =
        input.files.iter().flat_map(|f| &f.suppressions).collect();
    let mut out = LintOutput::default();
    let knowledge = crate::knowledge::Knowledge::shared();
    let nobody = std::collections::HashSet::new();
    let costing = crate::cost::Costing {
        catalog: input.catalog,
        created_here: &nobody,
        pg_version: input.pg_version,
        knowledge,
        stats: input.stats,
        large_table_rows: input.config.options.large_table_rows,
    };
    for rule in all_rules().iter().filter(|r| input.config.enabled(r)) {
        let Check::Schema(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(&cx, &mut sink);
        out.add(
            rule,
            sink.into_items(),
            input.sources,
            &suppressions,
            input.config,
            Some(&costing),
        );
    }
    out
}

/// Lint one SQL text as a single file with the default configuration (for tests and embedding).
pub fn lint_text(
    path: &str,
    sql: &str,
    config: &Config,
) -> Result<Vec<Finding>, dbarch_sql::SyntaxError> {
    let mut sources = SourceMap::new();
    let file = sources.add(path, sql.to_string());
    let parsed = dbarch_sql::parse_file(&file)?;
    let files = vec![parsed];
    let catalog = Catalog::from_files(&files);
    let out = run(&LintInput {
        catalog: &catalog,
        files: &files,
        sources: &sources,
        config,
        pg_version: config.pg_version.unwrap_or(16),
        stats: None,
    });
    Ok(out.findings)
}
