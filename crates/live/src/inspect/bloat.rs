//! Bloat of tables and B-tree indexes, estimated from pg_stats widths and the types' alignment.

use dbarch_report::Severity;

use super::*;

/// Page layout constants of a default build (`block_size` is read from the server).
const PAGE_HEADER: f64 = 24.0;
const LINE_POINTER: f64 = 4.0;
const BTREE_SPECIAL: f64 = 16.0;

fn maxalign(n: f64) -> f64 {
    (n / 8.0).ceil() * 8.0
}

/// A column as a row stores it: `pg_attribute.attlen` (-1 variable), `attalign` (c, s, i, d) and, from
/// pg_stats, its average stored width and null fraction.
#[derive(Debug, Clone, Copy)]
pub struct ColumnLayout {
    pub len: i16,
    pub align: u8,
    pub width: f64,
    pub null_frac: f64,
}

/// The average bytes of a row's (or index entry's) data: the columns in order, each fixed-length one
/// aligned as its type requires (variable-length values of under 127 bytes are stored unaligned), nulls
/// taking no space.
pub fn data_width(columns: &[ColumnLayout]) -> f64 {
    let mut offset = 0.0f64;
    for c in columns {
        let present = 1.0 - c.null_frac;
        if c.len > 0 {
            let align = match c.align {
                b's' => 2.0,
                b'i' => 4.0,
                b'd' => 8.0,
                _ => 1.0,
            };
            let aligned = (offset / align).ceil() * align;
            offset += (aligned - offset) * present;
        }
        offset += c.width * present;
    }
    offset
}

/// The pages a heap of `rows` rows needs when packed as `fillfactor` allows: each row a 23-byte header
/// (plus a null bitmap when a column has nulls), aligned, its data, aligned, and a line pointer.
pub fn expected_heap_pages(
    rows: f64,
    columns: &[ColumnLayout],
    fillfactor: f64,
    block: f64,
) -> f64 {
    let bitmap = if columns.iter().any(|c| c.null_frac > 0.0) {
        (columns.len() as f64 / 8.0).ceil()
    } else {
        0.0
    };
    let tuple = maxalign(23.0 + bitmap) + maxalign(data_width(columns)) + LINE_POINTER;
    let usable = (block - PAGE_HEADER) * fillfactor;
    let per_page = (usable / tuple).floor().max(1.0);
    (rows / per_page).ceil()
}

/// The pages a B-tree of `entries` entries needs: leaf tuples of an 8-byte header and the key (and
/// INCLUDE) columns' data, aligned, plus a line pointer, packed to `fillfactor`; about one internal page per
/// hundred leaves and the metapage. Deduplication (PostgreSQL 13+) only makes a real index smaller than
/// this, so it never inflates an estimate of bloat.
pub fn expected_btree_pages(
    entries: f64,
    columns: &[ColumnLayout],
    fillfactor: f64,
    block: f64,
) -> f64 {
    let tuple = maxalign(8.0 + data_width(columns)) + LINE_POINTER;
    let usable = (block - PAGE_HEADER - BTREE_SPECIAL) * fillfactor;
    let per_page = (usable / tuple).floor().max(1.0);
    let leaves = (entries / per_page).ceil();
    leaves + (leaves / 100.0).ceil() + 1.0
}

/// One relation's rows of a bloat query: `(name, pages, tuples, fillfactor, block, extra)` and its
/// columns' layouts; `None` when a column has no statistics.
pub(super) struct Sized {
    name: String,
    /// The relation itself (unquoted parts).
    relation: QualifiedName,
    extra: String,
    pages: f64,
    tuples: f64,
    fillfactor: f64,
    block: f64,
    columns: Option<Vec<ColumnLayout>>,
}

/// Group per-column rows (`name, extra, pages, tuples, fillfactor, block, attlen, attalign, avg_width,
/// null_frac, schema, relname`, ordered by relation then column) into relations.
fn sized_relations(rows: Vec<postgres::Row>) -> Vec<Sized> {
    let mut out: Vec<Sized> = vec![];
    for r in rows {
        let name = s(&r, 0);
        if out.last().is_none_or(|l| l.name != name) {
            out.push(Sized {
                name,
                relation: relation(&r, 10),
                extra: s(&r, 1),
                pages: i(&r, 2) as f64,
                tuples: f(&r, 3),
                fillfactor: f(&r, 4) / 100.0,
                block: f(&r, 5),
                columns: Some(vec![]),
            });
        }
        let Some(last) = out.last_mut() else { continue };
        let width = r.try_get::<_, Option<f64>>(8).ok().flatten();
        match (width, last.columns.as_mut()) {
            (Some(width), Some(cols)) => cols.push(ColumnLayout {
                len: r.try_get::<_, i16>(6).unwrap_or(-1),
                align: s(&r, 7).bytes().next().unwrap_or(b'c'),
                width,
                null_frac: f(&r, 9),
            }),
            _ => last.columns = None,
        }
    }
    out
}

