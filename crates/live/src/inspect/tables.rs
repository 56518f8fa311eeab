//! Tables and sequences: constraints not validated, tables without a key, sequences near their maximum.

use dbarch_report::Severity;

use super::*;

pub(super) struct NotValidConstraint {
    table: QualifiedName,
    name: String,
    kind: String,
}

pub(super) fn not_valid_constraints(cx: &mut Ctx) {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, k.conname::text, k.contype::text \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT k.convalidated AND {USER} ORDER BY quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname)"
    );
    let Some(facts) = cx.read("NOT VALID constraints", &sql, |r| NotValidConstraint {
        table: relation(r, 0),
        name: s(r, 2),
        kind: s(r, 3),
    }) else {
        return;
    };
    cx.add(judge_not_valid(&facts));
}

fn judge_not_valid(facts: &[NotValidConstraint]) -> Vec<HealthFinding> {
    use dbarch_sql::change::AlterTable;
    facts
        .iter()
        .map(|k| {
            let (table, name) = (dotted(&k.table), dbarch_sql::expr::quote_ident(&k.name));
            let validate = dbarch_catalog::make::alter(
                &k.table,
                vec![AlterTable::ValidateConstraint(k.name.clone())],
            );
            finding(
                "DB005",
                "not-valid-constraint",
                Severity::Warning,
                &format!("{table}.{name}"),
                format!(
                    "constraint {name} on {table} is NOT VALID: existing rows were never checked"
                ),
                vec![("type", k.kind.clone())],
                fix(&[validate])
                    .map(|sql| format!("{sql}  -- SHARE UPDATE EXCLUSIVE: reads and writes go on")),
            )
        })
        .collect()
}

pub(super) struct KeylessTable {
    table: QualifiedName,
    rows: i64,
}

pub(super) fn tables_without_key(cx: &mut Ctx) {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, c.reltuples::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') \
         ORDER BY quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
    );
    let Some(facts) = cx.read("tables without a primary key", &sql, |r| KeylessTable {
        table: relation(r, 0),
        rows: i(r, 2),
    }) else {
        return;
    };
    cx.add(judge_keyless(&facts));
}

fn judge_keyless(facts: &[KeylessTable]) -> Vec<HealthFinding> {
    use dbarch_sql::change::{
        AlterTable, ColumnConstraint, ColumnDef, ConstraintDef, ConstraintDefKind, DataType,
        Identity,
    };
    facts
        .iter()
        .map(|k| {
            let t = dotted(&k.table);
            let id = ColumnDef {
                name: "id".into(),
                at: Default::default(),
                data_type: Some(DataType::simple("bigint")),
                serial: false,
                collation: None,
                constraints: vec![
                    ColumnConstraint::Identity(Identity::Always),
                    ColumnConstraint::Constraint(ConstraintDef {
                        name: None,
                        at: Default::default(),
                        kind: ConstraintDefKind::PrimaryKey {
                            columns: vec![],
                            include: vec![],
                        },
                        deferrable: false,
                        initially_deferred: false,
                        not_valid: false,
                        using_index: None,
                    }),
                ],
            };
            let add = dbarch_catalog::make::alter(
                &k.table,
                vec![AlterTable::AddColumn {
                    column: id,
                    if_not_exists: false,
                }],
            );
            finding(
                "KEY001",
                "table-without-primary-key",
                Severity::Warning,
                &t,
                format!("table {t} has no primary key: rows cannot be addressed, logical replication cannot update or delete them"),
                vec![("rows", rows_text(k.rows))],
                fix(&[add]).map(|sql| format!("{sql}  -- or a natural key")),
            )
        })
        .collect()
}

pub(super) struct SequenceUse {
    sequence: QualifiedName,
    last: i64,
    max: i64,
    /// The integer column it feeds: its type, and the table and column.
    column: Option<(String, QualifiedName, String)>,
}

pub(super) fn sequences_near_max(cx: &mut Ctx) {
    // A sequence near its own maximum, or feeding an integer column near the column type's maximum.
    let sql = "SELECT s.schemaname::text, s.sequencename::text, s.last_value, s.max_value, o.typ, o.schema, o.tbl, o.col \
         FROM pg_sequences s LEFT JOIN LATERAL ( \
             SELECT format_type(a.atttypid, NULL) AS typ, tn.nspname::text AS schema, t.relname::text AS tbl, a.attname::text AS col \
               FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
              WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) o ON true \
         WHERE s.last_value IS NOT NULL ORDER BY quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename)";
    let Some(facts) = cx.read("sequences near their maximum", sql, |r| SequenceUse {
        sequence: relation(r, 0),
        last: i(r, 2),
        max: i(r, 3),
        column: r
            .try_get::<_, Option<String>>(4)
            .ok()
            .flatten()
            .map(|typ| (typ, relation(r, 5), s(r, 7))),
    }) else {
        return;
    };
    let limit = cx.limits.sequence_used;
    cx.add(judge_sequences(&facts, limit));
}

fn judge_sequences(facts: &[SequenceUse], threshold: f64) -> Vec<HealthFinding> {
    use dbarch_sql::change::{AlterTable, DataType, SequenceOptions};
    let mut out = vec![];
    for q in facts {
        let column_max = match q.column.as_ref().map(|c| c.0.as_str()) {
            Some("integer") => 2_147_483_647,
            Some("smallint") => 32_767,
            _ => i64::MAX,
        };
        let limit = q.max.min(column_max);
        let used = q.last as f64 / limit as f64;
        if used < threshold {
            continue;
        }
        let name = dotted(&q.sequence);
        let feeds = q
            .column
            .as_ref()
            .map(|(_, t, c)| format!("{}.{}", dotted(t), dbarch_sql::expr::quote_ident(c)));
        let severity = if used > 0.9 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let bigint = DataType::simple("bigint");
        let sequence_as = |max_value| SchemaChange::AlterSequence {
            name: dbarch_catalog::make::name(&q.sequence),
            options: SequenceOptions {
                data_type: Some(bigint.clone()),
                owned_by: None,
                max_value,
            },
        };
        let fix = match &q.column {
            Some((_, table, column)) if column_max < q.max => {
                let retype = dbarch_catalog::make::alter(
                    table,
                    vec![AlterTable::AlterColumnType {
                        column: column.clone(),
                        data_type: bigint.clone(),
                        using: None,
                    }],
                );
                fix(&[retype]).zip(fix(&[sequence_as(None)])).map(|(retype, sequence)| {
                    format!("{retype}  -- rewrites the table: plan it (new column + backfill + swap on big tables)\n{sequence}")
                })
            }
            _ => fix(&[sequence_as(Some(i64::MAX))]),
        };
        out.push(finding(
            "DB010",
            "sequence-near-max",
            severity,
            &name,
            format!(
                "sequence {name} has used {:.0} % of its range{}",
                used * 100.0,
                feeds
                    .as_ref()
                    .map(|c| format!(" (it feeds {c})"))
                    .unwrap_or_default()
            ),
            vec![
                ("last value", q.last.to_string()),
                ("maximum", limit.to_string()),
            ],
            fix,
        ));
    }
    out
}
