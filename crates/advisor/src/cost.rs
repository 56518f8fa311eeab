//! The cost model: PostgreSQL's own cost units and formulas (costsize.c), over the statistics of each
//! table, for one slot read with or without an index. The constants are PostgreSQL's defaults; the
//! model and its simplifications are documented in docs/advisor.md.

use dbarch_catalog::{Stats, Table};

use crate::index::{IndexDef, Method};
use crate::slots::{Cond, Slot, column_width};

pub const SEQ_PAGE_COST: f64 = 1.0;
pub const RANDOM_PAGE_COST: f64 = 4.0;
pub const CPU_TUPLE_COST: f64 = 0.01;
pub const CPU_INDEX_TUPLE_COST: f64 = 0.005;
pub const CPU_OPERATOR_COST: f64 = 0.0025;
/// Upkeep of one index for one written row: a descent and a leaf page dirtied (a random page write).
pub const INDEX_WRITE_COST: f64 = RANDOM_PAGE_COST * 0.5 + CPU_INDEX_TUPLE_COST;
const PAGE: f64 = 8192.0;

/// Estimated size of an index in bytes.
pub fn index_size(idx: &IndexDef, table: &Table, stats: &Stats, rows: f64, heap_pages: f64) -> f64 {
    let ts = stats.table(&table.name);
    let entries = rows * idx.partial_selectivity(ts);
    match idx.method {
        Method::Btree => {
            // Index tuple: 8-byte header, then the keys and INCLUDE columns each aligned to 8 bytes; a
            // 4-byte line pointer; leaf pages 90 % full; 1 % inner pages and a metapage.
            // An expression key stores the expression's value: a field extracted from a document, a
            // date from a timestamp — no wider than the column, and taken as at most 32 bytes.
            let width: f64 = idx
                .keys
                .iter()
                .map(|k| match k.expression {
                    Some(_) => column_width(table, ts, &k.column).min(32.0),
                    None => column_width(table, ts, &k.column),
                })
                .chain(idx.include.iter().map(|c| column_width(table, ts, c)))
                .map(|w| (w / 8.0).ceil() * 8.0)
                .sum();
            let per_page = (PAGE * 0.9 - 24.0) / (8.0 + width + 4.0);
            ((entries / per_page).ceil() * 1.01 + 1.0).max(1.0) * PAGE
        }
        Method::Gin => {
            // Posting lists compress, but each key of each row is stored: about half the column's bytes,
            // three times that for trigrams.
            let width: f64 = idx
                .keys
                .iter()
                .map(|k| column_width(table, ts, &k.column))
                .sum();
            let factor = if idx.opclass.as_deref() == Some("gin_trgm_ops") {
                1.5
            } else {
                0.5
            };
            ((entries * width * factor / PAGE).ceil() + 2.0) * PAGE
        }
        Method::Brin => {
            // One summary tuple per 128 heap pages.
            ((heap_pages / 128.0 * 32.0 / PAGE).ceil() + 2.0) * PAGE
        }
    }
}

/// Pages fetched to read `tuples` rows at random from a table of `pages` pages (Mackert and Lohman's
/// formula, as PostgreSQL's index_pages_fetched uses it with the whole cache given to the table).
fn pages_fetched(tuples: f64, pages: f64) -> f64 {
    let t = pages.max(1.0);
    (2.0 * t * tuples / (2.0 * t + tuples)).min(t).max(1.0)
}

/// Cost of reading the slot's table without an index: a sequential scan, stopped early by a LIMIT when
/// no sort is needed.
pub fn seq_scan(slot: &Slot) -> f64 {
    let scan = slot.pages * SEQ_PAGE_COST
        + slot.rows * (CPU_TUPLE_COST + slot.conds.len() as f64 * CPU_OPERATOR_COST);
    let sort = sort_cost(slot);
    match slot.limit {
        Some(k) if slot.order.is_empty() => scan * (k / slot.output_rows).min(1.0),
        _ => scan + sort,
    }
}

fn sort_cost(slot: &Slot) -> f64 {
    if slot.order.is_empty() {
        return 0.0;
    }
    let n = slot.output_rows.max(2.0);
    2.0 * CPU_OPERATOR_COST * n * n.log2()
}

/// The conditions an index serves for a slot, and the fraction of rows its scan visits.
struct Access {
    selectivity: f64,
    served: usize,
    /// The index delivers the slot's ORDER BY.
    ordered: bool,
    /// Every column the slot reads is in the index.
    covering: bool,
}