/// Tables holding much more space than their rows need (an estimate from pg_stats widths and the types'
/// alignment, as PgHero and the usual bloat queries make): space that sequential scans still read and
/// that only a rewrite returns.
pub(super) fn table_bloat(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), '', c.relpages::int8, c.reltuples::float8, \
                coalesce((SELECT substring(o FROM 12)::float8 FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'), 100)::float8, \
                current_setting('block_size')::float8, a.attlen, a.attalign::text, st.avg_width::float8, st.null_frac::float8, \
                n.nspname::text, c.relname::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname AND NOT st.inherited \
         WHERE c.relkind IN ('r', 'm') AND c.reltuples >= 0 AND c.relpages > 0 AND {USER} \
         ORDER BY c.relpages DESC, 1, a.attnum"
    );
    let Some(rows) = cx.rows("table bloat", &sql) else {
        return;
    };
    let (findings, unestimated) = judge_table_bloat(&sized_relations(rows), &cx.limits);
    cx.add(findings);
    if unestimated > 0 {
        cx.report.skipped.push(SkippedCheck {
            check: "table bloat".into(),
            reason: format!(
                "{unestimated} table(s) without statistics for every column (run ANALYZE, or grant SELECT so pg_stats shows them)"
            ),
        });
    }
}

/// The tables past both limits; with how many could not be estimated (a column without statistics).
fn judge_table_bloat(tables: &[Sized], limits: &Limits) -> (Vec<HealthFinding>, usize) {
    use dbarch_sql::change::Maintenance;
    let mut out = vec![];
    let mut unestimated = 0;
    for t in tables {
        let Some(columns) = &t.columns else {
            // No statistics for a column (never analysed, or not readable by this role).
            unestimated += 1;
            continue;
        };
        let expected = expected_heap_pages(t.tuples, columns, t.fillfactor, t.block);
        let Some((wasted, fraction)) = bloat(limits, t.pages, expected, t.block) else {
            continue;
        };
        let name = &t.name;
        let rewrite = SchemaChange::Maintain(Maintenance::Vacuum {
            tables: vec![dbarch_catalog::make::name(&t.relation)],
            full: true,
            analyze: true,
            analyze_only: false,
        });
        out.push(finding(
            "DB024",
            "table-bloat",
            bloat_severity(fraction),
            name,
            format!(
                "{name} takes about {} more than its rows need ({:.0} % of it): scans read the empty space, and only a rewrite gives it back",
                size(wasted),
                fraction * 100.0
            ),
            vec![
                ("size", size((t.pages * t.block) as i64)),
                ("estimated need", size((expected * t.block) as i64)),
                ("rows", format!("{:.0}", t.tuples)),
                ("average row data", format!("{:.0} bytes", data_width(columns))),
                ("fillfactor", format!("{:.0}", t.fillfactor * 100.0)),
            ],
            fix(&[rewrite]).map(|sql| {
                format!("{sql}  -- rewrites under an ACCESS EXCLUSIVE lock; pg_repack does it online")
            }),
        ));
    }
    (out, unestimated)
}

/// The bytes and fraction wasted when past both limits.
fn bloat(limits: &Limits, pages: f64, expected: f64, block: f64) -> Option<(i64, f64)> {
    let wasted = ((pages - expected) * block) as i64;
    let fraction = 1.0 - expected / pages.max(1.0);
    (wasted >= limits.bloat_bytes && fraction >= limits.bloat_fraction)
        .then_some((wasted, fraction))
}

