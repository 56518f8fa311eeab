//! Indexes: duplicates, unused, invalid, and foreign keys without one.

use dbarch_catalog::make;
use dbarch_report::Severity;
use dbarch_sql::change::{CreateIndex, SchemaChange};

use super::*;

/// An index that serves nothing another does not: the same keys, or a leading prefix of its keys.
pub(super) struct DuplicateIndex {
    index: QualifiedName,
    kept: QualifiedName,
    table: QualifiedName,
    bytes: i64,
    /// The same keys (not a prefix).
    same: bool,
}

/// The same key columns, method, predicate and expressions on one table (one of them is useless), or a
/// key that is a leading prefix of another's (the shorter serves nothing the longer does not).
pub(super) fn duplicate_indexes(cx: &mut Ctx) {
    let sql = format!(
        "WITH idx AS ( \
           SELECT i.indexrelid, i.indrelid, n.nspname::text AS schema, ic.relname::text AS name, c.relname::text AS tbl, \
                  i.indkey::text AS keys, i.indclass::text AS ops, coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs, \
                  coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred, i.indisunique, i.indisprimary, am.amname, \
                  pg_relation_size(i.indexrelid) AS bytes, \
                  EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint_backed \
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam WHERE {USER}) \
         SELECT a.schema, a.name, b.schema, b.name, a.schema, a.tbl, a.bytes, a.keys = b.keys AND a.ops = b.ops \
         FROM idx a JOIN idx b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid \
           AND a.amname = b.amname AND a.pred = b.pred AND a.exprs = b.exprs \
           AND (b.keys = a.keys OR b.keys LIKE a.keys || ' %') \
           AND (b.ops = a.ops OR b.ops LIKE a.ops || ' %') \
         WHERE NOT a.indisprimary AND NOT a.constraint_backed AND NOT (a.indisunique AND a.keys <> b.keys) \
           AND (a.keys <> b.keys OR a.indexrelid > b.indexrelid OR b.constraint_backed) \
         ORDER BY quote_ident(a.schema) || '.' || quote_ident(a.name)"
    );
    let Some(facts) = cx.read("duplicate indexes", &sql, |r| DuplicateIndex {
        index: relation(r, 0),
        kept: relation(r, 2),
        table: relation(r, 4),
        bytes: i(r, 6),
        same: b(r, 7),
    }) else {
        return;
    };
    cx.add(judge_duplicates(&facts));
}

fn judge_duplicates(facts: &[DuplicateIndex]) -> Vec<HealthFinding> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = vec![];
    for d in facts {
        let (a, b) = (dotted(&d.index), dotted(&d.kept));
        if !seen.insert(a.clone()) {
            continue;
        }
        let what = if d.same {
            "duplicates"
        } else {
            "is a leading prefix of"
        };
        out.push(finding(
            "IDX001",
            "duplicate-index",
            Severity::Warning,
            &a,
            format!(
                "index {a} on {} {what} {b}: every search it serves, {b} serves",
                dotted(&d.table)
            ),
            vec![("size", size(d.bytes)), ("kept", b.clone())],
            fix(&[make::drop_index_concurrently(&d.index)]),
        ));
    }
    out
}

pub(super) struct UnusedIndex {
    index: QualifiedName,
    table: QualifiedName,
    scans: i64,
    bytes: i64,
    /// When the counts were last reset.
    since: Option<String>,
}

pub(super) fn unused_indexes(cx: &mut Ctx) {
    // Counters that cover too short a time say nothing about monthly jobs or rare reports.
    let age_sql = "SELECT coalesce(stats_reset, pg_postmaster_start_time())::text, \
                   (extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time())) / 86400)::float8 \
                   FROM pg_stat_database WHERE datname = current_database()";
    let Some(age) = cx.read("unused indexes", age_sql, |r| (s(r, 0), f(r, 1))) else {
        return;
    };
    if let Some((since, days)) = age.first()
        && *days < cx.limits.unused_index_days
    {
        cx.report.skipped.push(SkippedCheck {
            check: "unused indexes".into(),
            reason: format!(
                "the index counters only go back to {since} ({days:.1} days): an index is judged unused after {} days (`unused-index-min-days`)",
                cx.limits.unused_index_days
            ),
        });
        return;
    }
    let sql = format!(
        "SELECT n.nspname::text, ic.relname::text, n.nspname::text, c.relname::text, \
                s.idx_scan, pg_relation_size(i.indexrelid), \
                (SELECT coalesce(stats_reset, pg_postmaster_start_time())::text FROM pg_stat_database WHERE datname = current_database()) \
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid \
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid = i.indrelid \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] @> k.conkey \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] <@ k.conkey) \
           AND pg_relation_size(i.indexrelid) > 1024 * 1024 \
         ORDER BY pg_relation_size(i.indexrelid) DESC"
    );
    let Some(facts) = cx.read("unused indexes", &sql, |r| UnusedIndex {
        index: relation(r, 0),
        table: relation(r, 2),
        scans: i(r, 4),
        bytes: i(r, 5),
        since: r.try_get::<_, Option<String>>(6).ok().flatten(),
    }) else {
        return;
    };
    let replica = cx.report.replica;
    cx.add(judge_unused(&facts, replica));
}