/// How a B-tree serves a slot's conditions: equality on the leading keys, then one range.
fn btree_access(idx: &IndexDef, slot: &Slot, conds: &[&Cond]) -> Access {
    let mut selectivity = 1.0;
    let mut served = 0;
    let mut used = vec![false; conds.len()];
    let mut prefix_eq = 0;
    for key in &idx.keys {
        let eq = conds
            .iter()
            .enumerate()
            .find(|(i, c)| !used[*i] && c.is_equality() && c.key_id() == key.id());
        if let Some((i, c)) = eq {
            used[i] = true;
            selectivity *= c.selectivity;
            served += 1;
            prefix_eq += 1;
            continue;
        }
        let range: Vec<usize> = conds
            .iter()
            .enumerate()
            .filter(|(i, c)| !used[*i] && c.is_range() && c.key_id() == key.id())
            .map(|(i, _)| i)
            .collect();
        for i in &range {
            used[*i] = true;
            selectivity *= conds[*i].selectivity;
            served += 1;
        }
        break;
    }
    // The partial index's own condition is implied by the slot's: count it as served.
    if let Some(p) = &idx.predicate
        && let Some((i, c)) = conds
            .iter()
            .enumerate()
            .find(|(i, c)| !used[*i] && p.implied_by(c))
    {
        used[i] = true;
        selectivity *= c.selectivity;
        served += 1;
    }
    // ORDER BY served: the keys after the equality prefix are the order's columns, all in the index's
    // direction or all reversed.
    let ordered =
        !slot.order.is_empty() && {
            let rest = &idx.keys[prefix_eq.min(idx.keys.len())..];
            rest.len() >= slot.order.len() && {
                let same =
                    slot.order.iter().zip(rest).all(|((c, d), k)| {
                        k.expression.is_none() && &k.column == c && *d == k.desc
                    });
                let reversed =
                    slot.order.iter().zip(rest).all(|((c, d), k)| {
                        k.expression.is_none() && &k.column == c && *d != k.desc
                    });
                same || reversed
            }
        };
    let covering = idx.covers(slot);
    Access {
        selectivity,
        served,
        ordered,
        covering,
    }
}

/// Cost of reading the slot's table through `idx` (None when the index cannot help this slot).
pub fn index_scan(slot: &Slot, idx: &IndexDef, idx_bytes: f64, stats: &Stats) -> Option<f64> {
    let conds: Vec<&Cond> = slot.conds.iter().collect();
    if let Some(p) = &idx.predicate
        && !conds.iter().any(|c| p.implied_by(c))
    {
        return None;
    }
    let idx_pages = idx_bytes / PAGE;
    let ts = stats.table(&slot.table);
    match idx.method {
        Method::Btree => {
            let a = btree_access(idx, slot, &conds);
            if a.served == 0 && !(a.ordered && slot.limit.is_some()) {
                return None;
            }
            let correlation = idx
                .keys
                .first()
                .and_then(|k| ts.and_then(|t| t.columns.get(&k.column)))
                .and_then(|c| c.correlation)
                .unwrap_or(0.0);
            let residual = conds.len().saturating_sub(a.served) as f64;
            let fetched = (slot.rows * a.selectivity).max(1.0);
            // Descent: comparisons down the tree, and about one page per level (costed as CPU, as
            // PostgreSQL does, the upper levels being cached).
            let descent = (slot.rows.max(2.0).log2().ceil() + 50.0 * 3.0) * CPU_OPERATOR_COST;
            let index_io = (a.selectivity * idx_pages).ceil().max(1.0) * RANDOM_PAGE_COST
                + fetched * (CPU_INDEX_TUPLE_COST + CPU_OPERATOR_COST);
            let cpu = fetched * (CPU_TUPLE_COST + residual * CPU_OPERATOR_COST);
            let pages = pages_fetched(fetched, slot.pages);
            // Plain index scan: heap pages in index order, between random and sequential by correlation.
            let heap = if a.covering {
                0.0
            } else {
                let max_io = pages * RANDOM_PAGE_COST;
                let min_io = RANDOM_PAGE_COST
                    + ((a.selectivity * slot.pages).ceil() - 1.0).max(0.0) * SEQ_PAGE_COST;
                max_io + correlation * correlation * (min_io - max_io)
            };
            let mut plain = descent + index_io + heap + cpu;
            let sort = if a.ordered { 0.0 } else { sort_cost(slot) };
            if let Some(k) = slot.limit
                && (a.ordered || slot.order.is_empty())
            {
                plain *= (k / slot.output_rows).min(1.0);
                return Some(plain.max(descent));
            }
            plain += sort;
            // Bitmap scan: heap pages in physical order, never ordered, never index-only.
            let bitmap = if a.served > 0 {
                let per_page = if pages >= 2.0 {
                    RANDOM_PAGE_COST
                        - (RANDOM_PAGE_COST - SEQ_PAGE_COST) * (pages / slot.pages).sqrt()
                } else {
                    RANDOM_PAGE_COST
                };
                descent + index_io + pages * per_page + cpu + sort_cost(slot)
            } else {
                f64::INFINITY
            };
            Some(plain.min(bitmap))
        }
        Method::Gin => {
            let key = idx.keys.first()?;
            let c = conds
                .iter()
                .find(|c| c.is_gin() && c.key_id() == key.id())?;
            let fetched = (slot.rows * c.selectivity).max(1.0);
            let pages = pages_fetched(fetched, slot.pages);
            let per_page =
                RANDOM_PAGE_COST - (RANDOM_PAGE_COST - SEQ_PAGE_COST) * (pages / slot.pages).sqrt();
            let index_io = (c.selectivity * idx_pages).ceil().max(1.0) * RANDOM_PAGE_COST
                + 2.0 * RANDOM_PAGE_COST;
            // LIKE through trigrams rechecks every candidate row.
            let recheck = if c.kind == dbarch_workload::PredicateKind::LikeContains {
                2.0
            } else {
                1.0
            };
            Some(
                index_io
                    + pages * per_page
                    + fetched * recheck * (CPU_TUPLE_COST + conds.len() as f64 * CPU_OPERATOR_COST)
                    + sort_cost(slot),
            )
        }
        Method::Brin => {
            let key = idx.keys.first()?;
            let c = conds.iter().find(|c| {
                (c.is_range() || c.is_equality())
                    && c.expression.is_none()
                    && c.column == key.column
            })?;
            let correlation = ts
                .and_then(|t| t.columns.get(&key.column))
                .and_then(|s| s.correlation)
                .unwrap_or(0.0)
                .abs();
            if correlation < 0.8 {
                return None;
            }
            // Ranges whose summary matches: the selected fraction, spread by the disorder, plus one range.
            let spread = c.selectivity / (correlation * correlation);
            let pages = (spread * slot.pages + 128.0).min(slot.pages);
            let rows = slot.rows * pages / slot.pages;
            Some(
                idx_pages * SEQ_PAGE_COST
                    + pages * SEQ_PAGE_COST
                    + rows * (CPU_TUPLE_COST + conds.len() as f64 * CPU_OPERATOR_COST)
                    + sort_cost(slot),
            )
        }
    }
}