fn bloat_severity(fraction: f64) -> Severity {
    if fraction >= 0.6 {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// B-tree indexes much larger than their entries need: after mass deletes or updates an index keeps its
/// empty pages, which range scans walk and the cache holds. Expression indexes are left out (their
/// widths are not in the table's statistics).
pub(super) fn index_bloat(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                ic.relpages::int8, ic.reltuples::float8, \
                coalesce((SELECT substring(o FROM 12)::float8 FROM unnest(ic.reloptions) o WHERE o LIKE 'fillfactor=%'), 90)::float8, \
                current_setting('block_size')::float8, a.attlen, a.attalign::text, st.avg_width::float8, st.null_frac::float8, \
                n.nspname::text, ic.relname::text \
         FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname AND NOT st.inherited \
         WHERE am.amname = 'btree' AND x.indexprs IS NULL AND x.indisvalid AND ic.reltuples >= 0 AND ic.relpages > 1 AND {USER} \
         ORDER BY ic.relpages DESC, 1, k.position"
    );
    let Some(rows) = cx.rows("index bloat", &sql) else {
        return;
    };
    let findings = judge_index_bloat(&sized_relations(rows), &cx.limits);
    cx.add(findings);
}

fn judge_index_bloat(indexes: &[Sized], limits: &Limits) -> Vec<HealthFinding> {
    use dbarch_sql::change::Maintenance;
    let mut out = vec![];
    for ix in indexes {
        let Some(columns) = &ix.columns else {
            continue;
        };
        let expected = expected_btree_pages(ix.tuples, columns, ix.fillfactor, ix.block);
        let Some((wasted, fraction)) = bloat(limits, ix.pages, expected, ix.block) else {
            continue;
        };
        let (index, table) = (&ix.name, &ix.extra);
        let rebuild = SchemaChange::Maintain(Maintenance::Reindex {
            target: dbarch_catalog::make::name(&ix.relation),
            index: true,
            concurrently: true,
        });
        out.push(finding(
            "DB025",
            "index-bloat",
            bloat_severity(fraction),
            index,
            format!(
                "index {index} on {table} takes about {} more than its entries need ({:.0} % of it)",
                size(wasted),
                fraction * 100.0
            ),
            vec![
                ("size", size((ix.pages * ix.block) as i64)),
                ("estimated need", size((expected * ix.block) as i64)),
                ("entries", format!("{:.0}", ix.tuples)),
                ("average entry data", format!("{:.0} bytes", data_width(columns))),
            ],
            fix(&[rebuild]).map(|sql| {
                format!("{sql}  -- PostgreSQL 12+; builds a fresh copy beside it")
            }),
        ));
    }
    out
}

#[cfg(test)]
mod bloat_tests {
    use super::*;

    fn col(len: i16, align: u8, width: f64, null_frac: f64) -> ColumnLayout {
        ColumnLayout {
            len,
            align,
            width,
            null_frac,
        }
    }

    // Sizes measured on PostgreSQL 15 right after VACUUM FULL (8 kB blocks), with pg_stats' widths.
    #[test]
    fn heap_estimate_matches_packed_tables() {
        // (id int, v text = md5): 150,000 rows took 10,000 kB = 1,250 pages.
        let cols = [col(4, b'i', 4.0, 0.0), col(-1, b'i', 33.0, 0.0)];
        assert_eq!(expected_heap_pages(150_000.0, &cols, 1.0, 8192.0), 1250.0);
        // (id bigint, email text, note text a third null, n int, created timestamptz): 60,000 rows took
        // 760 pages.
        let cols = [
            col(8, b'd', 8.0, 0.0),
            col(-1, b'i', 22.0, 0.0),
            col(-1, b'i', 41.0, 0.333),
            col(4, b'i', 4.0, 0.0),
            col(8, b'd', 8.0, 0.0),
        ];
        let pages = expected_heap_pages(60_000.0, &cols, 1.0, 8192.0);
        assert!((pages - 760.0).abs() / 760.0 < 0.05, "{pages}");
    }

    #[test]
    fn btree_estimate_matches_fresh_indexes() {
        // An index on the md5 text column: 150,000 entries took 1,084 pages.
        let pages = expected_btree_pages(150_000.0, &[col(-1, b'i', 33.0, 0.0)], 0.9, 8192.0);
        assert!((pages - 1084.0).abs() / 1084.0 < 0.05, "{pages}");
    }

    #[test]
    fn alignment_padding_counts() {
        // int4 then int8: the int8 starts at offset 8, not 4.
        let cols = [col(4, b'i', 4.0, 0.0), col(8, b'd', 8.0, 0.0)];
        assert_eq!(data_width(&cols), 16.0);
        // Always-null columns take no space.
        assert_eq!(data_width(&[col(8, b'd', 8.0, 1.0)]), 0.0);
    }
}
