//! The migration tracer: runs statements one by one inside a transaction (each under a savepoint) and
//! records what the server actually did — the locks its own backend was granted (`pg_locks`, diffed around
//! each statement), the relations whose storage file was replaced (a rewrite: `pg_relation_filenode`
//! changed) and the tables it read in full (`pg_stat_xact_user_tables.seq_scan` went up).
//!
//! The caller decides whether the transaction is rolled back (always, on a database it does not own) or
//! the statements are then applied for real (in a throwaway cluster, so the next migration sees them).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use postgres::Client;
use postgres::error::SqlState;
use serde::Serialize;

/// One lock the statement was granted that the transaction did not hold before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedLock {
    /// The relation (`orders`, `public.orders` when not on the search path) or object (`type mood`).
    pub object: String,
    /// table, partitioned table, index, sequence, view, materialized view, or the object class.
    pub kind: String,
    /// The lock mode as SQL spells it: `ACCESS EXCLUSIVE`.
    pub mode: String,
    /// Whether the object existed before the statement (locks on objects it creates block nobody).
    pub existed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "kebab-case")]
pub enum Outcome {
    Ran,
    /// The statement refuses to run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...).
    OutsideTransaction,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    pub outcome: Outcome,
    /// The strongest new lock per object, strongest first.
    pub locks: Vec<ObservedLock>,
    /// Existing relations whose storage was rewritten (new relfilenode).
    pub rewritten: Vec<String>,
    /// Existing tables read in full (sequential scans) by the statement.
    pub scanned: Vec<String>,
}

impl StatementTrace {
    /// The strongest lock taken on an existing object, if any.
    pub fn strongest_on_existing(&self) -> Option<&ObservedLock> {
        self.locks.iter().find(|l| l.existed)
    }

    /// The mode taken on one existing relation, compared by unqualified name.
    pub fn mode_on(&self, relation: &str) -> Option<&str> {
        self.locks
            .iter()
            .find(|l| l.existed && unqualified(&l.object) == unqualified(relation))
            .map(|l| l.mode.as_str())
    }
}

fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim_matches('"')
}

/// Lock modes, weakest first, as pg_locks names them and as SQL spells them.
const MODES: [(&str, &str); 8] = [
    ("AccessShareLock", "ACCESS SHARE"),
    ("RowShareLock", "ROW SHARE"),
    ("RowExclusiveLock", "ROW EXCLUSIVE"),
    ("ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE"),
    ("ShareLock", "SHARE"),
    ("ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE"),
    ("ExclusiveLock", "EXCLUSIVE"),
    ("AccessExclusiveLock", "ACCESS EXCLUSIVE"),
];

/// The strength of a mode (0 weakest), by either spelling.
pub fn mode_rank(mode: &str) -> usize {
    MODES
        .iter()
        .position(|(a, b)| *a == mode || b.eq_ignore_ascii_case(mode))
        .unwrap_or(0)
}

fn mode_sql(mode: &str) -> String {
    MODES
        .iter()
        .find(|(a, _)| *a == mode)
        .map(|(_, b)| b.to_string())
        .unwrap_or_else(|| mode.to_string())
}

fn relkind_name(kind: i8) -> &'static str {
    match kind as u8 {
        b'r' => "table",
        b'p' => "partitioned table",
        b'i' => "index",
        b'I' => "partitioned index",
        b'S' => "sequence",
        b'v' => "view",
        b'm' => "materialized view",
        b'c' => "composite type",
        b'f' => "foreign table",
        b't' => "toast table",
        _ => "relation",
    }
}

#[derive(Debug, Default)]
struct Snapshot {
    /// (lock tag, mode) -> lock, for the locks this backend holds.
    locks: BTreeMap<(String, String), (String, String)>,
    /// User relations: oid -> (name, storage file).
    files: HashMap<i64, (String, i64)>,
    /// User relations: oid -> kind.
    kinds: HashMap<i64, i8>,
    /// User tables: oid -> sequential scans counted in this transaction.
    scans: HashMap<i64, i64>,
}

