//! The migration tracer: runs statements one by one inside a transaction (each under a savepoint) and
//! records what the server actually did — the locks its own backend was granted (`pg_locks`, diffed around
//! each statement), the relations whose storage file was replaced (a rewrite: `pg_relation_filenode`
//! changed) and the tables it read in full (`pg_stat_xact_user_tables.seq_scan` went up).
//!
//! The caller decides whether the transaction is rolled back (always, on a database it does not own) or
//! the statements are then applied for real (in a throwaway cluster, so the next migration sees them).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dbarch_report::{LockLevel, unqualified};
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

impl From<&ObservedLock> for dbarch_report::TracedLock {
    fn from(l: &ObservedLock) -> Self {
        dbarch_report::TracedLock {
            object: l.object.clone(),
            kind: l.kind.clone(),
            mode: l.mode.clone(),
        }
    }
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
    /// Locks on existing objects the transaction already held before the statement (strongest per
    /// object): a statement asking for one of them again takes nothing new.
    pub held: Vec<ObservedLock>,
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

/// The SQL spelling of a pg_locks mode (`AccessExclusiveLock` -> `ACCESS EXCLUSIVE`).
fn mode_sql(mode: &str) -> String {
    LockLevel::parse(mode)
        .map(|l| l.sql().to_string())
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
SELECT l.locktype || ':' || COALESCE(l.relation::text, l.classid::text || '/' || l.objid::text, ''),
       l.mode,
       COALESCE(c.oid::regclass::text, pg_describe_object(l.classid, l.objid, l.objsubid),
                l.classid::regclass::text || ' ' || l.objid::text, 'relation ' || l.relation::text),
       COALESCE(c.relkind::\"char\", '?'::\"char\"),
       l.relation IS NOT NULL
  FROM pg_locks l
  LEFT JOIN pg_class c ON c.oid = l.relation
  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = pg_backend_pid() AND l.granted
   AND (l.locktype = 'relation' OR (l.locktype = 'object' AND l.mode <> 'AccessShareLock'))
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
    /// Relations that existed when the migration started (`relation:<oid>`): locks on relations created
    /// since block nobody.
    existing: BTreeSet<String>,
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
        let mut tracer = Tracer {
            client,
            existing: BTreeSet::new(),
        };
        tracer.mark_existing()?;
        Ok(tracer)
    }

    /// From now on, count the relations that exist now as existing (call at the start of a migration).
    pub fn mark_existing(&mut self) -> Result<(), postgres::Error> {
        let s = self.snapshot()?;
        self.existing = s
            .files
            .keys()
            .map(|oid| format!("relation:{oid}"))
            .collect();
        Ok(())
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
                    Outcome::Failed(message(&e))
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
                held: vec![],
            });
        }
        let after = self.snapshot()?;
        self.client
            .batch_execute("RELEASE SAVEPOINT dbarch_trace")?;
        Ok(diff(&before, &after, &self.existing))
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
            let tag: String = row.try_get(0)?;
            let mode: String = row.try_get(1)?;
            let name: String = row.try_get(2)?;
            let relkind: i8 = row.try_get(3)?;
            let is_relation: bool = row.try_get(4)?;
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
            s.files
                .insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
            s.kinds.insert(row.try_get(0)?, row.try_get(3)?);
        }
        for row in self.client.query(SCANS_SQL, &[])? {
            s.scans.insert(row.try_get(0)?, row.try_get(1)?);
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
    let pid: i32 = runner
        .query_one("SELECT pg_backend_pid()", &[])?
        .try_get(0)?;
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
            if row.try_get::<_, String>(0)? == "relation" {
                mode = Some(mode_sql(row.try_get(1)?));
            }
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    blocker.batch_execute("ROLLBACK")?;
    let result = match handle.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(message(&e)),
        Err(_) => Err("the statement's thread panicked".to_string()),
    };
    Ok((mode, result))
}

fn diff(before: &Snapshot, after: &Snapshot, known: &BTreeSet<String>) -> StatementTrace {
    // The strongest new mode per object, and the strongest already held.
    let mut strongest: BTreeMap<String, ObservedLock> = BTreeMap::new();
    let mut held: BTreeMap<String, ObservedLock> = BTreeMap::new();
    for ((tag, mode), (name, kind)) in &after.locks {
        let already = before.locks.contains_key(&(tag.clone(), mode.clone()));
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
        let map = if already { &mut held } else { &mut strongest };
        match map.get(tag) {
            Some(l) if LockLevel::parse(&l.mode) >= LockLevel::parse(&lock.mode) => {}
            _ => {
                map.insert(tag.clone(), lock);
            }
        }
    }
    let order = |a: &ObservedLock, b: &ObservedLock| {
        b.existed
            .cmp(&a.existed)
            .then(LockLevel::parse(&b.mode).cmp(&LockLevel::parse(&a.mode)))
            .then(a.object.cmp(&b.object))
    };
    let mut locks: Vec<ObservedLock> = strongest.into_values().collect();
    locks.sort_by(order);
    let mut held: Vec<ObservedLock> = held.into_values().filter(|l| l.existed).collect();
    held.sort_by(order);
    // A relation rewritten in place gets a new storage file; one rebuilt (an index dropped and created
    // again by ALTER COLUMN TYPE) comes back under its name with a new oid.
    let after_by_name: HashMap<&str, i64> = after
        .files
        .iter()
        .map(|(oid, (name, _))| (name.as_str(), *oid))
        .collect();
    let mut rewritten: Vec<String> = before
        .files
        .iter()
        .filter(|(oid, (_, file))| *file != 0 && known.contains(&format!("relation:{oid}")))
        .filter_map(|(oid, (name, file))| match after.files.get(oid) {
            Some((_, now)) => (now != file).then(|| name.clone()),
            None => after_by_name
                .get(name.as_str())
                .is_some_and(|new| new != oid)
                .then(|| name.clone()),
        })
        .collect();
    rewritten.sort();
    let mut scanned: Vec<String> = after
        .scans
        .iter()
        .filter(|(oid, n)| {
            before.scans.get(oid).is_some_and(|b| *n > b)
                && known.contains(&format!("relation:{oid}"))
        })
        .filter_map(|(oid, _)| before.files.get(oid).map(|(name, _)| name.clone()))
        .collect();
    scanned.sort();
    StatementTrace {
        outcome: Outcome::Ran,
        locks,
        rewritten,
        scanned,
        held,
    }
}

