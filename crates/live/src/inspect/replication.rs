//! Replication: slots retaining WAL, standbys lagging.

use dbarch_report::Severity;

use super::*;

pub(super) struct Slot {
    name: String,
    kind: String,
    active: bool,
    /// Bytes of WAL it holds back.
    retained: i64,
}

pub(super) fn replication_slots(cx: &mut Ctx) {
    // On a replica the WAL position is the last one received (pg_current_wal_lsn() fails in recovery).
    let sql = format!(
        "SELECT slot_name::text, slot_type, active, pg_wal_lsn_diff({}, restart_lsn)::int8 FROM pg_replication_slots",
        if cx.report.replica {
            "pg_last_wal_receive_lsn()"
        } else {
            "pg_current_wal_lsn()"
        }
    );
    let Some(facts) = cx.read("replication slots", &sql, |r| Slot {
        name: s(r, 0),
        kind: s(r, 1),
        active: b(r, 2),
        retained: i(r, 3),
    }) else {
        return;
    };
    cx.add(judge_slots(&facts));
}

fn judge_slots(facts: &[Slot]) -> Vec<HealthFinding> {
    facts
        .iter()
        .filter(|s| !(s.active && s.retained < 1 << 30))
        .map(|s| {
            let (name, active, retained) = (&s.name, s.active, s.retained);
            finding(
                "DB016",
                "replication-slot",
                if retained > 10 << 30 { Severity::Error } else { Severity::Warning },
                name,
                format!(
                    "replication slot {name} {} and retains {} of WAL: the disk fills until it is consumed or dropped",
                    if active { "lags" } else { "is inactive" },
                    size(retained)
                ),
                vec![("type", s.kind.clone()), ("active", active.to_string()), ("retained WAL", size(retained))],
                Some(format!("SELECT pg_drop_replication_slot({});  -- if its consumer is gone", dbarch_sql::change::literal(name))),
            )
        })
        .collect()
}

/// This replica's replay.
pub(super) struct Replay {
    paused: bool,
    /// Bytes received and not replayed yet.
    waiting: i64,
    /// Seconds since the last replayed transaction.
    age: f64,
}

/// A standby as its primary sees it.
pub(super) struct Standby {
    name: String,
    state: String,
    lag: f64,
    behind: i64,
}

/// Replication lag. On a primary: each standby in pg_stat_replication not streaming, or replaying more
/// than `replication_lag_s` behind (or a gigabyte of WAL). On a replica: replay paused, or received WAL
/// waiting to be replayed for longer than that.
pub(super) fn replication_lag(cx: &mut Ctx) {
    let limit = cx.limits.replication_lag_s;
    if cx.report.replica {
        let sql = "SELECT pg_is_wal_replay_paused(), \
                   coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::int8, \
                   coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8";
        let Some(facts) = cx.read("replication lag", sql, |r| Replay {
            paused: b(r, 0),
            waiting: i(r, 1),
            age: f(r, 2),
        }) else {
            return;
        };
        if let Some(r) = facts.first() {
            cx.add(judge_replay(r, limit));
        }
        return;
    }
    let sql = "SELECT coalesce(application_name, '') || coalesce(' (' || client_addr::text || ')', ''), state, \
               coalesce(extract(epoch FROM replay_lag), 0)::float8, \
               coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::int8 \
               FROM pg_stat_replication";
    let Some(facts) = cx.read("replication lag", sql, |r| Standby {
        name: s(r, 0),
        state: s(r, 1),
        lag: f(r, 2),
        behind: i(r, 3),
    }) else {
        return;
    };
    cx.add(judge_standbys(&facts, limit));
}

fn judge_replay(r: &Replay, limit: f64) -> Vec<HealthFinding> {
    let (paused, waiting, age) = (r.paused, r.waiting, r.age);
    if !(paused || (waiting > 0 && age > limit)) {
        return vec![];
    }
    vec![finding(
        "DB026",
        "replication-lag",
        Severity::Warning,
        "this replica",
        if paused {
            "WAL replay is paused on this replica: it serves ever older data".to_string()
        } else {
            format!("this replica replays {age:.0} s behind: reads see old data")
        },
        vec![
            ("replay paused", paused.to_string()),
            ("received, not replayed", size(waiting)),
            ("last replayed transaction", format!("{age:.0} s ago")),
        ],
        paused.then(|| "SELECT pg_wal_replay_resume();".to_string()),
    )]
}

fn judge_standbys(facts: &[Standby], limit: f64) -> Vec<HealthFinding> {
    facts
        .iter()
        .filter(|s| !(s.state == "streaming" && s.lag < limit && s.behind < 1 << 30))
        .map(|s| {
            let (name, state, lag, behind) = (&s.name, &s.state, s.lag, s.behind);
            finding(
                "DB026",
                "replication-lag",
                if lag > limit * 10.0 || behind > 10 << 30 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                &format!("standby {name}"),
                format!(
                    "standby {name} is {state}, {lag:.0} s and {} of WAL behind: failover would lose or wait for that much",
                    size(behind)
                ),
                vec![
                    ("state", state.clone()),
                    ("replay lag", format!("{lag:.1} s")),
                    ("WAL behind", size(behind)),
                ],
                None,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_is_judged_without_a_server() {
        let slots = judge_slots(&[
            Slot {
                name: "gone's".into(),
                kind: "logical".into(),
                active: false,
                retained: 1 << 20,
            },
            Slot {
                name: "fine".into(),
                kind: "physical".into(),
                active: true,
                retained: 1 << 20,
            },
        ]);
        assert_eq!(slots.len(), 1);
        assert!(
            slots[0]
                .fix
                .as_ref()
                .map(|f| f.sql.as_str())
                .is_some_and(|f| f.starts_with("SELECT pg_drop_replication_slot('gone''s');"))
        );
        assert!(
            judge_replay(
                &Replay {
                    paused: false,
                    waiting: 0,
                    age: 1e6
                },
                60.0
            )
            .is_empty()
        );
        assert_eq!(
            judge_replay(
                &Replay {
                    paused: true,
                    waiting: 0,
                    age: 0.0
                },
                60.0
            )
            .len(),
            1
        );
        let s = judge_standbys(
            &[Standby {
                name: "b".into(),
                state: "catchup".into(),
                lag: 1.0,
                behind: 0,
            }],
            60.0,
        );
        assert_eq!(s.len(), 1);
    }
}
