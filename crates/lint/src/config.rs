//! `dbarch.toml`: rule selection and severities, the target PostgreSQL version, per-path ignores and
//! rule options.
//!
//! ```toml
//! pg-version = 16
//!
//! [rules]
//! select = ["ALL"]          # codes, code prefixes ("KEY"), or rule names
//! ignore = ["NAM002"]
//! severity = { TYP006 = "warning" }
//!
//! [options]
//! wide-table-columns = 40
//!
//! [per-path-ignores]
//! "migrations/legacy/*.sql" = ["KEY001"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use dbarch_report::Severity;
use serde::Deserialize;

use crate::rule::Rule;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Read(dbarch_sql::read::ReadError),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// A table with more columns than this is flagged as wide.
    #[serde(default = "default_wide")]
    pub wide_table_columns: usize,
    /// Extra column-name words that mark money (beyond price, amount, total, cost, balance, ...).
    #[serde(default)]
    pub monetary_words: Vec<String>,
    /// Extra column names that mark a tenant-scoped table (beyond tenant_id, org_id, account_id, ...).
    #[serde(default)]
    pub tenant_columns: Vec<String>,
    /// An OFFSET of at least this many rows is flagged (QRY008).
    #[serde(default = "default_deep_offset")]
    pub deep_offset: i64,
    /// An IN list of at least this many values is flagged (QRY010).
    #[serde(default = "default_huge_in_list")]
    pub huge_in_list: usize,
    /// A SELECT without LIMIT estimated to return at least this many rows is flagged (QRY013).
    #[serde(default = "default_large_result_rows")]
    pub large_result_rows: u64,
    /// A loop of at least this many executions of one query in one session is an N+1 (QRY021).
    #[serde(default = "default_n_plus_one_min")]
    pub n_plus_one_min: usize,
    /// Executions of a loop follow each other within this many milliseconds (QRY021).
    #[serde(default = "default_n_plus_one_gap_ms")]
    pub n_plus_one_gap_ms: u64,
    /// inspect judges indexes unused only once the server's counters cover this many days (DB002).
    #[serde(default = "default_unused_index_min_days")]
    pub unused_index_min_days: f64,
    /// A fix that would hold ACCESS EXCLUSIVE while it rewrites or scans a table with at least this many
    /// rows (by `--stats` or `--db`) is not printed as SQL: the finding says how to do it online.
    #[serde(default = "default_large_table_rows")]
    pub large_table_rows: u64,
    /// Tables a framework or tool keeps for itself, beyond the known ones (schema_migrations,
    /// alembic_version, ...): the design rules leave them alone (KEY001, NRM003).
    #[serde(default)]
    pub bookkeeping_tables: Vec<String>,
}

fn default_large_table_rows() -> u64 {
    100_000
}

fn default_unused_index_min_days() -> f64 {
    7.0
}

fn default_wide() -> usize {
    40
}

fn default_deep_offset() -> i64 {
    1000
}

impl Options {
    /// The column names that mark a tenant-scoped table: SEC002's list and the configuration's.
    pub fn tenant_markers(&self) -> Vec<String> {
        crate::rules::security::tenant_table_without_rls::TENANT
            .iter()
            .map(|s| s.to_string())
            .chain(self.tenant_columns.iter().cloned())
            .collect()
    }

    /// The thresholds that make a run of one query in one session of a log a loop (QRY021).
    pub fn loops(&self) -> dbarch_workload::LoopOptions {
        dbarch_workload::LoopOptions {
            min: self.n_plus_one_min,
            gap_ms: self.n_plus_one_gap_ms,
        }
    }
}

fn default_n_plus_one_min() -> usize {
    10
}

fn default_n_plus_one_gap_ms() -> u64 {
    1000
}

fn default_large_result_rows() -> u64 {
    10_000
}