const LOCKS_SQL: &str = "
SELECT l.locktype || ':' || COALESCE(l.relation::text, l.classid::text || '/' || l.objid::text),
       l.mode,
       COALESCE(c.oid::regclass::text, pg_describe_object(l.classid, l.objid, l.objsubid), l.locktype),
       COALESCE(c.relkind::\"char\", '?'::\"char\"),
       l.relation IS NOT NULL
  FROM pg_locks l
  LEFT JOIN pg_class c ON c.oid = l.relation
  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = pg_backend_pid() AND l.granted
   AND l.locktype IN ('relation', 'object')
   AND (l.relation IS NULL OR n.nspname IS NULL
        OR (n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'))";

const FILES_SQL: &str = "
SELECT c.oid::bigint, c.oid::regclass::text, COALESCE(pg_relation_filenode(c.oid), 0)::bigint,
       c.relkind::\"char\"
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

const SCANS_SQL: &str = "SELECT relid::bigint, seq_scan FROM pg_stat_xact_user_tables";

/// Runs statements under savepoints in the transaction it opened.
pub struct Tracer<'a> {
    client: &'a mut Client,
    /// Lock rows of relations present before the statement, by relation oid text.
    known: BTreeSet<String>,
}

impl<'a> Tracer<'a> {
    /// BEGIN a transaction. With `guard`, lock_timeout and statement_timeout keep a trace on a shared
    /// database from queueing behind (and so blocking) its traffic for long.
    pub fn begin(client: &'a mut Client, guard: bool) -> Result<Self, postgres::Error> {
        client.batch_execute("BEGIN")?;
        if guard {
            client.batch_execute(
                "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '120s'",
            )?;
        }
        Ok(Tracer {
            client,
            known: BTreeSet::new(),
        })
    }

    /// Run one statement under a savepoint and report what it did. An error in the statement rolls back
    /// to the savepoint and is reported; errors of the tracer's own queries are returned.
    pub fn trace(&mut self, sql: &str) -> Result<StatementTrace, postgres::Error> {
        self.client.batch_execute("SAVEPOINT dbarch_trace")?;
        let before = self.snapshot()?;
        let outcome = match self.client.batch_execute(sql) {
            Ok(()) => Outcome::Ran,
            Err(e) => {
                self.client
                    .batch_execute("ROLLBACK TO SAVEPOINT dbarch_trace")?;
                if e.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION) {
                    Outcome::OutsideTransaction
                } else {
                    Outcome::Failed(
                        e.as_db_error()
                            .map(|d| d.message().to_string())
                            .unwrap_or_else(|| e.to_string()),
                    )
                }
            }
        };
        if outcome != Outcome::Ran {
            self.client
                .batch_execute("RELEASE SAVEPOINT dbarch_trace")?;
            return Ok(StatementTrace {
                outcome,
                locks: vec![],
                rewritten: vec![],
                scanned: vec![],
            });
        }
        let after = self.snapshot()?;
        self.client
            .batch_execute("RELEASE SAVEPOINT dbarch_trace")?;
        Ok(diff(&before, &after, &mut self.known))
    }

    /// Run a statement without tracing it (state the traced statements need).
    pub fn run(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }

    pub fn rollback(self) -> Result<(), postgres::Error> {
        self.client.batch_execute("ROLLBACK")
    }

    fn snapshot(&mut self) -> Result<Snapshot, postgres::Error> {
        let mut s = Snapshot::default();
        for row in self.client.query(LOCKS_SQL, &[])? {
            let tag: String = row.get(0);
            let mode: String = row.get(1);
            let name: String = row.get(2);
            let relkind: i8 = row.get(3);
            let is_relation: bool = row.get(4);
            let kind = if is_relation {
                relkind_name(relkind).to_string()
            } else {
                name.split_whitespace()
                    .next()
                    .unwrap_or("object")
                    .to_string()
            };
            s.locks.insert((tag, mode), (name, kind));
        }
        for row in self.client.query(FILES_SQL, &[])? {
            s.files.insert(row.get(0), (row.get(1), row.get(2)));
            s.kinds.insert(row.get(0), row.get(3));
        }
        for row in self.client.query(SCANS_SQL, &[])? {
            s.scans.insert(row.get(0), row.get(1));
        }
        Ok(s)
    }
}

/// For a statement that cannot run inside a transaction block: whether it asks for a lock on `relation`
/// (SQL text, e.g. `public.orders`) that conflicts with `blocker` (a lock mode, e.g. `ACCESS SHARE`). A
/// second connection holds `blocker` on the relation, so a conflicting request queues and `pg_locks` shows
/// the mode it waits for; then the blocker lets go and the statement completes for real (so use a database
/// that may change). `None` when it never queued on the relation.
///
/// Holding ACCESS SHARE catches only an ACCESS EXCLUSIVE request, ROW SHARE also EXCLUSIVE, ROW EXCLUSIVE
/// also SHARE and SHARE ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE also itself: trying them in that order on fresh
/// copies finds the strongest lock the statement takes.
pub fn lock_requested_when_blocked(
    config: &postgres::Config,
    relation: &str,
    sql: &str,
    blocker_mode: &str,
) -> Result<(Option<String>, Result<(), String>), postgres::Error> {
    let mut blocker = config.connect(postgres::NoTls)?;
    blocker.batch_execute(&format!(
        "BEGIN; LOCK TABLE {relation} IN {blocker_mode} MODE"
    ))?;
    let mut runner = config.connect(postgres::NoTls)?;
    let pid: i32 = runner.query_one("SELECT pg_backend_pid()", &[])?.get(0);
    let text = sql.to_string();
    let handle = std::thread::spawn(move || runner.batch_execute(&text));
    let mut mode = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline && !handle.is_finished() {
        let rows = blocker.query(
            "SELECT l.locktype, l.mode FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted",
            &[&pid],
        )?;
        if let Some(row) = rows.first() {
            // Waiting for the blocker's transaction to end (CONCURRENTLY waits for older transactions)
            // means it got its relation locks without conflict.
            if row.get::<_, String>(0) == "relation" {
                mode = Some(mode_sql(row.get(1)));
            }
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    blocker.batch_execute("ROLLBACK")?;
    let result = match handle.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string())),
        Err(_) => Err("the statement's thread panicked".to_string()),
    };
    Ok((mode, result))
}