/// One statement of a migration, as the tracer runs it.
#[derive(Debug, Clone)]
pub struct ScriptStatement {
    pub line: usize,
    pub column: usize,
    pub sql: String,
    /// BEGIN / COMMIT / ROLLBACK: not run (the tracer owns the transaction).
    pub transaction_control: bool,
    /// For a statement that cannot run in a transaction block (CREATE INDEX CONCURRENTLY): an equivalent
    /// that can, run untraced so the statements after it find what it creates.
    pub in_transaction_substitute: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub file: String,
    pub statements: Vec<ScriptStatement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    /// Trace each migration in a rolled-back transaction, then apply it for real so the next one finds
    /// its objects (only in a database dbarch owns: a throwaway cluster).
    ApplyAfterTrace,
    /// Trace all migrations in one transaction and roll it back: nothing is changed. A lock an earlier
    /// statement of the run already holds is not seen again.
    RollBackAll,
}

#[derive(Debug, Clone)]
pub struct ScriptTrace {
    pub file: String,
    /// Per statement (same order as the script's): the trace, or `None` for transaction control.
    pub statements: Vec<(usize, Option<StatementTrace>)>,
    /// ApplyAfterTrace: the error that stopped the migration from applying; the run stops there.
    pub apply_error: Option<String>,
}

/// Trace migrations in order. Errors are the tracer's own (connection lost); a failing statement is
/// part of its trace.
pub fn trace_scripts(
    client: &mut Client,
    scripts: &[Script],
    mode: TraceMode,
) -> Result<Vec<ScriptTrace>, postgres::Error> {
    let mut out = vec![];
    match mode {
        TraceMode::ApplyAfterTrace => {
            for script in scripts {
                let mut tracer = Tracer::begin(client, false)?;
                let statements = trace_statements(&mut tracer, script)?;
                tracer.rollback()?;
                let mut apply_error = None;
                for st in script.statements.iter().filter(|s| !s.transaction_control) {
                    if let Err(e) = client.batch_execute(&st.sql) {
                        apply_error = Some(format!("line {}: {}", st.line, message(&e)));
                        break;
                    }
                }
                let stop = apply_error.is_some();
                out.push(ScriptTrace {
                    file: script.file.clone(),
                    statements,
                    apply_error,
                });
                if stop {
                    break;
                }
            }
        }
        TraceMode::RollBackAll => {
            let mut tracer = Tracer::begin(client, true)?;
            for script in scripts {
                tracer.mark_existing()?;
                let statements = trace_statements(&mut tracer, script)?;
                out.push(ScriptTrace {
                    file: script.file.clone(),
                    statements,
                    apply_error: None,
                });
            }
            tracer.rollback()?;
        }
    }
    Ok(out)
}

fn trace_statements(
    tracer: &mut Tracer,
    script: &Script,
) -> Result<Vec<(usize, Option<StatementTrace>)>, postgres::Error> {
    let mut out = vec![];
    for st in &script.statements {
        if st.transaction_control {
            out.push((st.line, None));
            continue;
        }
        let trace = tracer.trace(&st.sql)?;
        if trace.outcome == Outcome::OutsideTransaction
            && let Some(sub) = &st.in_transaction_substitute
        {
            // Best effort: if the substitute fails, the statements after it report their own errors.
            tracer.client.batch_execute("SAVEPOINT dbarch_substitute")?;
            if tracer.run(sub).is_err() {
                tracer
                    .client
                    .batch_execute("ROLLBACK TO SAVEPOINT dbarch_substitute")?;
            }
            tracer
                .client
                .batch_execute("RELEASE SAVEPOINT dbarch_substitute")?;
        }
        out.push((st.line, Some(trace)));
    }
    Ok(out)
}

fn message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_in_either_spelling() {
        assert!(LockLevel::parse("AccessExclusiveLock") > LockLevel::parse("SHARE ROW EXCLUSIVE"));
        assert_eq!(LockLevel::parse("share"), LockLevel::parse("ShareLock"));
        assert_eq!(
            mode_sql("ShareUpdateExclusiveLock"),
            "SHARE UPDATE EXCLUSIVE"
        );
        assert_eq!(unqualified("public.\"Orders\""), "Orders");
    }
}