/// Cost of the slot probed once per outer row through an index whose keys start with the equality
/// conditions and the join column (a nested loop), or None.
pub fn join_probe(slot: &Slot, idx: &IndexDef, idx_bytes: f64, stats: &Stats) -> Option<f64> {
    if idx.method != Method::Btree || slot.joins.is_empty() {
        return None;
    }
    let ts = stats.table(&slot.table);
    slot.joins
        .iter()
        .filter_map(|(column, outer_rows)| {
            let distinct = ts
                .and_then(|t| t.distinct(column))
                .unwrap_or(dbarch_catalog::stats::DEFAULT_N_DISTINCT)
                .max(1.0);
            let mut probe = slot.clone();
            probe.conds.push(Cond {
                column: column.clone(),
                expression: None,
                kind: dbarch_workload::PredicateKind::Equal,
                selectivity: 1.0 / distinct,
                constant: None,
            });
            probe.limit = None;
            probe.order.clear();
            let a = btree_access(idx, &probe, &probe.conds.iter().collect::<Vec<_>>());
            // The join column must be among the keys the index can seek on.
            let join_used = idx
                .keys
                .iter()
                .take(a.served)
                .any(|k| k.expression.is_none() && &k.column == column);
            if !join_used {
                return None;
            }
            let fetched = (slot.rows * a.selectivity).max(1.0);
            let heap = if a.covering {
                0.0
            } else {
                fetched.min(slot.pages) * RANDOM_PAGE_COST
            };
            // Repeated probes find the upper index levels cached: one leaf page per probe.
            let per_probe = RANDOM_PAGE_COST.min(idx_bytes / PAGE)
                + fetched * (CPU_INDEX_TUPLE_COST + CPU_TUPLE_COST)
                + heap * 0.5;
            Some(outer_rows * per_probe)
        })
        .reduce(f64::min)
}

