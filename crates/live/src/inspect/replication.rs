//! Replication: slots retaining WAL, standbys lagging.

use dbarch_report::Severity;

use super::*;

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
    let sql = sql.as_str();
    let Some(rows) = cx.rows("replication slots", sql) else {
        return;
    };
    for r in rows {
        let active = b(&r, 2);
        let retained = i(&r, 3);
        if active && retained < 1 << 30 {
            continue;
        }
        let name = s(&r, 0);
        cx.find(
            "DB016",
            "replication-slot",
            if retained > 10 << 30 { Severity::Error } else { Severity::Warning },
            &name,
            format!(
                "replication slot {name} {} and retains {} of WAL: the disk fills until it is consumed or dropped",
                if active { "lags" } else { "is inactive" },
                size(retained)
            ),
            vec![("type", s(&r, 1)), ("active", active.to_string()), ("retained WAL", size(retained))],
            Some(format!("SELECT pg_drop_replication_slot('{}');  -- if its consumer is gone", name.replace('\'', "''"))),
        );
    }
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
        let Some(rows) = cx.rows("replication lag", sql) else {
            return;
        };
        let Some(r) = rows.first() else { return };
        let paused: bool = r.try_get(0).unwrap_or(false);
        let (waiting, age) = (i(r, 1), f(r, 2));
        if paused || (waiting > 0 && age > limit) {
            cx.find(
                "DB026",
                "replication-lag",
                Severity::Warning,
                "this replica",
                if paused {
                    "WAL replay is paused on this replica: it serves ever older data".to_string()
                } else {
                    format!(
                        "this replica replays {:.0} s behind: reads see old data",
                        age
                    )
                },
                vec![
                    ("replay paused", paused.to_string()),
                    ("received, not replayed", size(waiting)),
                    ("last replayed transaction", format!("{age:.0} s ago")),
                ],
                paused.then(|| "SELECT pg_wal_replay_resume();".to_string()),
            );
        }
        return;
    }
    let sql = "SELECT coalesce(application_name, '') || coalesce(' (' || client_addr::text || ')', ''), state, \
               coalesce(extract(epoch FROM replay_lag), 0)::float8, \
               coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::int8 \
               FROM pg_stat_replication";
    let Some(rows) = cx.rows("replication lag", sql) else {
        return;
    };
    for r in rows {
        let (name, state, lag, behind) = (s(&r, 0), s(&r, 1), f(&r, 2), i(&r, 3));
        if state == "streaming" && lag < limit && behind < 1 << 30 {
            continue;
        }
        cx.find(
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
        );
    }
}
