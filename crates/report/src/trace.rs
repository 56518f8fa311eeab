//! The report of `dbarch migrate trace`: per migration, each statement with the locks the server actually
//! granted on existing objects, the relations it rewrote and the tables it read in full, beside what the
//! static lock report predicted for it.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::LockLevel;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceReport {
    /// "a throwaway cluster" or the database URL with its password redacted.
    pub server: String,
    pub server_version: u32,
    /// How the statements were run.
    pub mode: String,
    pub migrations: Vec<MigrationTrace>,
    pub summary: TraceSummary,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub statements: usize,
    /// The observed lock, rewrite and scan are the predicted ones.
    pub agree: usize,
    /// Predicted, but the server did something else.
    pub differ: usize,
    /// A lock of SHARE UPDATE EXCLUSIVE or stronger on an existing table that the static report did not
    /// predict.
    pub unpredicted: usize,
    pub failed: usize,
    pub outside_transaction: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationTrace {
    pub file: String,
    pub statements: Vec<TracedStatement>,
    /// The error that kept the migration from applying (the run stops there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedStatement {
    pub line: usize,
    /// The statement's first line.
    pub statement: String,
    /// ran, outside-transaction, failed, transaction-control.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The strongest new lock per existing object, strongest first.
    pub locks: Vec<TracedLock>,
    pub rewritten: Vec<String>,
    pub scanned: Vec<String>,
    /// Locks on existing objects the transaction already held (strongest per object).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub already_held: Vec<TracedLock>,
    /// What the static lock report lists for the statement (one entry per table).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub predicted: Vec<Predicted>,
    /// agrees, differs, unpredicted, or not-traced.
    pub verdict: String,
    /// What differs, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedLock {
    pub object: String,
    pub kind: String,
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicted {
    pub table: String,
    pub lock: String,
    pub rewrite: bool,
    pub scan: bool,
}

/// A relation name without its schema or quotes, to compare names as pg_locks and the lock report spell them.
pub fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim_matches('"')
}

impl TracedStatement {
    /// Fill `verdict` and `difference` from the observation and the prediction.
    pub fn judge(&mut self) {
        if self.status != "ran" {
            self.verdict = "not-traced".into();
            return;
        }
        let on = |table: &str| {
            self.locks
                .iter()
                .find(|l| unqualified(&l.object) == unqualified(table))
        };
        let has = |list: &[String], table: &str| {
            list.iter().any(|r| unqualified(r) == unqualified(table))
        };
        if !self.predicted.is_empty() {
            let mut diffs = vec![];
            // One expectation per table: the strongest lock, a rewrite or a scan if any operation does one.
            let mut expected: Vec<Predicted> = vec![];
            for p in &self.predicted {
                match expected
                    .iter_mut()
                    .find(|e| unqualified(&e.table) == unqualified(&p.table))
                {
                    Some(e) => {
                        if LockLevel::parse(&p.lock) > LockLevel::parse(&e.lock) {
                            e.lock = p.lock.clone();
                        }
                        e.rewrite |= p.rewrite;
                        e.scan |= p.scan;
                    }
                    None => expected.push(p.clone()),
                }
            }
            for p in &expected {
                let new = on(&p.table).map(|l| l.mode.as_str());
                let held = self
                    .already_held
                    .iter()
                    .find(|l| unqualified(&l.object) == unqualified(&p.table))
                    .map(|l| l.mode.as_str());
                // Agrees when it took the predicted lock, or the transaction already held one at least as
                // strong (then the statement takes nothing new, or only something weaker).
                let covered = held
                    .is_some_and(|h| LockLevel::parse(h) >= LockLevel::parse(&p.lock))
                    && new.is_none_or(|n| LockLevel::parse(n) <= LockLevel::parse(&p.lock));
                match new {
                    Some(n) if n == p.lock => {}
                    _ if covered => {}
                    Some(n) => {
                        diffs.push(format!("took {} on {}, predicted {}", n, p.table, p.lock))
                    }
                    None => diffs.push(format!(
                        "took no new lock on {}, predicted {}",
                        p.table, p.lock
                    )),
                }
                let rewrote = has(&self.rewritten, &p.table);
                if rewrote != p.rewrite {
                    diffs.push(format!(
                        "{} {}, predicted {}",
                        if rewrote {
                            "rewrote"
                        } else {
                            "did not rewrite"
                        },
                        p.table,
                        if p.rewrite { "a rewrite" } else { "none" }
                    ));
                } else if !p.rewrite {
                    let scanned = has(&self.scanned, &p.table);
                    if scanned != p.scan {
                        diffs.push(format!(
                            "{} {}, predicted {}",
                            if scanned { "scanned" } else { "did not scan" },
                            p.table,
                            if p.scan { "a scan" } else { "none" }
                        ));
                    }
                }
            }
            // A strong lock on a table none of the predictions names.
            let unlisted: Vec<String> = self
                .locks
                .iter()
                .filter(|l| {
                    l.kind.ends_with("table")
                        && LockLevel::parse(&l.mode) >= Some(LockLevel::ShareUpdateExclusive)
                        && !self
                            .predicted
                            .iter()
                            .any(|p| unqualified(&p.table) == unqualified(&l.object))
                })
                .map(|l| format!("took {} on {}, not predicted", l.mode, l.object))
                .collect();
            diffs.extend(unlisted);
            if diffs.is_empty() {
                self.verdict = "agrees".into();
            } else {
                self.verdict = "differs".into();
                self.difference = Some(diffs.join("; "));
            }
            return;
        }
        let strong: Vec<String> = self
            .locks
            .iter()
            .filter(|l| {
                l.kind.ends_with("table")
                    && LockLevel::parse(&l.mode) >= Some(LockLevel::ShareUpdateExclusive)
            })
            .map(|l| format!("{} on {}", l.mode, l.object))
            .collect();
        if strong.is_empty() {
            self.verdict = "agrees".into();
        } else {
            self.verdict = "unpredicted".into();
            self.difference = Some(format!(
                "took {} that the lock report does not list",
                strong.join(", ")
            ));
        }
    }
}