fn default_huge_in_list() -> usize {
    100
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unused_index_min_days: default_unused_index_min_days(),
            large_table_rows: default_large_table_rows(),
            bookkeeping_tables: vec![],
            wide_table_columns: default_wide(),
            monetary_words: vec![],
            tenant_columns: vec![],
            deep_offset: default_deep_offset(),
            huge_in_list: default_huge_in_list(),
            large_result_rows: default_large_result_rows(),
            n_plus_one_min: default_n_plus_one_min(),
            n_plus_one_gap_ms: default_n_plus_one_gap_ms(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsSection {
    /// The tool that applies the migrations, when the layout alone does not say how it runs them.
    pub tool: Option<dbarch_migrate::Tool>,
    /// `lint-downs`: judge each down script's statements with the migration rules, as an up's (on by
    /// default: a down runs in production on a rollback).
    #[serde(rename = "lint-downs")]
    pub lint_downs: Option<bool>,
}

impl MigrationsSection {
    /// Whether down scripts' statements are judged by the migration rules.
    pub fn lints_downs(&self) -> bool {
        self.lint_downs.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    pg_version: Option<u32>,
    #[serde(default)]
    rules: RulesSection,
    #[serde(default)]
    migrations: MigrationsSection,
    #[serde(default)]
    options: Option<Options>,
    #[serde(default)]
    per_path_ignores: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub pg_version: Option<u32>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub options: Options,
    /// `[migrations]`: the tool that applies them.
    pub migrations: MigrationsSection,
    per_path: Vec<(globset::GlobMatcher, Vec<String>)>,
    /// The directory of the configuration file: per-path globs are relative to it.
    base: Option<std::path::PathBuf>,
}

/// Whether a selector (`ALL`, a code, a former code, a code prefix, or a rule name) matches a rule.
pub fn selector_matches(sel: &str, rule: &Rule) -> bool {
    sel.eq_ignore_ascii_case("all")
        || sel.eq_ignore_ascii_case(rule.code)
        || sel.eq_ignore_ascii_case(rule.name)
        || crate::registry::aliases_of(rule.code).any(|a| a.eq_ignore_ascii_case(sel))
        || (sel.len() < rule.code.len()
            && rule
                .code
                .to_ascii_uppercase()
                .starts_with(&sel.to_ascii_uppercase()))
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = dbarch_sql::read::read_text(path, dbarch_sql::read::DEFAULT_MAX_MB)
            .map_err(ConfigError::Read)?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        config.base = path
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .and_then(|d| d.canonicalize().ok());
        Ok(config)
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_string(),
            message,
        };
        // A TOML error names its place as path:line:column, like every other input error.
        let f: File = toml::from_str(text).map_err(|e| {
            let mut at = e.span().map_or(0, |s| s.start).min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError::Invalid {
                path: format!("{path}:{line}:{column}"),
                message: e.message().trim().to_string(),
            }
        })?;
        let mut severity = BTreeMap::new();
        for (code, s) in &f.rules.severity {
            let sev = Severity::parse(s).ok_or_else(|| {
                invalid(format!(
                    "rules.severity.{code}: `{s}` is not error, warning or info"
                ))
            })?;
            severity.insert(code.to_ascii_uppercase(), sev);
        }
        let known = |sel: &str| {
            crate::registry::all_rules()
                .iter()
                .any(|r| selector_matches(sel, r))
        };
        for sel in f
            .rules
            .select
            .iter()
            .chain(&f.rules.ignore)
            .chain(f.per_path_ignores.values().flatten())
        {
            if !known(sel) {
                return Err(invalid(format!(
                    "`{sel}` matches no rule (see `dbarch rules`)"
                )));
            }
        }
        for code in severity.keys() {
            if !known(code) {
                return Err(invalid(format!("rules.severity: `{code}` matches no rule")));
            }
        }
        let mut per_path = vec![];
        for (glob, codes) in f.per_path_ignores {
            let g =
                globset::Glob::new(&glob).map_err(|e| invalid(format!("per-path-ignores: {e}")))?;
            per_path.push((g.compile_matcher(), codes));
        }
        Ok(Config {
            pg_version: f.pg_version,
            select: f.rules.select,
            ignore: f.rules.ignore,
            severity,
            options: f.options.unwrap_or_default(),
            migrations: f.migrations,
            per_path,
            base: None,
        })
    }

    /// The default configuration with only these rules selected.
    pub fn only(selectors: &[&str]) -> Self {
        Config {
            select: selectors.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        }
    }

    pub fn enabled(&self, rule: &Rule) -> bool {
        let selected =
            self.select.is_empty() || self.select.iter().any(|s| selector_matches(s, rule));
        selected && !self.ignore.iter().any(|s| selector_matches(s, rule))
    }

    /// Whether a rule that reads the down scripts is enabled (without one, downs need not be parsed).
    pub fn checks_downs(&self) -> bool {
        crate::registry::all_rules()
            .iter()
            .any(|r| matches!(r.check, crate::rule::Check::Reversibility(_)) && self.enabled(r))
    }

    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.severity_set(rule).unwrap_or(rule.severity)
    }

    /// The severity the configuration gives a rule (by its code, a former code or its name), when it
    /// gives one.
    pub fn severity_set(&self, rule: &Rule) -> Option<Severity> {
        let names = |k: &str| {
            k.eq_ignore_ascii_case(rule.code)
                || k.eq_ignore_ascii_case(rule.name)
                || crate::registry::aliases_of(rule.code).any(|a| a.eq_ignore_ascii_case(k))
        };
        self.severity.get(rule.code).copied().or_else(|| {
            self.severity
                .iter()
                .find(|(k, _)| names(k))
                .map(|(_, s)| *s)
        })
    }

    /// Whether a per-path ignore excuses this rule in this file.
    /// Globs match the path relative to the configuration file's directory (and, as given, the path
    /// relative to the current directory).
    pub fn ignored_at(&self, rule: &Rule, file: &str) -> bool {
        let codes_match = |codes: &[String]| codes.iter().any(|c| selector_matches(c, rule));
        if !self.per_path.iter().any(|(_, codes)| codes_match(codes)) {
            return false;
        }
        let given = file.trim_start_matches("./");
        let from_base = self.base.as_ref().and_then(|base| {
            let abs = Path::new(file).canonicalize().ok()?;
            Some(abs.strip_prefix(base).ok()?.to_string_lossy().into_owned())
        });
        self.per_path.iter().any(|(g, codes)| {
            codes_match(codes)
                && (g.is_match(given) || from_base.as_deref().is_some_and(|f| g.is_match(f)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            "pg-version = 14\n[rules]\nselect = [\"KEY\", \"TYP001\"]\nignore = [\"KEY006\"]\nseverity = { TYP001 = \"error\" }\n[options]\nwide-table-columns = 10\n[per-path-ignores]\n\"legacy/*.sql\" = [\"KEY001\"]\n",
            "dbarch.toml",
        )
        .unwrap();
        assert_eq!(c.pg_version, Some(14));
        assert_eq!(c.options.wide_table_columns, 10);
        let key1 = crate::find_rule("KEY001").unwrap();
        let key6 = crate::find_rule("KEY006").unwrap();
        let typ1 = crate::find_rule("TYP001").unwrap();
        let typ2 = crate::find_rule("TYP002").unwrap();
        assert!(c.enabled(key1) && !c.enabled(key6) && c.enabled(typ1) && !c.enabled(typ2));
        assert_eq!(c.severity_of(typ1), Severity::Error);
        assert!(c.ignored_at(key1, "legacy/a.sql"));
        assert!(!c.ignored_at(key1, "new/a.sql"));
    }

    #[test]
    fn rejects_unknown_keys_and_rules() {
        assert!(Config::parse("[rules]\nselect = [\"NOPE999\"]", "x").is_err());
        assert!(Config::parse("colour = true", "x").is_err());
        assert!(Config::parse("[rules]\nseverity = { KEY001 = \"fatal\" }", "x").is_err());
    }
}
