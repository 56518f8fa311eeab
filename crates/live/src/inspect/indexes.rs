//! Indexes: duplicates, unused, invalid, and foreign keys without one.

use dbarch_report::Severity;

use super::*;

/// The same key columns, method, predicate and expressions on one table (one of them is useless), or a
/// key that is a leading prefix of another's (the shorter serves nothing the longer does not).
pub(super) fn duplicate_indexes(cx: &mut Ctx) {
    let sql = format!(
        "WITH idx AS ( \
           SELECT i.indexrelid, i.indrelid, quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, \
                  quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS tbl, \
                  i.indkey::text AS keys, i.indclass::text AS ops, coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs, \
                  coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred, i.indisunique, i.indisprimary, am.amname, \
                  pg_relation_size(i.indexrelid) AS bytes, \
                  EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint_backed \
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam WHERE {USER}) \
         SELECT a.name, b.name, a.tbl, a.bytes, a.keys = b.keys AND a.ops = b.ops \
         FROM idx a JOIN idx b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid \
           AND a.amname = b.amname AND a.pred = b.pred AND a.exprs = b.exprs \
           AND (b.keys = a.keys OR b.keys LIKE a.keys || ' %') \
           AND (b.ops = a.ops OR b.ops LIKE a.ops || ' %') \
         WHERE NOT a.indisprimary AND NOT a.constraint_backed AND NOT (a.indisunique AND a.keys <> b.keys) \
           AND (a.keys <> b.keys OR a.indexrelid > b.indexrelid OR b.constraint_backed) \
         ORDER BY 1"
    );
    let Some(rows) = cx.rows("duplicate indexes", &sql) else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        let (a, b, table, bytes, same) = (s(&r, 0), s(&r, 1), s(&r, 2), i(&r, 3), b(&r, 4));
        if !seen.insert(a.clone()) {
            continue;
        }
        let what = if same {
            "duplicates"
        } else {
            "is a leading prefix of"
        };
        cx.find(
            "IDX001",
            "duplicate-index",
            Severity::Warning,
            &a,
            format!("index {a} on {table} {what} {b}: every search it serves, {b} serves"),
            vec![("size", size(bytes)), ("kept", b.clone())],
            Some(format!("DROP INDEX CONCURRENTLY {a};")),
        );
    }
}

pub(super) fn unused_indexes(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                s.idx_scan, pg_relation_size(i.indexrelid), \
                (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()) \
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid \
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
           AND pg_relation_size(i.indexrelid) > 1024 * 1024 \
         ORDER BY pg_relation_size(i.indexrelid) DESC"
    );
    let Some(rows) = cx.rows("unused indexes", &sql) else {
        return;
    };
    for r in rows {
        let since = r
            .try_get::<_, Option<String>>(4)
            .ok()
            .flatten()
            .unwrap_or_else(|| "the cluster started".into());
        cx.find(
            "DB002",
            "unused-index",
            Severity::Info,
            &s(&r, 0),
            format!(
                "index {} on {} has not been used {}since {since}",
                s(&r, 0),
                s(&r, 1),
                if cx.report.replica {
                    "on this replica "
                } else {
                    ""
                }
            ),
            vec![
                ("scans", i(&r, 2).to_string()),
                ("size", size(i(&r, 3))),
                ("counting since", since.clone()),
            ],
            Some(format!(
                "-- {} (counts are per server)\nDROP INDEX CONCURRENTLY {};",
                if cx.report.replica {
                    "on the primary, once its counts and the other replicas' agree"
                } else {
                    "check replicas and rare jobs first"
                },
                s(&r, 0)
            )),
        );
    }
}

pub(super) fn fk_without_index(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), k.conname, \
                (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY x.ord) FROM unnest(k.conkey) WITH ORDINALITY x(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum), \
                k.confrelid::regclass::text, c.reltuples::int8 \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND {USER} \
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] @> k.conkey \
                 AND (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] <@ k.conkey) \
         ORDER BY 1, 2"
    );
    let Some(rows) = cx.rows("foreign keys without an index", &sql) else {
        return;
    };
    for r in rows {
        let (table, name, cols, target) = (s(&r, 0), s(&r, 1), s(&r, 2), s(&r, 3));
        cx.find(
            "KEY002",
            "fk-without-index",
            Severity::Warning,
            &format!("{table}.{name}"),
            format!("foreign key {name} on {table} ({cols}) has no index: deletes and key updates on {target} scan {table}"),
            vec![("rows", rows_text(i(&r, 4)))],
            Some(format!("CREATE INDEX CONCURRENTLY ON {table} ({cols});")),
        );
    }
}

pub(super) fn invalid_indexes(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND {USER} ORDER BY 1"
    );
    let Some(rows) = cx.rows("invalid indexes", &sql) else {
        return;
    };
    for r in rows {
        let name = s(&r, 0);
        cx.find(
            "DB004",
            "invalid-index",
            Severity::Error,
            &name,
            format!("index {name} on {} is invalid (a failed CREATE INDEX CONCURRENTLY): no query uses it, every write still maintains it", s(&r, 1)),
            vec![("definition", s(&r, 2))],
            Some(format!("DROP INDEX CONCURRENTLY {name};\n-- then fix the cause and create it again\n{};", s(&r, 2).replacen("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1).replacen("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY", 1))),
        );
    }
}
