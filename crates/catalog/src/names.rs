//! Default object names, as PostgreSQL makes them.

/// PostgreSQL's default name for a constraint or index: `table_col1_col2_suffix`, truncated to 63 bytes.
pub fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut parts = vec![table.to_string()];
    parts.extend(columns.iter().cloned());
    let mut base = parts.join("_");
    let max = 63 - suffix.len() - 1;
    if base.len() > max {
        let mut cut = max;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base.truncate(cut);
    }
    if suffix.is_empty() {
        base
    } else {
        format!("{base}_{suffix}")
    }
}