fn diff(before: &Snapshot, after: &Snapshot, known: &mut BTreeSet<String>) -> StatementTrace {
    for oid in before.files.keys() {
        known.insert(format!("relation:{oid}"));
    }
    // The strongest new mode per object.
    let mut strongest: BTreeMap<String, ObservedLock> = BTreeMap::new();
    for ((tag, mode), (name, kind)) in &after.locks {
        if before.locks.contains_key(&(tag.clone(), mode.clone())) {
            continue;
        }
        let relation = tag
            .strip_prefix("relation:")
            .and_then(|oid| oid.parse::<i64>().ok());
        let existed = relation.is_none() || known.contains(tag);
        // A relation the statement dropped has no name left in pg_class: take it from before.
        let (name, kind) =
            match relation.and_then(|oid| before.files.get(&oid).zip(before.kinds.get(&oid))) {
                Some(((name, _), kind)) => (name.clone(), relkind_name(*kind).to_string()),
                None => (name.clone(), kind.clone()),
            };
        let lock = ObservedLock {
            object: name,
            kind,
            mode: mode_sql(mode),
            existed,
        };
        match strongest.get(tag) {
            Some(l) if mode_rank(&l.mode) >= mode_rank(&lock.mode) => {}
            _ => {
                strongest.insert(tag.clone(), lock);
            }
        }
    }
    let mut locks: Vec<ObservedLock> = strongest.into_values().collect();
    locks.sort_by(|a, b| {
        b.existed
            .cmp(&a.existed)
            .then(mode_rank(&b.mode).cmp(&mode_rank(&a.mode)))
            .then(a.object.cmp(&b.object))
    });
    let mut rewritten: Vec<String> = before
        .files
        .iter()
        .filter_map(|(oid, (name, file))| {
            let (_, now) = after.files.get(oid)?;
            (*file != 0 && now != file).then(|| name.clone())
        })
        .collect();
    rewritten.sort();
    let mut scanned: Vec<String> = after
        .scans
        .iter()
        .filter(|(oid, n)| before.scans.get(oid).is_some_and(|b| *n > b))
        .filter_map(|(oid, _)| before.files.get(oid).map(|(name, _)| name.clone()))
        .collect();
    scanned.sort();
    StatementTrace {
        outcome: Outcome::Ran,
        locks,
        rewritten,
        scanned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_rank_by_either_spelling() {
        assert!(mode_rank("AccessExclusiveLock") > mode_rank("SHARE ROW EXCLUSIVE"));
        assert_eq!(mode_rank("share"), mode_rank("ShareLock"));
        assert_eq!(
            mode_sql("ShareUpdateExclusiveLock"),
            "SHARE UPDATE EXCLUSIVE"
        );
        assert_eq!(unqualified("public.\"Orders\""), "Orders");
    }
}
