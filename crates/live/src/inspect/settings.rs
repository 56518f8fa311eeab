//! Server settings left at defaults.

use dbarch_report::Severity;

use super::*;

pub(super) struct Setting {
    name: String,
    setting: String,
    current: String,
    boot: String,
    source: String,
    /// `pg_settings.context`: `postmaster` settings take effect only after a restart.
    context: String,
}

pub(super) fn settings(cx: &mut Ctx) {
    let sql = "SELECT name, setting, current_setting(name), boot_val, source, context FROM pg_settings \
               WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'maintenance_work_mem')";
    let Some(facts) = cx.read("settings", sql, |r| Setting {
        name: s(r, 0),
        setting: s(r, 1),
        current: s(r, 2),
        boot: s(r, 3),
        source: s(r, 4),
        context: s(r, 5),
    }) else {
        return;
    };
    cx.add(judge_settings(&facts));
}

fn judge_settings(facts: &[Setting]) -> Vec<HealthFinding> {
    let mut out = vec![];
    for x in facts {
        let at_default = x.setting == x.boot && x.source == "default";
        let advice = match x.name.as_str() {
            "shared_buffers" if at_default || x.setting == "16384" => Some(
                "shared_buffers is at its 128 MB default: about 25 % of the server's memory is usual",
            ),
            "work_mem" if at_default => Some(
                "work_mem is at its 4 MB default: sorts and hashes beyond it spill to disk (size it by max_connections and memory)",
            ),
            "effective_cache_size" if at_default => Some(
                "effective_cache_size is at its 4 GB default: set it to about 75 % of memory so the planner knows what the OS caches",
            ),
            "random_page_cost" if x.setting == "4" => Some(
                "random_page_cost is 4, tuned for spinning disks: on SSD or cloud storage 1.1 makes index scans cost what they do",
            ),
            _ => None,
        };
        if let Some(message) = advice {
            out.push(finding(
                "DB023",
                "setting",
                Severity::Info,
                &x.name,
                message.to_string(),
                vec![("current", x.current.clone())],
                // The value depends on the server's memory and workload: advice in words, not SQL.
                Some(format!(
                    "-- ALTER SYSTEM SET {} to a value sized for this server, then {}",
                    x.name,
                    if x.context == "postmaster" {
                        "restart the server (a reload does not apply it)"
                    } else {
                        "SELECT pg_reload_conf()"
                    }
                )),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_judged_without_a_server() {
        let f = judge_settings(&[
            Setting {
                name: "random_page_cost".into(),
                setting: "4".into(),
                current: "4".into(),
                boot: "4".into(),
                source: "default".into(),
                context: "user".into(),
            },
            Setting {
                name: "work_mem".into(),
                setting: "65536".into(),
                current: "64MB".into(),
                boot: "4096".into(),
                source: "configuration file".into(),
                context: "user".into(),
            },
            Setting {
                name: "shared_buffers".into(),
                setting: "16384".into(),
                current: "128MB".into(),
                boot: "16384".into(),
                source: "default".into(),
                context: "postmaster".into(),
            },
        ]);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].object, "random_page_cost");
        assert!(
            f[1].fix
                .as_ref()
                .map(|f| f.sql.as_str())
                .is_some_and(|x| x.starts_with("--") && x.contains("restart"))
        );
    }
}
