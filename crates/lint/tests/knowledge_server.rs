//! The knowledge table (`data/locks.toml`) checked against the PostgreSQL server at hand: each row's example
//! runs in a throwaway cluster under the tracer, and the lock the server grants on the row's target, whether
//! the target's storage was rewritten, and whether it was read in full must be what the row says for that
//! server's version. A row that disagrees with the server fails here.

use dbarch_lint::knowledge::Knowledge;
use dbarch_live::{Outcome, Tracer, lock_requested_when_blocked};

fn filenode(client: &mut postgres::Client, relation: &str) -> i64 {
    client
        .query_one(
            "SELECT pg_relation_filenode($1::text::regclass)::bigint",
            &[&relation],
        )
        // A partitioned table has no storage of its own: no filenode.
        .map(|r| r.get::<_, Option<i64>>(0).unwrap_or(0))
        .unwrap_or(0)
}

const BLOCKERS: [&str; 5] = [
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "ACCESS EXCLUSIVE",
];

#[test]
fn knowledge_table_agrees_with_the_server() {
    let cluster = dbarch_testkit::cluster();
    let version = cluster.version();
    let knowledge = Knowledge::builtin();
    assert!(!knowledge.operations.is_empty(), "data/locks.toml parses");
    let mut disagreements = vec![];
    let mut checked = 0;
    for (i, op) in knowledge.operations.iter().enumerate() {
        if op.since.is_some_and(|s| version < s) {
            continue;
        }
        let db = format!("row{i}");
        let mut client = dbarch_testkit::database(&cluster, &db);
        client
            .batch_execute(&knowledge.trace_setup)
            .unwrap_or_else(|e| panic!("setup of the knowledge table fails: {e}"));
        let target = op.target.clone().unwrap_or_else(|| "t".to_string());
        let want_lock = op.lock.sql();
        let want_rewrite = op.rewrite.holds(version);
        let want_scan = op.scan.holds(version);
        let mut tracer = Tracer::begin(&mut client, false).expect("begin");
        let trace = tracer.trace(&op.example).expect("trace");
        let mut got = vec![];
        match &trace.outcome {
            Outcome::Ran => {
                let mode = trace.mode_on(&target).unwrap_or("none").to_string();
                let rewrote = trace.rewritten.iter().any(|r| r == &target);
                let scanned = trace.scanned.iter().any(|r| r == &target);
                got.push(("lock", want_lock.to_string(), mode));
                got.push(("rewrite", want_rewrite.to_string(), rewrote.to_string()));
                if !want_rewrite {
                    got.push(("scan", want_scan.to_string(), scanned.to_string()));
                }
                tracer.rollback().expect("rollback");
            }
            Outcome::OutsideTransaction => {
                // It runs for real: each blocker mode gets a fresh copy of the setup (see
                // lock_requested_when_blocked for why this order finds the strongest lock).
                tracer.rollback().expect("rollback");
                drop(client);
                let mut seen = None;
                let mut rewrote = false;
                for (k, blocker) in BLOCKERS.iter().enumerate() {
                    let copy = format!("row{i}_{k}");
                    let mut c = dbarch_testkit::database(&cluster, &copy);
                    c.batch_execute(&knowledge.trace_setup).expect("setup");
                    let before = filenode(&mut c, &target);
                    let (mode, result) = lock_requested_when_blocked(
                        &cluster.config(&copy),
                        &target,
                        &op.example,
                        blocker,
                    )
                    .expect("blocked trace");
                    if let Err(e) = result {
                        disagreements.push(format!("{}: `{}` fails: {e}", op.id, op.example));
                        break;
                    }
                    rewrote = before != filenode(&mut c, &target);
                    if mode.is_some() {
                        seen = mode;
                        break;
                    }
                }
                got.push(("lock", want_lock.to_string(), seen.unwrap_or_default()));
                got.push(("rewrite", want_rewrite.to_string(), rewrote.to_string()));
            }
            Outcome::Failed(e) => {
                disagreements.push(format!("{}: `{}` fails: {e}", op.id, op.example));
                continue;
            }
        }
        checked += 1;
        for (what, want, got) in got {
            if want != got {
                disagreements.push(format!(
                    "{}: `{}`: {what}: the table says {want}, PostgreSQL {version} did {got} (locks seen: {:?})",
                    op.id,
                    op.example,
                    trace
                        .locks
                        .iter()
                        .map(|l| format!("{} {}", l.mode, l.object))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    for (i, row) in knowledge.no_lock.iter().enumerate() {
        if row.before.is_some_and(|b| version >= b) {
            continue;
        }
        let db = format!("nolock{i}");
        let mut client = dbarch_testkit::database(&cluster, &db);
        client
            .batch_execute(&knowledge.trace_setup)
            .unwrap_or_else(|e| panic!("setup of the knowledge table fails: {e}"));
        let target = row.target.clone().unwrap_or_else(|| "t".to_string());
        let mut tracer = Tracer::begin(&mut client, false).expect("begin");
        let trace = tracer.trace(&row.example).expect("trace");
        match &trace.outcome {
            Outcome::Ran => {
                if let Some(mode) = trace.mode_on(&target) {
                    disagreements.push(format!(
                        "{}: `{}`: the table says no lock on {target}, PostgreSQL {version} took {mode}",
                        row.id, row.example
                    ));
                }
                tracer.rollback().expect("rollback");
            }
            other => disagreements.push(format!(
                "{}: `{}` did not run in a transaction: {other:?}",
                row.id, row.example
            )),
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} rows checked");
    assert!(
        disagreements.is_empty(),
        "rows of crates/lint/data/locks.toml that disagree with the server:\n{}",
        disagreements.join("\n")
    );
}