impl TraceReport {
    pub fn summarize(&mut self) {
        let mut s = TraceSummary::default();
        for st in self.migrations.iter().flat_map(|m| &m.statements) {
            match st.status.as_str() {
                "ran" => s.statements += 1,
                "failed" => s.failed += 1,
                "outside-transaction" => s.outside_transaction += 1,
                _ => {}
            }
            match st.verdict.as_str() {
                "agrees" => s.agree += 1,
                "differs" => s.differ += 1,
                "unpredicted" => s.unpredicted += 1,
                _ => {}
            }
        }
        self.summary = s;
    }
}

pub fn render_trace_human(r: &TraceReport) -> String {
    let mut out = format!(
        "Trace on {} (PostgreSQL {}): {}\n",
        r.server, r.server_version, r.mode
    );
    for m in &r.migrations {
        let _ = writeln!(out, "\n{}", m.file);
        for s in &m.statements {
            let observed = match s.status.as_str() {
                "ran" => {
                    let mut parts: Vec<String> = s
                        .locks
                        .iter()
                        .map(|l| format!("{} {}", l.mode, l.object))
                        .collect();
                    if !s.rewritten.is_empty() {
                        parts.push(format!("rewrote {}", s.rewritten.join(", ")));
                    }
                    if !s.scanned.is_empty() {
                        parts.push(format!("scanned {}", s.scanned.join(", ")));
                    }
                    if parts.is_empty() {
                        "no lock on an existing object".to_string()
                    } else {
                        parts.join("; ")
                    }
                }
                "outside-transaction" => {
                    "cannot run in a transaction block: not traced".to_string()
                }
                "transaction-control" => "transaction control: not run".to_string(),
                _ => format!("failed: {}", s.error.as_deref().unwrap_or("")),
            };
            let verdict = match s.verdict.as_str() {
                "differs" | "unpredicted" => format!(
                    "  [{}: {}]",
                    s.verdict,
                    s.difference.as_deref().unwrap_or("")
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {:>5}  {:<48} {}{}",
                s.line,
                truncate(&s.statement, 48),
                observed,
                verdict
            );
        }
        if let Some(e) = &m.apply_error {
            let _ = writeln!(
                out,
                "  could not apply: {e}; later migrations were not traced"
            );
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "\n{} traced: {} agree with the static lock report, {} differ, {} took a lock it does not list; {} failed, {} cannot run in a transaction block.",
        crate::plural(s.statements, "statement"),
        s.agree,
        s.differ,
        s.unpredicted,
        s.failed,
        s.outside_transaction
    );
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(locks: &[(&str, &str)], predicted: Option<Predicted>) -> TracedStatement {
        TracedStatement {
            line: 1,
            statement: "x".into(),
            status: "ran".into(),
            error: None,
            locks: locks
                .iter()
                .map(|(m, o)| TracedLock {
                    object: o.to_string(),
                    kind: "table".into(),
                    mode: m.to_string(),
                })
                .collect(),
            rewritten: vec![],
            scanned: vec![],
            already_held: vec![],
            predicted: predicted.into_iter().collect(),
            verdict: String::new(),
            difference: None,
        }
    }

    #[test]
    fn verdicts() {
        let p = Predicted {
            table: "orders".into(),
            lock: "SHARE".into(),
            rewrite: false,
            scan: false,
        };
        let mut a = stmt(&[("SHARE", "public.orders")], Some(p.clone()));
        a.judge();
        assert_eq!(a.verdict, "agrees");
        let mut b = stmt(&[("ACCESS EXCLUSIVE", "orders")], Some(p));
        b.judge();
        assert_eq!(b.verdict, "differs");
        let mut c = stmt(&[("SHARE ROW EXCLUSIVE", "users")], None);
        c.judge();
        assert_eq!(c.verdict, "unpredicted");
        let mut d = stmt(&[("ROW EXCLUSIVE", "users")], None);
        d.judge();
        assert_eq!(d.verdict, "agrees");
    }
}
