//! The knowledge table (`data/locks.toml`): what each DDL form locks, rewrites and scans, per PostgreSQL
//! version. Rules and the lock report read it; they do not hard-code lock levels.

use serde::Deserialize;

pub use dbarch_report::LockLevel;

/// A version-dependent yes/no: "always", "never", "before N", "since N".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Always,
    Never,
    Before(u32),
    Since(u32),
}

impl Condition {
    pub fn holds(&self, pg_version: u32) -> bool {
        match self {
            Condition::Always => true,
            Condition::Never => false,
            Condition::Before(v) => pg_version < *v,
            Condition::Since(v) => pg_version >= *v,
        }
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || {
            serde::de::Error::custom(format!(
                "`{s}`: expected always, never, `before N` or `since N`"
            ))
        };
        match s.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["always"] => Ok(Condition::Always),
            ["never"] => Ok(Condition::Never),
            ["before", v] => v.parse().map(Condition::Before).map_err(|_| bad()),
            ["since", v] => v.parse().map(Condition::Since).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub id: String,
    pub statement: String,
    pub lock: LockLevel,
    pub rewrite: Condition,
    pub scan: Condition,
    /// First PostgreSQL version that has the form.
    #[serde(default)]
    pub since: Option<u32>,
    /// A statement of this form, run against `Knowledge::trace_setup` by the test that checks the row
    /// against a real server.
    pub example: String,
    /// The object whose lock the example is checked on (default: table `t` of the setup).
    #[serde(default)]
    pub target: Option<String>,
    pub docs: String,
    pub note: String,
    /// For a form that holds ACCESS EXCLUSIVE through a rewrite or scan: how to do the same online.
    #[serde(default)]
    pub online: Option<String>,
}

impl Operation {
    /// This operation's lock on `table`, on PostgreSQL `pg_version`.
    pub fn on(&self, table: impl ToString, pg_version: u32) -> dbarch_report::TableLock {
        dbarch_report::TableLock {
            table: table.to_string(),
            operation: self.id.clone(),
            lock: self.lock.sql().to_string(),
            blocks: self.lock.blocks().to_string(),
            rewrite: self.rewrite.holds(pg_version),
            scan: self.scan.holds(pg_version),
        }
    }
}

/// A statement that takes no lock on its table (only on other objects: a role, the catalog rows it
/// writes): nothing waits for it or behind it. Held to that by the same server trace as the operations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoLock {
    pub id: String,
    pub statement: String,
    /// It takes no lock before this major version (from it on, an `[[operation]]` row with `since`
    /// says what it takes).
    #[serde(default)]
    pub before: Option<u32>,
    pub example: String,
    #[serde(default)]
    pub target: Option<String>,
    pub docs: String,
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    trace: Trace,
    operation: Vec<Operation>,
    #[serde(default, rename = "no-lock")]
    no_lock: Vec<NoLock>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trace {
    setup: String,
}

#[derive(Debug, Clone)]
pub struct Knowledge {
    pub operations: Vec<Operation>,
    /// Statements known to take no lock on their table.
    pub no_lock: Vec<NoLock>,
    /// The schema the rows' examples run against.
    pub trace_setup: String,
}

const BUILTIN: &str = include_str!("../data/locks.toml");

impl Knowledge {
    /// The table shipped with dbarch. A malformed table is a build defect caught by the tests; at run time
    /// it degrades to an empty table rather than aborting.
    pub fn builtin() -> Self {
        Self::shared().clone()
    }

    /// [`Knowledge::builtin`], read once per process (it is consulted for every migration).
    pub fn shared() -> &'static Knowledge {
        static TABLE: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| {
            Self::parse(BUILTIN).unwrap_or(Knowledge {
                operations: vec![],
                no_lock: vec![],
                trace_setup: String::new(),
            })
        })
    }

    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let f: File = toml::from_str(text)?;
        Ok(Knowledge {
            operations: f.operation,
            no_lock: f.no_lock,
            trace_setup: f.trace.setup,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// "takes ACCESS EXCLUSIVE (blocks reads and writes), rewrites the table" for one operation and version.
    pub fn describe(&self, id: &str, pg_version: u32) -> String {
        let Some(o) = self.get(id) else {
            return String::new();
        };
        let mut s = format!("takes {} (blocks {})", o.lock.sql(), o.lock.blocks());
        if o.rewrite.holds(pg_version) {
            s.push_str(", rewrites the table");
        } else if o.scan.holds(pg_version) {
            s.push_str(", scans the whole table");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_cites_docs() {
        let k = Knowledge::parse(BUILTIN).expect("data/locks.toml parses");
        assert!(k.operations.len() >= 20);
        for o in &k.operations {
            assert!(
                o.docs.starts_with("https://www.postgresql.org/docs/"),
                "{}",
                o.id
            );
        }
        // A fix of this form on a large table is given as words: the table says how to do it online.
        let without: Vec<&str> = k
            .operations
            .iter()
            .filter(|o| {
                o.lock == LockLevel::AccessExclusive
                    && [11, 12, 18]
                        .iter()
                        .any(|&v| o.rewrite.holds(v) || o.scan.holds(v))
                    && o.online.is_none()
            })
            .map(|o| o.id.as_str())
            .collect();
        assert!(without.is_empty(), "no `online` form: {without:?}");
        assert!(
            k.no_lock
                .iter()
                .all(|o| o.docs.starts_with("https://www.postgresql.org/docs/"))
        );
        let ids: std::collections::HashSet<_> = k
            .operations
            .iter()
            .map(|o| &o.id)
            .chain(k.no_lock.iter().map(|o| &o.id))
            .collect();
        assert_eq!(
            ids.len(),
            k.operations.len() + k.no_lock.len(),
            "ids are unique"
        );
    }

    #[test]
    fn version_conditions() {
        let k = Knowledge::builtin();
        let add = k.get("add-column").unwrap();
        assert!(add.rewrite.holds(10) && !add.rewrite.holds(11));
        assert!(
            k.describe("create-index", 16)
                .contains("SHARE (blocks writes), scans")
        );
        assert!(
            LockLevel::AccessExclusive.blocks_reads()
                && !LockLevel::ShareUpdateExclusive.blocks_writes()
        );
    }
}
