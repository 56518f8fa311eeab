//! Table statistics, in the meanings of PostgreSQL's `pg_class` and `pg_stats`: how many rows a table has,
//! and per column how many distinct values, which fraction is NULL, how wide a value is and how well the
//! physical order follows the value order. They come from a `--stats` JSON file (later from a live
//! database); what is not given falls back to the defaults below, which the cost model's documentation
//! states.
//!
//! ```json
//! {"tables": {"orders": {"rows": 5000000,
//!                        "columns": {"status": {"n_distinct": 4, "null_frac": 0, "avg_width": 6},
//!                                    "created_at": {"n_distinct": -0.9, "correlation": 0.98}}}}}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{QualifiedName, Table};

/// Rows assumed for a table the statistics do not mention.
pub const DEFAULT_ROWS: f64 = 10_000.0;
/// Distinct values assumed for a column without statistics (PostgreSQL's own default is 200).
pub const DEFAULT_N_DISTINCT: f64 = 200.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Keyed by table name, `name` or `schema.name`.
    #[serde(default)]
    pub tables: BTreeMap<String, TableStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableStats {
    /// Live rows (`pg_class.reltuples`).
    pub rows: f64,
    /// Heap pages of 8 kB (`pg_class.relpages`); derived from rows and widths when absent.
    #[serde(default)]
    pub pages: Option<f64>,
    /// Rows written (inserted, updated or deleted) per query executed in the workload's unit of time.
    /// Accepted but not used yet: the advisor weighs index upkeep by the workload's own write statements.
    #[serde(default)]
    pub writes: Option<f64>,
    /// True when rows are only ever appended in the order of a time column. Accepted but not used yet
    /// (BRIN is judged by `correlation`).
    #[serde(default)]
    pub append_only: Option<bool>,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnStats {
    /// Distinct values: a count when positive, minus a fraction of the rows when negative (`-1` = unique).
    #[serde(default)]
    pub n_distinct: Option<f64>,
    /// Fraction of the rows where the column is NULL.
    #[serde(default)]
    pub null_frac: Option<f64>,
    /// Average width of a value in bytes.
    #[serde(default)]
    pub avg_width: Option<f64>,
    /// Correlation between physical row order and value order, -1 to 1.
    #[serde(default)]
    pub correlation: Option<f64>,
    /// The most common values and the fraction of the rows each holds (`pg_stats.most_common_vals` and
    /// `most_common_freqs`), values as text: `[["open", 0.02], ["closed", 0.95]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub most_common: Option<Vec<(String, f64)>>,
}

impl ColumnStats {
    /// The fraction of the rows equal to `value`, as PostgreSQL's planner reckons it: the value's own
    /// frequency when it is among the most common values, else an equal share of what they leave
    /// (`None` when there is no list of common values).
    pub fn equal_fraction(&self, value: &str, distinct: f64) -> Option<f64> {
        let mcv = self.most_common.as_ref()?;
        if let Some((_, f)) = mcv.iter().find(|(v, _)| same_value(v, value)) {
            return Some(*f);
        }
        let listed: f64 = mcv.iter().map(|(_, f)| f).sum();
        let rest = (1.0 - listed - self.null_frac.unwrap_or(0.0)).max(0.0);
        let others = (distinct - mcv.len() as f64).max(1.0);
        Some((rest / others).min(mcv.iter().map(|(_, f)| *f).fold(1.0, f64::min)))
    }
}

/// A statistics value (output text: `t`, `1.50`) and a literal (`true`, `1.5`) that denote the same value.
fn same_value(stored: &str, literal: &str) -> bool {
    if stored == literal {
        return true;
    }
    let boolean = |s: &str| match s.to_ascii_lowercase().as_str() {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    };
    if let (Some(a), Some(b)) = (boolean(stored), boolean(literal)) {
        return a == b;
    }
    matches!((stored.parse::<f64>(), literal.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// The elements of a one-dimensional PostgreSQL array literal (`{a,"b c",NULL}`) as text; `None` for what
/// is not one. NULL elements are left out.
pub fn array_elements(literal: &str) -> Option<Vec<String>> {
    let inner = literal.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut out = vec![];
    if inner.is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let mut item = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => item.push(chars.next()?),
                    '"' => break,
                    c => item.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
        }
        if quoted || item != "NULL" {
            out.push(item);
        }
        match chars.next() {
            None => return Some(out),
            Some(',') => continue,
            Some(_) => return None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct StatsError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Stats {
    /// Read the `--stats` JSON; a malformed file names its line and column.
    pub fn from_json(path: &str, text: &str) -> Result<Stats, StatsError> {
        let stats: Stats = serde_json::from_str(text).map_err(|e| StatsError {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        for (name, t) in &stats.tables {
            let bad = |message: String| StatsError {
                path: path.to_string(),
                line: 1,
                column: 1,
                message,
            };
            if !(t.rows.is_finite() && t.rows >= 0.0) {
                return Err(bad(format!("table {name}: rows must be a number >= 0")));
            }
            for (c, s) in &t.columns {
                if let Some(f) = s.null_frac
                    && !(0.0..=1.0).contains(&f)
                {
                    return Err(bad(format!(
                        "{name}.{c}: null_frac must be between 0 and 1"
                    )));
                }
                if let Some(common) = &s.most_common
                    && common.iter().any(|(_, f)| !(0.0..=1.0).contains(f))
                {
                    return Err(bad(format!(
                        "{name}.{c}: each most_common frequency is between 0 and 1"
                    )));
                }
                if let Some(n) = s.n_distinct
                    && (n < -1.0 || n == 0.0 && t.rows > 0.0)
                {
                    return Err(bad(format!(
                        "{name}.{c}: n_distinct is a count (> 0) or minus a fraction of the rows (-1 to 0)"
                    )));
                }
            }
        }
        Ok(stats)
    }

    /// The statistics of a table, looked up as `schema.name`, then `name`.
    pub fn table(&self, name: &QualifiedName) -> Option<&TableStats> {
        self.tables
            .get(&format!("{}.{}", name.schema, name.name))
            .or_else(|| self.tables.get(&name.name))
    }

    /// Rows of a table: from the statistics, else [`DEFAULT_ROWS`].
    pub fn rows(&self, name: &QualifiedName) -> f64 {
        self.table(name).map(|t| t.rows).unwrap_or(DEFAULT_ROWS)
    }
}

impl TableStats {
    /// Distinct values of a column as a count (negative `n_distinct` scaled by the rows).
    pub fn distinct(&self, column: &str) -> Option<f64> {
        let n = self.columns.get(column)?.n_distinct?;
        Some(if n < 0.0 {
            (-n * self.rows).max(1.0)
        } else {
            n
        })
    }
}

/// Default width of a value of a column's type, in bytes, as PostgreSQL stores it.
pub fn type_width(table: &Table, column: &str) -> f64 {
    let Some(c) = table.column(column) else {
        return 8.0;
    };
    let t = &c.data_type;
    if t.is_array() {
        return 40.0;
    }
    match t.name.as_str() {
        "boolean" | "char" if t.modifiers.first().copied().unwrap_or(1) <= 1 => 1.0,
        "smallint" => 2.0,
        "integer" | "real" | "date" | "oid" => 4.0,
        "bigint" | "double precision" | "timestamp" | "timestamptz" | "time" | "money" => 8.0,
        "uuid" | "interval" => 16.0,
        "numeric" => 8.0,
        "varchar" | "char" => t
            .modifiers
            .first()
            .map(|m| (*m as f64 / 2.0).clamp(4.0, 64.0))
            .unwrap_or(16.0),
        "text" | "citext" => 24.0,
        "jsonb" | "json" => 100.0,
        "tsvector" => 80.0,
        "bytea" => 64.0,
        _ => 8.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals() {
        assert_eq!(
            array_elements(r#"{open,"in progress",NULL,"say \"hi\"",42}"#).unwrap(),
            vec!["open", "in progress", "say \"hi\"", "42"]
        );
        assert_eq!(array_elements("{}").unwrap(), Vec::<String>::new());
        assert!(array_elements("open").is_none());
    }

    #[test]
    fn common_values_weigh_equalities() {
        let c = ColumnStats {
            null_frac: Some(0.1),
            most_common: Some(vec![("closed".into(), 0.8), ("t".into(), 0.05)]),
            ..Default::default()
        };
        assert_eq!(c.equal_fraction("closed", 10.0), Some(0.8));
        assert_eq!(c.equal_fraction("true", 10.0), Some(0.05));
        // The rest (1 - 0.85 - 0.1 = 0.05) shared by the 8 other values.
        let other = c.equal_fraction("open", 10.0).unwrap();
        assert!((other - 0.05 / 8.0).abs() < 1e-12, "{other}");
        assert_eq!(ColumnStats::default().equal_fraction("x", 10.0), None);
    }
}
