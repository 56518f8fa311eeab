//! Tables and sequences: constraints not validated, tables without a key, sequences near their maximum.

use dbarch_report::Severity;

use super::*;

pub(super) fn not_valid_constraints(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname), k.contype::text \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT k.convalidated AND {USER} ORDER BY 1, 2"
    );
    let Some(rows) = cx.rows("NOT VALID constraints", &sql) else {
        return;
    };
    for r in rows {
        let (table, name) = (s(&r, 0), s(&r, 1));
        cx.find(
            "DB005",
            "not-valid-constraint",
            Severity::Warning,
            &format!("{table}.{name}"),
            format!("constraint {name} on {table} is NOT VALID: existing rows were never checked"),
            vec![("type", s(&r, 2))],
            Some(format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name};  -- SHARE UPDATE EXCLUSIVE: reads and writes go on")),
        );
    }
}

pub(super) fn tables_without_key(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.reltuples::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') ORDER BY 1"
    );
    let Some(rows) = cx.rows("tables without a primary key", &sql) else {
        return;
    };
    for r in rows {
        let t = s(&r, 0);
        cx.find(
            "KEY001",
            "table-without-primary-key",
            Severity::Warning,
            &t,
            format!("table {t} has no primary key: rows cannot be addressed, logical replication cannot update or delete them"),
            vec![("rows", rows_text(i(&r, 1)))],
            Some(format!("ALTER TABLE {t} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;  -- or a natural key")),
        );
    }
}

pub(super) fn sequences_near_max(cx: &mut Ctx) {
    // A sequence near its own maximum, or feeding an integer column near the column type's maximum.
    let sql = "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename), s.last_value, s.max_value, \
                (SELECT format_type(a.atttypid, NULL) || ' ' || quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) \
                   FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                  WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) \
         FROM pg_sequences s WHERE s.last_value IS NOT NULL ORDER BY 1".to_string();
    let Some(rows) = cx.rows("sequences near their maximum", &sql) else {
        return;
    };
    for r in rows {
        let (name, last, max) = (s(&r, 0), i(&r, 1), i(&r, 2));
        let owner = s(&r, 3);
        let column_max = match owner.split(' ').next() {
            Some("integer") => 2_147_483_647,
            Some("smallint") => 32_767,
            _ => i64::MAX,
        };
        let limit = max.min(column_max);
        let used = last as f64 / limit as f64;
        if used < cx.limits.sequence_used {
            continue;
        }
        let column = owner.split_once(' ').map(|(_, c)| c.to_string());
        let severity = if used > 0.9 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let fix = match (&column, column_max < max) {
            (Some(col), true) => {
                let (table, col_name) = col.rsplit_once('.').unwrap_or((col.as_str(), ""));
                format!(
                    "ALTER TABLE {table} ALTER COLUMN {col_name} TYPE bigint;  -- rewrites the table: plan it (new column + backfill + swap on big tables)\nALTER SEQUENCE {name} AS bigint;"
                )
            }
            _ => format!("ALTER SEQUENCE {name} AS bigint MAXVALUE 9223372036854775807;"),
        };
        cx.find(
            "DB010",
            "sequence-near-max",
            severity,
            &name,
            format!(
                "sequence {name} has used {:.0} % of its range{}",
                used * 100.0,
                column
                    .as_ref()
                    .map(|c| format!(" (it feeds {c})"))
                    .unwrap_or_default()
            ),
            vec![
                ("last value", last.to_string()),
                ("maximum", limit.to_string()),
            ],
            Some(fix),
        );
    }
}