/// A hash join reads the slot's table once on its own and hashes what it keeps.
pub fn hash_overhead(slot: &Slot) -> f64 {
    if slot.joins.is_empty() {
        0.0
    } else {
        slot.output_rows * CPU_OPERATOR_COST * 2.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use dbarch_catalog::{ColumnStats, QualifiedName, TableStats};
    use dbarch_workload::PredicateKind;

    use super::*;
    use crate::index::Key;

    fn slot(conds: Vec<Cond>) -> Slot {
        let selectivity: f64 = conds.iter().map(|c| c.selectivity).product();
        Slot {
            query: 0,
            weight: 1.0,
            table: QualifiedName::new("public", "t"),
            rows: 1_000_000.0,
            pages: 10_000.0,
            conds,
            order: vec![],
            limit: None,
            needed: Some(BTreeSet::from(["a".to_string(), "b".to_string()])),
            joins: vec![],
            output_rows: (1_000_000.0 * selectivity).max(1.0),
            write: None,
            reads: true,
        }
    }

    fn eq(column: &str, selectivity: f64) -> Cond {
        Cond {
            column: column.into(),
            expression: None,
            kind: PredicateKind::Equal,
            selectivity,
            constant: None,
        }
    }

    fn stats(correlation: f64) -> Stats {
        let mut t = TableStats {
            rows: 1_000_000.0,
            ..Default::default()
        };
        t.columns.insert(
            "a".into(),
            ColumnStats {
                correlation: Some(correlation),
                ..Default::default()
            },
        );
        let mut s = Stats::default();
        s.tables.insert("t".into(), t);
        s
    }

    fn btree(keys: &[&str]) -> IndexDef {
        IndexDef::btree(
            &QualifiedName::new("public", "t"),
            keys.iter().map(|k| Key::column(k)).collect(),
        )
    }

    const INDEX_BYTES: f64 = 30.0 * 1024.0 * 1024.0;

    #[test]
    fn a_selective_equality_is_cheaper_through_an_index() {
        let s = slot(vec![eq("a", 1e-5)]);
        let seq = seq_scan(&s);
        let idx = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &stats(0.0)).unwrap();
        assert!(idx * 100.0 < seq, "{idx} vs {seq}");
        // An index on another column cannot serve it.
        assert!(index_scan(&s, &btree(&["b"]), INDEX_BYTES, &stats(0.0)).is_none());
    }

    #[test]
    fn an_unselective_condition_is_cheaper_scanned() {
        let s = slot(vec![eq("a", 0.5)]);
        let idx = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &stats(0.0)).unwrap();
        assert!(idx > seq_scan(&s));
    }

    #[test]
    fn correlation_makes_range_scans_cheaper() {
        let mut c = eq("a", 0.05);
        c.kind = PredicateKind::Range;
        let s = slot(vec![c]);
        let random = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &stats(0.0)).unwrap();
        let ordered = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &stats(1.0)).unwrap();
        assert!(ordered < random, "{ordered} vs {random}");
    }

    #[test]
    fn covering_and_composite_indexes_beat_a_prefix() {
        let s = slot(vec![eq("a", 1e-3), eq("b", 1e-2)]);
        let st = stats(0.0);
        let one = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &st).unwrap();
        let two = index_scan(&s, &btree(&["a", "b"]), INDEX_BYTES * 1.5, &st).unwrap();
        assert!(two < one, "{two} vs {one}");
        let mut covering = btree(&["a"]);
        covering.include.push("b".into());
        assert!(covering.covers(&s));
        assert!(index_scan(&s, &covering, INDEX_BYTES * 1.5, &st).unwrap() < one);
    }

    #[test]
    fn an_index_in_the_sort_order_stops_at_the_limit() {
        let mut s = slot(vec![eq("a", 1e-2)]);
        s.order = vec![("b".into(), true)];
        s.limit = Some(10.0);
        let st = stats(0.0);
        let unordered = index_scan(&s, &btree(&["a"]), INDEX_BYTES, &st).unwrap();
        let mut ordered_def = btree(&["a", "b"]);
        ordered_def.keys[1].desc = true;
        let ordered = index_scan(&s, &ordered_def, INDEX_BYTES * 1.5, &st).unwrap();
        assert!(ordered * 10.0 < unordered, "{ordered} vs {unordered}");
    }

    #[test]
    fn sizes_grow_with_rows_and_width() {
        let mut table = dbarch_catalog::Table::new(QualifiedName::new("public", "t"));
        table.columns.push(dbarch_catalog::Column::new(
            "a",
            dbarch_catalog::DataType::simple("bigint"),
        ));
        table.columns.push(dbarch_catalog::Column::new(
            "b",
            dbarch_catalog::DataType::simple("text"),
        ));
        let st = Stats::default();
        let small = index_size(&btree(&["a"]), &table, &st, 1e6, 1e4);
        let wide = index_size(&btree(&["a", "b"]), &table, &st, 1e6, 1e4);
        let big = index_size(&btree(&["a"]), &table, &st, 1e7, 1e5);
        // 1e6 bigint keys: about 20 bytes an entry at 90 % fill, some 20-30 MB.
        assert!((15e6..40e6).contains(&small), "{small}");
        assert!(wide > small && big > 9.0 * small);
    }
}