fn judge_unused(facts: &[UnusedIndex], replica: bool) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|u| {
            let since = u
                .since
                .clone()
                .unwrap_or_else(|| "the cluster started".into());
            let name = dotted(&u.index);
            finding(
                "DB002",
                "unused-index",
                Severity::Info,
                &name,
                format!(
                    "index {name} on {} has not been used {}since {since}",
                    dotted(&u.table),
                    if replica { "on this replica " } else { "" }
                ),
                vec![
                    ("scans", u.scans.to_string()),
                    ("size", size(u.bytes)),
                    ("counting since", since.clone()),
                ],
                fix(&[make::drop_index_concurrently(&u.index)]).map(|sql| {
                    format!(
                        "-- {} (counts are per server)\n{sql}",
                        if replica {
                            "on the primary, once its counts and the other replicas' agree"
                        } else {
                            "check replicas and rare jobs first"
                        }
                    )
                }),
            )
        })
        .collect()
}

pub(super) struct UnindexedForeignKey {
    table: QualifiedName,
    name: String,
    columns: Vec<String>,
    /// The referenced table, as the server names it.
    target: String,
    rows: i64,
    /// The predicates of the partial indexes led by the key's columns.
    partial: Vec<String>,
    /// On a partitioned table: its leaf partitions, each with its plain btree indexes (name, key
    /// columns).
    partitions: Option<Vec<Partition>>,
}

#[derive(Clone)]
pub(super) struct Partition {
    name: QualifiedName,
    indexes: Vec<(String, Vec<String>)>,
}

pub(super) fn fk_without_index(cx: &mut Ctx) {
    // The index's leading columns are the key's, in any order.
    const LEADS: &str = "AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] @> k.conkey \
                         AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] <@ k.conkey";
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, k.conname::text, \
                (SELECT array_agg(a.attname::text ORDER BY x.ord) FROM unnest(k.conkey) WITH ORDINALITY x(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum), \
                k.confrelid::regclass::text, c.reltuples::int8, \
                (SELECT array_agg(pg_get_expr(i.indpred, i.indrelid)) FROM pg_index i WHERE i.indrelid = k.conrelid \
                 AND i.indpred IS NOT NULL {LEADS}), \
                c.relkind = 'p' \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND k.conparentid = 0 AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND i.indpred IS NULL {LEADS}) \
         ORDER BY quote_ident(n.nspname) || '.' || quote_ident(c.relname), 3"
    );
    let Some(facts) = cx.read("foreign keys without an index", &sql, |r| {
        UnindexedForeignKey {
            table: relation(r, 0),
            name: s(r, 2),
            columns: r
                .try_get::<_, Option<Vec<String>>>(3)
                .ok()
                .flatten()
                .unwrap_or_default(),
            target: s(r, 4),
            rows: i(r, 5),
            partial: r
                .try_get::<_, Option<Vec<String>>>(6)
                .ok()
                .flatten()
                .unwrap_or_default(),
            partitions: b(r, 7).then(Vec::new),
        }
    }) else {
        return;
    };
    let mut facts = facts;
    if facts.iter().any(|k| k.partitions.is_some()) {
        let leaves = partition_indexes(cx);
        for k in &mut facts {
            if let Some(p) = &mut k.partitions {
                *p = leaves.get(&k.table).cloned().unwrap_or_default();
            }
        }
    }
    cx.add(judge_unindexed_fks(&facts));
}

