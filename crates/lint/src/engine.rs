//! Running the rules: enabled rules over the catalog, then severities, per-path ignores and inline
//! suppressions applied, and positions resolved to line:column.

use dbarch_catalog::Catalog;
use dbarch_report::Finding;
use dbarch_sql::{ParsedFile, SourceMap};

use crate::config::Config;
use crate::registry::all_rules;
use crate::rule::{Context, Sink};

pub struct LintInput<'a> {
    pub catalog: &'a Catalog,
    pub files: &'a [ParsedFile],
    pub sources: &'a SourceMap,
    pub config: &'a Config,
    pub pg_version: u32,
}

pub struct LintOutput {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
}

pub fn run(input: &LintInput) -> LintOutput {
    let cx = Context::new(input.catalog, &input.config.options, input.pg_version);
    let mut findings = vec![];
    let mut suppressed = 0;
    for rule in all_rules().iter().filter(|r| input.config.enabled(r)) {
        let mut sink = Sink::default();
        (rule.check)(&cx, &mut sink);
        for d in sink.into_items() {
            let file = d.span.and_then(|s| input.sources.get(s.file));
            let path = file.map(|f| f.path.display().to_string()).unwrap_or_else(|| "(schema)".to_string());
            if let Some(span) = d.span {
                let excused = input.files.iter().flat_map(|f| &f.suppressions).any(|s| s.covers(rule.code, rule.name, span));
                if excused || input.config.ignored_at(rule, &path) {
                    suppressed += 1;
                    continue;
                }
            }
            let (start, end, line_text) = match (d.span, file) {
                (Some(span), Some(f)) => {
                    let s = f.line_col(span.start);
                    let e = f.line_col(span.end);
                    (s, e, Some(f.line_text(s.line).to_string()))
                }
                _ => (dbarch_sql::LineCol { line: 1, column: 1 }, dbarch_sql::LineCol { line: 1, column: 1 }, None),
            };
            findings.push(Finding {
                code: rule.code.to_string(),
                name: rule.name.to_string(),
                severity: input.config.severity_of(rule),
                message: d.message,
                help: d.help,
                file: path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                fix: d.fix,
                fingerprint: format!("{}:{}", rule.code, d.object),
                source_line: line_text,
            });
        }
    }
    LintOutput { findings, suppressed }
}

/// Lint one SQL text as a single file with the default configuration (for tests and embedding).
pub fn lint_text(path: &str, sql: &str, config: &Config) -> Result<Vec<Finding>, dbarch_sql::SyntaxError> {
    let mut sources = SourceMap::new();
    let file = sources.add(path, sql.to_string());
    let parsed = dbarch_sql::parse_file(&file)?;
    let files = vec![parsed];
    let catalog = Catalog::from_files(&files);
    let out = run(&LintInput { catalog: &catalog, files: &files, sources: &sources, config, pg_version: config.pg_version.unwrap_or(16) });
    Ok(out.findings)
}
