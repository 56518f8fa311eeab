//! Server settings left at defaults.

use dbarch_report::Severity;

use super::*;

pub(super) fn settings(cx: &mut Ctx) {
    let sql = "SELECT name, setting, current_setting(name), boot_val, source FROM pg_settings \
               WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'maintenance_work_mem')";
    let Some(rows) = cx.rows("settings", sql) else {
        return;
    };
    for r in rows {
        let (name, setting, boot, source) = (s(&r, 0), s(&r, 1), s(&r, 3), s(&r, 4));
        let at_default = setting == boot && source == "default";
        let advice = match name.as_str() {
            "shared_buffers" if at_default || setting == "16384" => Some(
                "shared_buffers is at its 128 MB default: about 25 % of the server's memory is usual",
            ),
            "work_mem" if at_default => Some(
                "work_mem is at its 4 MB default: sorts and hashes beyond it spill to disk (size it by max_connections and memory)",
            ),
            "effective_cache_size" if at_default => Some(
                "effective_cache_size is at its 4 GB default: set it to about 75 % of memory so the planner knows what the OS caches",
            ),
            "random_page_cost" if setting == "4" => Some(
                "random_page_cost is 4, tuned for spinning disks: on SSD or cloud storage 1.1 makes index scans cost what they do",
            ),
            _ => None,
        };
        if let Some(message) = advice {
            cx.find(
                "DB023",
                "setting",
                Severity::Info,
                &name,
                message.to_string(),
                vec![("current", s(&r, 2))],
                Some(format!(
                    "ALTER SYSTEM SET {name} = '...'; SELECT pg_reload_conf();"
                )),
            );
        }
    }
}