/// The leaf partitions of each partitioned table, with their plain btree indexes (no predicate, no
/// expression, not unique) and those indexes' key columns.
fn partition_indexes(cx: &mut Ctx) -> std::collections::HashMap<QualifiedName, Vec<Partition>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, pn.nspname::text, pc.relname::text, ic.relname::text, \
                (SELECT array_agg(a.attname::text ORDER BY x.ord) \
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY x(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.attnum) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         CROSS JOIN LATERAL pg_partition_tree(c.oid) t \
         JOIN pg_class pc ON pc.oid = t.relid JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
         LEFT JOIN pg_index i ON i.indrelid = pc.oid AND i.indpred IS NULL AND i.indexprs IS NULL \
              AND NOT i.indisunique AND i.indnkeyatts = i.indnatts \
              AND (SELECT amname FROM pg_am m JOIN pg_class x ON x.relam = m.oid WHERE x.oid = i.indexrelid) = 'btree' \
         LEFT JOIN pg_class ic ON ic.oid = i.indexrelid \
         WHERE c.relkind = 'p' AND NOT c.relispartition AND t.isleaf AND {USER} \
         ORDER BY 1, 2, 3, 4, 5"
    );
    let mut out: std::collections::HashMap<QualifiedName, Vec<Partition>> = Default::default();
    let Some(rows) = cx.read("indexes of partitions", &sql, |r| {
        let index = r.try_get::<_, Option<String>>(4).ok().flatten();
        let columns = r
            .try_get::<_, Option<Vec<String>>>(5)
            .ok()
            .flatten()
            .unwrap_or_default();
        (relation(r, 0), relation(r, 2), index.map(|i| (i, columns)))
    }) else {
        return out;
    };
    for (parent, partition, index) in rows {
        let parts = out.entry(parent).or_default();
        if parts.last().is_none_or(|p| p.name != partition) {
            parts.push(Partition {
                name: partition,
                indexes: vec![],
            });
        }
        if let (Some(p), Some(i)) = (parts.last_mut(), index) {
            p.indexes.push(i);
        }
    }
    out
}

fn judge_unindexed_fks(facts: &[UnindexedForeignKey]) -> Vec<HealthFinding> {
    // A partial index that leaves out only rows with a NULL in the key serves its checks.
    let served = |k: &UnindexedForeignKey| {
        k.partial.iter().any(|p| {
            let terms = dbarch_sql::expr::not_null_terms(p);
            terms.only && terms.columns.iter().all(|c| k.columns.contains(c))
        })
    };
    // A partitioned table whose every partition has an index led by the key: its checks are served.
    let leads = |cols: &[String], key: &[String]| {
        cols.len() >= key.len() && key.iter().all(|c| cols[..key.len()].contains(c))
    };
    let partitions_served = |k: &UnindexedForeignKey| {
        k.partitions.as_ref().is_some_and(|ps| {
            !ps.is_empty()
                && ps
                    .iter()
                    .all(|p| p.indexes.iter().any(|(_, cols)| leads(cols, &k.columns)))
        })
    };
    facts
        .iter()
        .filter(|k| !served(k) && !partitions_served(k))
        .map(|k| {
            let (table, name, target) = (dotted(&k.table), &k.name, &k.target);
            let cols = k
                .columns
                .iter()
                .map(|c| dbarch_sql::expr::quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            // PostgreSQL builds no index CONCURRENTLY on a partitioned table: ON ONLY the parent, each
            // partition's CONCURRENTLY (or one it has on exactly these columns), attached.
            let changes = match &k.partitions {
                Some(ps) => make::index_on_partitions(
                    &k.table,
                    &dbarch_catalog::default_name(&k.table.name, &k.columns, "idx"),
                    &k.columns,
                    &ps.iter()
                        .map(|p| {
                            let own = p.indexes.iter().find(|(_, c)| c == &k.columns);
                            (p.name.clone(), own.map(|(n, _)| n.clone()))
                        })
                        .collect::<Vec<_>>(),
                ),
                None => vec![SchemaChange::CreateIndex(CreateIndex {
                    concurrently: true,
                    ..CreateIndex::on_columns(make::name(&k.table), None, &k.columns)
                })],
            };
            finding(
                "KEY002",
                "fk-without-index",
                Severity::Warning,
                &format!("{table}.{name}"),
                format!("foreign key {name} on {table} ({cols}) has no index: deletes and key updates on {target} scan {table}"),
                vec![("rows", rows_text(k.rows))],
                fix(&changes),
            )
        })
        .collect()
}

pub(super) struct InvalidIndex {
    index: QualifiedName,
    table: QualifiedName,
    /// `pg_get_indexdef`.
    definition: String,
}

pub(super) fn invalid_indexes(cx: &mut Ctx) {
    let sql = format!(
        "SELECT n.nspname::text, ic.relname::text, n.nspname::text, c.relname::text, pg_get_indexdef(i.indexrelid) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND {USER} ORDER BY quote_ident(n.nspname) || '.' || quote_ident(ic.relname)"
    );
    let Some(facts) = cx.read("invalid indexes", &sql, |r| InvalidIndex {
        index: relation(r, 0),
        table: relation(r, 2),
        definition: s(r, 4),
    }) else {
        return;
    };
    cx.add(judge_invalid(&facts));
}

fn judge_invalid(facts: &[InvalidIndex]) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|x| {
            let name = dotted(&x.index);
            // The index built again as the server defines it, concurrently: its definition lowered and
            // written back by the emitter.
            let again = lowered_index(&x.definition);
            // Building it again fails until the cause (duplicate keys, a deadlock, a cancel) is dealt
            // with: that statement is given as a comment, not as part of the fix.
            let fix = fix(&[make::drop_index_concurrently(&x.index)]).map(|drop| match again.and_then(|a| fix(&[a])) {
                Some(create) => format!("{drop}\n-- then fix the cause and build it again: {create}"),
                None => drop,
            });
            finding(
                "DB004",
                "invalid-index",
                Severity::Error,
                &name,
                format!("index {name} on {} is invalid (a failed CREATE INDEX CONCURRENTLY): no query uses it, every write still maintains it", dotted(&x.table)),
                vec![("definition", x.definition.clone())],
                fix,
            )
        })
        .collect()
}

