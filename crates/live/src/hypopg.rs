//! What-if costs from the real planner: candidate indexes created as HypoPG hypothetical indexes (in
//! this session only, nothing written), each workload query planned with `EXPLAIN (FORMAT JSON)` — a
//! generic plan when it has `$n` parameters (`PREPARE`, `plan_cache_mode = force_generic_plan`, `EXPLAIN
//! EXECUTE` with NULLs) — and the plan's total cost read. Every hypothetical index is removed when the
//! session is dropped (and `hypopg_reset()` is called at the end).

use std::collections::HashMap;

use dbarch_advisor::{IndexDef, WhatIf};

use crate::connect::explain;

pub struct HypoPg<'a> {
    client: &'a mut postgres::Client,
    /// The workload's queries by position, and how many `$n` parameters each has.
    queries: Vec<(String, usize)>,
    /// Hypothetical indexes present now: definition -> oid.
    present: HashMap<String, u32>,
    sizes: HashMap<String, f64>,
    calls: usize,
    /// Queries the planner refused, with the reason (they fall back to the offline model).
    pub failures: HashMap<usize, String>,
}

/// Whether the connected database has the extension (dbarch does not install it: that would be a write).
pub fn available(client: &mut postgres::Client) -> bool {
    client
        .query("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'", &[])
        .map(|r| !r.is_empty())
        .unwrap_or(false)
}

/// The highest `$n` in a statement (its parameter count).
fn parameters(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > start
                && let Ok(n) = sql[start..j].parse::<usize>()
            {
                max = max.max(n);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    max
}

impl<'a> HypoPg<'a> {
    /// Queries the guard refuses (not one statement EXPLAIN only plans, [`dbarch_sql::guard`]) are never
    /// sent: they are failures from the start, costed by the offline model.
    pub fn new(client: &'a mut postgres::Client, queries: Vec<String>) -> Result<Self, String> {
        client
            .batch_execute("SELECT hypopg_reset(); SET plan_cache_mode = force_generic_plan")
            .map_err(|e| explain(&e))?;
        let mut failures = HashMap::new();
        let queries = queries
            .into_iter()
            .enumerate()
            .map(
                |(i, q)| match dbarch_sql::guard::sendable(&q, dbarch_sql::guard::Use::Plan) {
                    Ok(statement) => {
                        let n = parameters(&statement);
                        (statement, n)
                    }
                    Err(e) => {
                        failures.insert(i, format!("not sent: {e}"));
                        (String::new(), 0)
                    }
                },
            )
            .collect();
        Ok(HypoPg {
            client,
            queries,
            present: HashMap::new(),
            sizes: HashMap::new(),
            calls: 0,
            failures,
        })
    }

    /// Make exactly `wanted` the hypothetical indexes present.
    fn sync(&mut self, wanted: &[&IndexDef]) -> Result<(), String> {
        let wanted_sql: Vec<String> = wanted.iter().map(|d| plain_sql(d)).collect();
        let stale: Vec<(String, u32)> = self
            .present
            .iter()
            .filter(|(k, _)| !wanted_sql.contains(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (k, oid) in stale {
            self.client
                .query(
                    "SELECT hypopg_drop_index($1)",
                    &[&postgres::types::Oid::from(oid)],
                )
                .map_err(|e| explain(&e))?;
            self.present.remove(&k);
        }
        for sql in wanted_sql {
            self.ensure(sql)?;
        }
        Ok(())
    }

    /// Create one hypothetical index unless it is present, measuring it the first time.
    fn ensure(&mut self, sql: String) -> Result<(), String> {
        if self.present.contains_key(&sql) {
            return Ok(());
        }
        let row = self
            .client
            .query_one("SELECT indexrelid FROM hypopg_create_index($1)", &[&sql])
            .map_err(|e| format!("{sql}: {}", explain(&e)))?;
        let oid: u32 = row
            .try_get(0)
            .map_err(|e| format!("hypopg_create_index: {e}"))?;
        if !self.sizes.contains_key(&sql)
            && let Ok(r) = self.client.query_one(
                "SELECT hypopg_relation_size($1)::float8",
                &[&postgres::types::Oid::from(oid)],
            )
            && let Ok(size) = r.try_get::<_, f64>(0)
        {
            self.sizes.insert(sql.clone(), size);
        }
        self.present.insert(sql, oid);
        Ok(())
    }

    fn plan_cost(&mut self, q: usize) -> Result<f64, String> {
        let (sql, params) = self.queries.get(q).cloned().ok_or("no such query")?;
        self.calls += 1;
        // One statement a message (the extended protocol): the guard let `sql` through as one statement.
        let statement = if params == 0 {
            format!("EXPLAIN (FORMAT JSON) {sql}")
        } else {
            // A fresh generic plan each time: hypothetical indexes do not invalidate cached plans.
            self.client
                .execute("DEALLOCATE ALL", &[])
                .map_err(|e| explain(&e))?;
            self.client
                .execute(&format!("PREPARE dbarch_q AS {sql}"), &[])
                .map_err(|e| explain(&e))?;
            format!(
                "EXPLAIN (FORMAT JSON) EXECUTE dbarch_q({})",
                vec!["NULL"; params].join(", ")
            )
        };
        let text = crate::connect::plan_text(self.client, &statement)?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        json[0]["Plan"]["Total Cost"]
            .as_f64()
            .ok_or_else(|| "no Total Cost in the plan".to_string())
    }
}

/// The statement HypoPG takes: no CONCURRENTLY, no name.
fn plain_sql(d: &IndexDef) -> String {
    dbarch_sql::change::emit(&d.change(false)).unwrap_or_default()
}

impl WhatIf for HypoPg<'_> {
    fn query_cost(&mut self, query: usize, indexes: &[&IndexDef]) -> Option<f64> {
        if self.failures.contains_key(&query) {
            return None;
        }
        let result = self.sync(indexes).and_then(|_| self.plan_cost(query));
        match result {
            Ok(c) => Some(c),
            Err(e) => {
                self.failures.insert(query, e);
                None
            }
        }
    }

    fn index_size(&mut self, index: &IndexDef) -> Option<f64> {
        let sql = plain_sql(index);
        if let Some(s) = self.sizes.get(&sql) {
            return Some(*s);
        }
        // Create it beside the present ones to measure it; the next sync drops it unless it is wanted.
        self.ensure(sql.clone()).ok()?;
        self.sizes.get(&sql).copied()
    }

    fn calls(&self) -> usize {
        self.calls
    }

    fn supports(&self, index: &IndexDef) -> bool {
        // HypoPG simulates btree, brin, hash and bloom indexes.
        matches!(
            index.method,
            dbarch_advisor::Method::Btree | dbarch_advisor::Method::Brin
        )
    }
}

impl Drop for HypoPg<'_> {
    fn drop(&mut self) {
        let _ = self
            .client
            .batch_execute("SELECT hypopg_reset(); DEALLOCATE ALL; RESET plan_cache_mode");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameter_count() {
        assert_eq!(super::parameters("select 1"), 0);
        assert_eq!(
            super::parameters("select * from t where a = $1 and b = $12 and c = '$x'"),
            12
        );
    }
}