/// The `CREATE INDEX` of an index definition (`pg_get_indexdef`), made CONCURRENTLY.
fn lowered_index(definition: &str) -> Option<SchemaChange> {
    let mut sources = dbarch_sql::SourceMap::new();
    let file = sources.add("pg_get_indexdef", definition.to_string());
    let parsed = dbarch_sql::parse_file(&file).ok()?;
    let [stmt] = parsed.statements.as_slice() else {
        return None;
    };
    let mut lowered = dbarch_sql::change::lower(stmt).changes;
    match lowered.as_mut_slice() {
        [SchemaChange::CreateIndex(i)] => {
            i.concurrently = true;
            lowered.pop()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str, n: &str) -> QualifiedName {
        QualifiedName::new(s, n)
    }

    #[test]
    fn judged_fixes_are_written_by_the_emitter() {
        let d = judge_duplicates(&[DuplicateIndex {
            index: q("app", "Orders_idx"),
            kept: q("app", "orders_user_id_idx"),
            table: q("app", "orders"),
            bytes: 1 << 20,
            same: true,
        }]);
        assert_eq!(d[0].object, "app.\"Orders_idx\"");
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("DROP INDEX CONCURRENTLY app.\"Orders_idx\";")
        );
        let k = judge_unindexed_fks(&[UnindexedForeignKey {
            table: q("public", "order items"),
            name: "fk".into(),
            columns: vec!["order_id".into(), "Line".into()],
            target: "orders".into(),
            rows: 10,
            partial: vec![
                "(\"Line\" > 0)".into(),
                "(order_id IS NOT NULL AND other IS NOT NULL)".into(),
            ],
            partitions: None,
        }]);
        assert_eq!(
            k[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "CREATE INDEX CONCURRENTLY ON public.\"order items\" USING btree (order_id, \"Line\");"
            )
        );
        let served = judge_unindexed_fks(&[UnindexedForeignKey {
            table: q("public", "notes"),
            name: "fk".into(),
            columns: vec!["user_id".into()],
            target: "users".into(),
            rows: 10,
            partial: vec!["(user_id IS NOT NULL)".into()],
            partitions: None,
        }]);
        assert!(
            served.is_empty(),
            "a partial index WHERE key IS NOT NULL serves the key"
        );
        let x = judge_invalid(&[InvalidIndex {
            index: q("public", "t_a_idx"),
            table: q("public", "t"),
            definition: "CREATE UNIQUE INDEX t_a_idx ON public.t USING btree (a) WHERE (a > 0)"
                .into(),
        }]);
        assert_eq!(
            x[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "DROP INDEX CONCURRENTLY public.t_a_idx;\n-- then fix the cause and build it again: \
                 CREATE UNIQUE INDEX CONCURRENTLY t_a_idx ON public.t USING btree (a) WHERE a > 0;"
            )
        );
    }
}
