//! The index advisor: from a workload, a schema and table statistics, the indexes worth building under a
//! storage budget, and the existing indexes the workload does not need.
//!
//! 1. [`slots`]: what each query asks of each table (conditions by kind, order, limit, columns read,
//!    joins, writes).
//! 2. Candidates: per slot, one-column indexes on each searchable key, the composite an expert writes
//!    (equality columns by selectivity, then one range or the ORDER BY), partial indexes on constant
//!    conditions, expression indexes, GIN for jsonb / arrays / full text / trigram LIKE, BRIN on
//!    correlated time columns; those an existing index already serves (left-prefix rule) are dropped.
//! 3. [`cost`]: each slot's cost with the best index available to it, in PostgreSQL's cost units.
//! 4. Selection: the Extend algorithm (Schlosser, Kossmann, Boissier, ICDE 2019) — repeatedly take the
//!    step with the best cost reduction per byte: add a candidate, or widen a chosen index by one key
//!    column or by INCLUDE columns — until the budget is spent or no step helps.

pub mod cost;
pub mod explain;
pub mod index;
mod search;
pub mod slots;

use std::collections::{BTreeSet, HashMap};

use dbarch_catalog::{Catalog, IndexSource, QualifiedName, Stats, Table};
use dbarch_workload::{PredicateKind, Workload};
use serde::Serialize;

pub use index::{IndexDef, Key, Method, PartialPredicate};
use slots::Slot;

/// Keys an index may have at most (wider indexes rarely pay for their size).
const MAX_KEYS: usize = 4;
/// INCLUDE columns added at most to make an index-only scan possible.
const MAX_INCLUDE: usize = 4;
/// Bytes of INCLUDE columns added at most (average widths).
const MAX_INCLUDE_WIDTH: f64 = 48.0;

/// How much storage the new indexes may take together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// No limit: every index that pays for itself (its upkeep included).
    Unlimited,
    Bytes(f64),
    /// A multiple of the data size (the heap of the tables the workload reads or the statistics name).
    OfData(f64),
}

impl Budget {
    /// `500MB`, `1.5GB`, `64kB`, `1048576`, `0.5x` (of the data size), `25%` (of the data size).
    pub fn parse(s: &str) -> Result<Budget, String> {
        let t = s.trim();
        let bad = || format!("budget `{s}`: expected a size such as 500MB, 1.5GB, 0.5x or 25%");
        // A number a budget can be: finite and not negative (no NaN, no infinity).
        let number = |n: &str| {
            n.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(bad)
        };
        if let Some(x) = t.strip_suffix(['x', 'X']) {
            return number(x).map(Budget::OfData);
        }
        if let Some(p) = t.strip_suffix('%') {
            return number(p).map(|p| Budget::OfData(p / 100.0));
        }
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (n, unit) = t.split_at(split);
        let n = number(n)?;
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" | "k" | "kib" => 1024.0,
            "mb" | "m" | "mib" => 1024.0 * 1024.0,
            "gb" | "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
            "tb" | "t" | "tib" => 1024.0_f64.powi(4),
            _ => return Err(bad()),
        };
        Ok(Budget::Bytes(n * scale))
    }
}

/// How indexes are picked under the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Extend: add a candidate or widen a chosen index, whichever saves most per byte.
    #[default]
    Extend,
    /// Plain greedy, the baseline: whole candidates only, by saving per byte, never widened.
    Greedy,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub budget: Budget,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, Serialize)]
pub struct Served {
    /// Index of the query in the workload.
    pub query: usize,
    pub calls: u64,
    /// Estimated cost of one execution with the existing indexes only, and with the recommendation.
    pub cost_before: f64,
    pub cost_after: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub table: String,
    pub columns: Vec<String>,
    pub method: String,
    pub include: Vec<String>,
    #[serde(rename = "where")]
    pub predicate: Option<String>,
    pub sql: String,
    /// An extension the index needs (`pg_trgm` for trigram LIKE searches).
    pub requires: Option<String>,
    pub size_bytes: f64,
    /// Weighted workload cost saved (calls x cost, upkeep of writes included).
    pub benefit: f64,
    pub queries: Vec<Served>,
    #[serde(skip)]
    pub def: IndexDef,
}

#[derive(Debug, Clone, Serialize)]
pub struct DropSuggestion {
    pub index: String,
    pub table: String,
    pub reason: String,
    pub sql: String,
    pub size_bytes: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub recommendations: Vec<Recommendation>,
    pub drops: Vec<DropSuggestion>,
    /// Weighted workload cost without any index, with the existing ones, and with the recommendation.
    pub cost_without_indexes: f64,
    pub cost_before: f64,
    pub cost_after: f64,
    pub budget_bytes: Option<f64>,
    pub used_bytes: f64,
    /// Heap size of the tables the statistics describe (or the workload reads).
    pub data_bytes: f64,
    pub candidates: usize,
    /// Slot costings the selection did (each is one cost-model evaluation).
    pub evaluations: usize,
    /// Costs are the planner's (hypothetical indexes), not the offline model's.
    pub verified: bool,
    /// Planner calls (EXPLAIN) made, when verified.
    pub planner_calls: usize,
    /// Queries no index was sought for, and why (PostgreSQL would refuse them).
    pub left_out: Vec<LeftOut>,
}

/// A workload query the advice leaves out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    pub query: usize,
    pub reason: String,
}

/// A source of real planner costs: hypothetical indexes in a live database (HypoPG). With one, the
/// selection is driven by the planner's estimate of each query under each configuration, and sizes are
/// the extension's; without one, by the offline cost model.
pub trait WhatIf {
    /// The planner's total cost of one execution of workload query `query` with these hypothetical
    /// indexes (and the database's real ones); `None` when the query cannot be planned (then the offline
    /// model stands in for it).
    fn query_cost(&mut self, query: usize, indexes: &[&IndexDef]) -> Option<f64>;
    /// The size of a hypothetical index, in bytes.
    fn index_size(&mut self, index: &IndexDef) -> Option<f64>;
    /// Whether this kind of index can be simulated (HypoPG has no GIN): candidates it cannot are left
    /// out when the planner verifies, since nothing could back their costs.
    fn supports(&self, index: &IndexDef) -> bool;
    /// Planner calls made so far.
    fn calls(&self) -> usize;
}

/// The cost model over the workload's slots, with every index costed once per slot.
struct Model<'a> {
    what_if: Option<&'a mut dyn WhatIf>,
    /// Per query, the tables it reads or writes; per table, the queries.
    query_tables: HashMap<usize, BTreeSet<QualifiedName>>,
    /// Per query, its slots.
    query_slots: HashMap<usize, Vec<usize>>,
    table_queries: HashMap<QualifiedName, Vec<usize>>,
    planner: HashMap<(usize, Vec<usize>), f64>,
    applicable: HashMap<(usize, usize), bool>,
    slots: Vec<Slot>,
    by_table: HashMap<QualifiedName, Vec<usize>>,
    tables: HashMap<QualifiedName, &'a Table>,
    stats: &'a Stats,
    defs: Vec<IndexDef>,
    ids: HashMap<IndexDef, usize>,
    sizes: Vec<f64>,
    /// (slot, index) -> (cost read through the index, cost probed by a join through it).
    via: HashMap<(usize, usize), (f64, f64)>,
    evaluations: usize,
}

impl<'a> Model<'a> {
    fn id(&mut self, def: IndexDef) -> usize {
        if let Some(&i) = self.ids.get(&def) {
            return i;
        }
        let table = self.tables[&def.table];
        let slot = self
            .by_table
            .get(&def.table)
            .and_then(|s| s.first())
            .map(|&s| &self.slots[s]);
        let (rows, pages) = slot.map(|s| (s.rows, s.pages)).unwrap_or_else(|| {
            let ts = self.stats.table(&table.name);
            let rows = ts
                .map(|t| t.rows)
                .unwrap_or(dbarch_catalog::stats::DEFAULT_ROWS);
            (rows, slots::heap_pages(table, ts, rows))
        });
        let estimated = cost::index_size(&def, table, self.stats, rows, pages);
        let size = match (&mut self.what_if, &def.existing) {
            (Some(w), None) => w.index_size(&def).unwrap_or(estimated),
            _ => estimated,
        };
        let i = self.defs.len();
        self.ids.insert(def.clone(), i);
        self.defs.push(def);
        self.sizes.push(size);
        i
    }

    fn via(&mut self, s: usize, i: usize) -> (f64, f64) {
        if let Some(&v) = self.via.get(&(s, i)) {
            return v;
        }
        self.evaluations += 1;
        let slot = &self.slots[s];
        let def = &self.defs[i];
        let read = cost::index_scan(slot, def, self.sizes[i], self.stats).unwrap_or(f64::INFINITY);
        let probe = cost::join_probe(slot, def, self.sizes[i], self.stats).unwrap_or(f64::INFINITY);
        self.via.insert((s, i), (read, probe));
        (read, probe)
    }

    /// One execution of a slot with `indexes` available: its cost, and the index it reads through.
    fn slot_cost(&mut self, s: usize, indexes: &[usize]) -> (f64, Option<usize>) {
        if !self.slots[s].reads {
            return (self.upkeep(s, indexes), None);
        }
        let mut best = cost::seq_scan(&self.slots[s]);
        let mut by = None;
        let mut probe = f64::INFINITY;
        let mut probe_by = None;
        for &i in indexes {
            let (read, p) = self.via(s, i);
            if read < best {
                best = read;
                by = Some(i);
            }
            if p < probe {
                probe = p;
                probe_by = Some(i);
            }
        }
        let hashed = best + cost::hash_overhead(&self.slots[s]);
        let (total, by) = if probe < hashed {
            (probe, probe_by)
        } else {
            (hashed, by)
        };
        (total + self.upkeep(s, indexes), by)
    }

    /// What a write slot costs each index: a descent and a leaf write per row (an UPDATE that sets none
    /// of the index's columns is a HOT update and costs it nothing).
    fn upkeep(&self, s: usize, indexes: &[usize]) -> f64 {
        let mut total = 0.0;
        if let Some(w) = &self.slots[s].write {
            for &i in indexes {
                let def = &self.defs[i];
                let touched = match &w.columns {
                    None => true,
                    Some(cols) => cols.iter().any(|c| {
                        def.keys.iter().any(|k| &k.column == c) || def.include.contains(c)
                    }),
                };
                if touched {
                    total += w.rows * cost::INDEX_WRITE_COST;
                }
            }
        }
        total
    }

    /// One execution of a query with the chosen new indexes (and the existing ones): the planner's cost
    /// when there is one, else the sum of its slots.
    fn query_cost(
        &mut self,
        q: usize,
        chosen: &[usize],
        existing: &HashMap<QualifiedName, Vec<usize>>,
    ) -> f64 {
        let tables = self.query_tables.get(&q).cloned().unwrap_or_default();
        let mut relevant: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&i| tables.contains(&self.defs[i].table) && self.applies(q, i))
            .collect();
        relevant.sort();
        if self.what_if.is_some() {
            let key = (q, relevant.clone());
            if let Some(&c) = self.planner.get(&key) {
                return c;
            }
            let defs: Vec<IndexDef> = relevant.iter().map(|&i| self.defs[i].clone()).collect();
            let refs: Vec<&IndexDef> = defs.iter().collect();
            let planned = self.what_if.as_mut().and_then(|w| w.query_cost(q, &refs));
            if let Some(c) = planned {
                self.planner.insert(key, c);
                return c;
            }
        }
        let slots = self.query_slots.get(&q).cloned().unwrap_or_default();
        let mut total = 0.0;
        for s in slots {
            let table = self.slots[s].table.clone();
            let mut cfg = existing.get(&table).cloned().unwrap_or_default();
            cfg.extend(
                relevant
                    .iter()
                    .copied()
                    .filter(|&i| self.defs[i].table == table),
            );
            total += self.slot_cost(s, &cfg).0;
        }
        total
    }

    /// The weighted cost of everything a change of the indexes on `table` can move: the table's slots
    /// (offline), or the queries that touch it (planner).
    fn evaluate(
        &mut self,
        table: &QualifiedName,
        chosen: &[usize],
        existing: &HashMap<QualifiedName, Vec<usize>>,
    ) -> f64 {
        if self.what_if.is_some() {
            let queries = self.table_queries.get(table).cloned().unwrap_or_default();
            return queries
                .into_iter()
                .map(|q| self.query_cost(q, chosen, existing) * self.weight(q))
                .sum();
        }
        let mut cfg = existing.get(table).cloned().unwrap_or_default();
        cfg.extend(
            chosen
                .iter()
                .copied()
                .filter(|&i| &self.defs[i].table == table),
        );
        self.table_cost(table, &cfg)
    }

    /// Whether an index can change a query's plan: its leading key is a column (or expression) the
    /// query searches, joins, sorts or reads on that table. Others are left out of the planner's
    /// configuration for the query, so adding them costs no planner call.
    fn applies(&mut self, q: usize, i: usize) -> bool {
        if let Some(&a) = self.applicable.get(&(q, i)) {
            return a;
        }
        let def = &self.defs[i];
        let lead = def.keys.first().map(|k| k.id());
        let a = lead.is_some_and(|lead| {
            let slots = self.query_slots.get(&q).map(Vec::as_slice).unwrap_or(&[]);
            slots.iter().map(|&s| &self.slots[s]).any(|s| {
                s.table == def.table
                    && (s.conds.iter().any(|c| c.key_id() == lead)
                        || s.joins.iter().any(|(c, _)| *c == lead)
                        || s.order.iter().any(|(c, _)| *c == lead)
                        || s.needed.as_ref().is_some_and(|n| n.contains(&lead)))
            })
        });
        self.applicable.insert((q, i), a);
        a
    }

    fn weight(&self, q: usize) -> f64 {
        self.query_slots
            .get(&q)
            .and_then(|s| s.first())
            .map(|&s| self.slots[s].weight)
            .unwrap_or(1.0)
    }

    /// Weighted cost of a table's slots with the given indexes on it.
    fn table_cost(&mut self, table: &QualifiedName, indexes: &[usize]) -> f64 {
        let slots = self.by_table.get(table).cloned().unwrap_or_default();
        slots
            .into_iter()
            .map(|s| self.slot_cost(s, indexes).0 * self.slots[s].weight)
            .sum()
    }
}

/// Advise indexes for `workload` on `catalog`, with the offline cost model.
pub fn advise(workload: &Workload, catalog: &Catalog, stats: &Stats, options: &Options) -> Advice {
    advise_with(workload, catalog, stats, options, None)
}

/// An option of one greedy step: (option key: (replaced index or usize::MAX, new index), the chosen set
/// with it, size delta, table).
type Pending = ((usize, usize), Vec<usize>, f64, QualifiedName);

/// Advise indexes, with the planner's costs when `what_if` is given.
pub fn advise_with<'a>(
    workload: &Workload,
    catalog: &'a Catalog,
    stats: &'a Stats,
    options: &Options,
    what_if: Option<&'a mut dyn WhatIf>,
) -> Advice {
    let (all_slots, refused) = slots::slots_and_refusals(workload, catalog, stats);
    let left_out: Vec<LeftOut> = refused
        .into_iter()
        .map(|(query, reason)| LeftOut { query, reason })
        .collect();
    let mut query_tables: HashMap<usize, BTreeSet<QualifiedName>> = HashMap::new();
    let mut table_queries: HashMap<QualifiedName, Vec<usize>> = HashMap::new();
    let mut query_slots: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, s) in all_slots.iter().enumerate() {
        query_slots.entry(s.query).or_default().push(i);
        if query_tables
            .entry(s.query)
            .or_default()
            .insert(s.table.clone())
        {
            table_queries
                .entry(s.table.clone())
                .or_default()
                .push(s.query);
        }
    }
    let verified = what_if.is_some();
    let mut by_table: HashMap<QualifiedName, Vec<usize>> = HashMap::new();
    for (i, s) in all_slots.iter().enumerate() {
        by_table.entry(s.table.clone()).or_default().push(i);
    }
    let tables: HashMap<QualifiedName, &Table> = catalog
        .tables
        .iter()
        .map(|(n, t)| (n.clone(), &**t))
        .collect();
    let mut model = Model {
        what_if,
        query_tables,
        query_slots,
        table_queries,
        planner: HashMap::new(),
        applicable: HashMap::new(),
        slots: all_slots,
        by_table,
        tables,
        stats,
        defs: vec![],
        ids: HashMap::new(),
        sizes: vec![],
        via: HashMap::new(),
        evaluations: 0,
    };

    // Existing indexes, per table.
    let mut existing: HashMap<QualifiedName, Vec<usize>> = HashMap::new();
    let mut existing_catalog = vec![];
    for (table, list) in catalog.indexes_by_table() {
        for i in list {
            if let Some(def) = IndexDef::from_catalog(&i) {
                let id = model.id(def);
                existing.entry(table.clone()).or_default().push(id);
                existing_catalog.push((id, i));
            }
        }
    }

    // Candidates.
    let mut atomic: BTreeSet<usize> = BTreeSet::new();
    let mut attributes: HashMap<QualifiedName, BTreeSet<Key>> = HashMap::new();
    for s in 0..model.slots.len() {
        for def in candidates(&model.slots[s], stats) {
            if model.what_if.as_ref().is_some_and(|w| !w.supports(&def)) {
                continue;
            }
            let served = existing
                .get(&def.table)
                .is_some_and(|ex| ex.iter().any(|&e| model.defs[e].serves(&def)));
            if served {
                continue;
            }
            let id = model.id(def);
            atomic.insert(id);
        }
        let slot = &model.slots[s];
        attributes
            .entry(slot.table.clone())
            .or_default()
            .extend(slot_attributes(slot));
    }

    // Costs with no index, and with the existing ones.
    let tables_used: Vec<QualifiedName> = {
        let mut t: Vec<_> = model.by_table.keys().cloned().collect();
        t.sort();
        t
    };
    let mut cost_without = 0.0;
    let mut current: HashMap<QualifiedName, f64> = HashMap::new();
    for t in &tables_used {
        cost_without += model.table_cost(t, &[]);
        let c = model.evaluate(t, &[], &existing);
        current.insert(t.clone(), c);
    }
    let all_queries: Vec<usize> = {
        let mut q: Vec<usize> = model.query_tables.keys().copied().collect();
        q.sort();
        q
    };
    let cost_before = total(&mut model, &all_queries, &[], &existing);
    if verified {
        // The planner cannot be asked without the database's real indexes.
        cost_without = cost_before;
    }

    let data_bytes: f64 = catalog
        .tables
        .values()
        .filter(|t| stats.table(&t.name).is_some() || model.by_table.contains_key(&t.name))
        .map(|t| {
            let ts = stats.table(&t.name);
            let rows = ts
                .map(|s| s.rows)
                .unwrap_or(dbarch_catalog::stats::DEFAULT_ROWS);
            slots::heap_pages(t, ts, rows) * 8192.0
        })
        .sum();

    let budget_bytes = match options.budget {
        Budget::Unlimited => None,
        Budget::Bytes(b) => Some(b),
        Budget::OfData(f) => Some(f * data_bytes),
    };
    // Extend.
    let budget = budget_bytes.unwrap_or(f64::INFINITY);
    let config_on = |model: &Model,
                     chosen: &[usize],
                     existing: &HashMap<QualifiedName, Vec<usize>>,
                     t: &QualifiedName|
     -> Vec<usize> {
        let mut v = existing.get(t).cloned().unwrap_or_default();
        v.extend(
            chosen
                .iter()
                .copied()
                .filter(|&i| &model.defs[i].table == t),
        );
        v
    };
    // Lazy evaluation (as in CELF): a step's saving per byte is assumed not to grow as the configuration
    // grows, so the saving an option showed at an earlier step bounds it now; options are tried from the
    // highest bound down, and the search stops when the best exact ratio found beats every bound left.
    //
    // Two passes: saving per byte, which fills a small budget well, and saving per square root of the
    // bytes, which prefers the larger indexes that save the most; the cheaper result is kept. The cost
    // caches are shared, so the second pass costs far fewer evaluations than the first.
    let search = search::Search {
        atomic: &atomic,
        attributes: &attributes,
        existing: &existing,
        initial: &current,
        queries: &all_queries,
        budget,
        strategy: options.strategy,
        stats,
        verified,
    };
    let (cost_after, chosen, used) =
        search::extend(&mut model, &search).unwrap_or((cost_before, vec![], 0.0));

    // Which index each slot reads through, before and after.
    let mut recommendations = vec![];
    let mut used_by: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut per_query: HashMap<usize, (f64, f64)> = HashMap::new();
    for t in &tables_used {
        let before_cfg = existing.get(t).cloned().unwrap_or_default();
        let after_cfg = config_on(&model, &chosen, &existing, t);
        for s in model.by_table.get(t).cloned().unwrap_or_default() {
            let (b, _) = model.slot_cost(s, &before_cfg);
            let (a, by) = model.slot_cost(s, &after_cfg);
            if !verified {
                let e = per_query.entry(model.slots[s].query).or_default();
                e.0 += b;
                e.1 += a;
            }
            if let Some(i) = by {
                used_by.entry(i).or_default().push(s);
            }
        }
    }
    if verified {
        for &q in &all_queries {
            let b = model.query_cost(q, &[], &existing);
            let a = model.query_cost(q, &chosen, &existing);
            per_query.insert(q, (b, a));
        }
    }
    for &i in &chosen {
        let def = model.defs[i].clone();
        // The emitter writes the statement from the parsed expressions: one it cannot write is no
        // recommendation.
        let Some(sql) = def.create_sql() else {
            continue;
        };
        let mut queries: Vec<usize> = used_by
            .get(&i)
            .into_iter()
            .flatten()
            .map(|&s| model.slots[s].query)
            .collect();
        // The benefit of this index: what the workload costs without it, minus with it.
        let without: Vec<usize> = chosen.iter().copied().filter(|&x| x != i).collect();
        let benefit = model.evaluate(&def.table, &without, &existing)
            - model.evaluate(&def.table, &chosen, &existing);
        // With the planner, the queries it serves are those it makes cheaper.
        if verified {
            queries.clear();
            for q in model
                .table_queries
                .get(&def.table)
                .cloned()
                .unwrap_or_default()
            {
                if model.query_cost(q, &chosen, &existing)
                    < model.query_cost(q, &without, &existing) - 1e-9
                {
                    queries.push(q);
                }
            }
            let slots: Vec<usize> = queries
                .iter()
                .flat_map(|q| model.query_slots.get(q).cloned().unwrap_or_default())
                .collect();
            used_by.insert(i, slots);
        }
        queries.sort();
        queries.dedup();
        recommendations.push(Recommendation {
            table: index::qualified(&def.table),
            columns: def.columns(),
            method: def.method.as_str().to_string(),
            include: def.include.clone(),
            predicate: def.predicate.as_ref().map(|p| p.sql()),
            sql,
            requires: (def.opclass.as_deref() == Some("gin_trgm_ops"))
                .then(|| "pg_trgm".to_string()),
            size_bytes: model.sizes[i],
            benefit,
            queries: queries
                .into_iter()
                .map(|q| {
                    let (b, a) = per_query.get(&q).copied().unwrap_or_default();
                    Served {
                        query: q,
                        calls: workload.queries[q].calls,
                        cost_before: b,
                        cost_after: a,
                    }
                })
                .collect(),
            def,
        });
    }
    recommendations.sort_by(|a, b| b.benefit.total_cmp(&a.benefit));

    // Existing indexes to drop. First those another index serves entirely (the left-prefix rule), keeping
    // the one that serves; then those no query reads through, unless they serve a dropped one.
    let droppable: Vec<&(usize, dbarch_catalog::Index)> = existing_catalog
        .iter()
        .filter(|(_, i)| !i.unique && !i.primary && matches!(i.source, IndexSource::CreateIndex))
        .collect();
    let mut drops = vec![];
    let mut dropped: Vec<usize> = vec![];
    let mut servers: Vec<usize> = vec![];
    for (id, index) in &droppable {
        let def = &model.defs[*id];
        let server = config_on(&model, &chosen, &existing, &def.table)
            .into_iter()
            .find(|&o| {
                o != *id
                    && !dropped.contains(&o)
                    && model.defs[o].serves(def)
                    && model.defs[o] != *def
            });
        if let Some(o) = server {
            let other = &model.defs[o];
            dropped.push(*id);
            servers.push(o);
            drops.push(drop_suggestion(
                index,
                format!(
                    "redundant: {} ({}) serves every search it serves",
                    other
                        .existing
                        .clone()
                        .unwrap_or_else(|| "the recommended index".into()),
                    other.columns().join(", ")
                ),
                model.sizes[*id],
            ));
        }
    }
    for (id, index) in &droppable {
        if dropped.contains(id) || servers.contains(id) || used_by.contains_key(id) {
            continue;
        }
        let def = &model.defs[*id];
        let reads_table = model
            .by_table
            .get(&def.table)
            .is_some_and(|s| s.iter().any(|&s| model.slots[s].write.is_none()));
        // An index whose leading keys are a foreign key's columns serves the checks and cascades that
        // deletes on the referenced table run: the workload does not show them.
        let supports_fk = catalog.table(&def.table).is_some_and(|t| {
            t.foreign_keys().any(|(_, fk)| {
                fk.columns.len() <= def.keys.len()
                    && fk.columns.iter().all(|c| {
                        def.keys[..fk.columns.len()]
                            .iter()
                            .any(|k| k.expression.is_none() && &k.column == c)
                    })
            })
        });
        if reads_table && !supports_fk {
            drops.push(drop_suggestion(
                index,
                "no query of the workload reads through it: it only costs writes and space (check the queries this workload does not show first)".into(),
                model.sizes[*id],
            ));
        }
    }

    Advice {
        recommendations,
        drops,
        cost_without_indexes: cost_without,
        cost_before,
        cost_after,
        budget_bytes,
        used_bytes: used,
        data_bytes,
        candidates: atomic.len(),
        evaluations: model.evaluations,
        verified,
        planner_calls: model.what_if.as_ref().map(|w| w.calls()).unwrap_or(0),
        left_out,
    }
}

/// After a step: the costs it can have moved (the table's, or with the planner every table's, since a
/// query spans tables).
/// The workload's cost with the indexes `chosen` (besides the existing ones).
fn total(
    model: &mut Model,
    queries: &[usize],
    chosen: &[usize],
    existing: &HashMap<QualifiedName, Vec<usize>>,
) -> f64 {
    queries
        .iter()
        .map(|&q| model.query_cost(q, chosen, existing) * model.weight(q))
        .sum()
}

fn refresh(
    model: &mut Model,
    current: &mut HashMap<QualifiedName, f64>,
    table: &QualifiedName,
    chosen: &[usize],
    existing: &HashMap<QualifiedName, Vec<usize>>,
    verified: bool,
) {
    let tables: Vec<QualifiedName> = if verified {
        current.keys().cloned().collect()
    } else {
        vec![table.clone()]
    };
    for t in tables {
        let c = model.evaluate(&t, chosen, existing);
        current.insert(t, c);
    }
}

/// `DROP INDEX CONCURRENTLY name;`, written by the DDL emitter.
fn drop_concurrently(name: &dbarch_catalog::QualifiedName) -> String {
    // A drop of a named index always emits.
    dbarch_sql::change::emit(&dbarch_catalog::make::drop_index_concurrently(name))
        .map(|s| s + ";")
        .unwrap_or_default()
}

fn drop_suggestion(
    index: &dbarch_catalog::Index,
    reason: String,
    size_bytes: f64,
) -> DropSuggestion {
    DropSuggestion {
        index: index.name.to_string(),
        table: index.table.to_string(),
        reason,
        sql: drop_concurrently(&index.name),
        size_bytes,
    }
}

/// The keys a slot could search or sort by: its equality and range conditions, its ORDER BY, its join
/// columns.
fn slot_attributes(slot: &Slot) -> Vec<Key> {
    let mut out: Vec<Key> = slot
        .conds
        .iter()
        .filter(|c| c.is_equality() || c.is_range())
        .map(key_of)
        .collect();
    out.extend(slot.order.iter().map(|(c, d)| Key {
        column: c.clone(),
        expression: None,
        desc: *d,
    }));
    out.extend(slot.joins.iter().map(|(c, _)| Key::column(c)));
    out
}

fn key_of(c: &slots::Cond) -> Key {
    Key {
        column: c.column.clone(),
        expression: c.expression.clone(),
        desc: false,
    }
}

/// The candidates one slot suggests.
fn candidates(slot: &Slot, stats: &Stats) -> Vec<IndexDef> {
    let t = &slot.table;
    let ts = stats.table(t);
    let mut out = vec![];
    // One-column indexes on each searchable key (Extend's starting points).
    for c in slot
        .conds
        .iter()
        .filter(|c| c.is_equality() || c.is_range())
    {
        out.push(IndexDef::btree(t, vec![key_of(c)]));
    }
    for (c, _) in &slot.joins {
        out.push(IndexDef::btree(t, vec![Key::column(c)]));
    }
    if let Some((c, d)) = slot.order.first() {
        out.push(IndexDef::btree(
            t,
            vec![Key {
                column: c.clone(),
                expression: None,
                desc: *d,
            }],
        ));
    }
    // The expert's composite: equality keys, most selective first, then one range or the ORDER BY.
    let mut eq: Vec<&slots::Cond> = slot.conds.iter().filter(|c| c.is_equality()).collect();
    eq.sort_by(|a, b| a.selectivity.total_cmp(&b.selectivity));
    let mut keys: Vec<Key> = vec![];
    for c in &eq {
        if !keys.iter().any(|k| k.id() == c.key_id()) {
            keys.push(key_of(c));
        }
    }
    let order_keys: Vec<Key> = slot
        .order
        .iter()
        .map(|(c, d)| Key {
            column: c.clone(),
            expression: None,
            desc: *d,
        })
        .collect();
    let range = slot
        .conds
        .iter()
        .filter(|c| c.is_range())
        .min_by(|a, b| a.selectivity.total_cmp(&b.selectivity));
    let mut with_order = keys.clone();
    with_order.extend(
        order_keys
            .iter()
            .filter(|k| !keys.iter().any(|e| e.id() == k.id()))
            .cloned(),
    );
    let mut with_range = keys.clone();
    if let Some(r) = range
        && !keys.iter().any(|k| k.id() == r.key_id())
    {
        with_range.push(key_of(r));
    }
    for k in [keys, with_order, with_range] {
        if k.len() > 1 && k.len() <= MAX_KEYS {
            out.push(IndexDef::btree(t, k));
        }
    }
    // Partial indexes: a constant condition on a low-cardinality column (or IS NULL) as the WHERE,
    // the slot's other keys as the keys.
    for c in &slot.conds {
        let Some(p) = PartialPredicate::of(c) else {
            continue;
        };
        let low_cardinality = match c.kind {
            PredicateKind::Equal => ts
                .and_then(|s| s.distinct(&c.column))
                .is_some_and(|d| d <= 50.0),
            _ => true,
        };
        if !low_cardinality {
            continue;
        }
        let mut keys: Vec<Key> = slot
            .conds
            .iter()
            .filter(|o| (o.is_equality() || o.is_range()) && o.column != c.column)
            .map(key_of)
            .collect();
        keys.extend(order_keys.iter().cloned());
        // A join probing this table finds its rows through the partial index too.
        keys.extend(slot.joins.iter().map(|(c, _)| Key::column(c)));
        let mut seen = BTreeSet::new();
        keys.retain(|k| seen.insert(k.id()));
        keys.truncate(MAX_KEYS);
        if keys.is_empty() {
            // Nothing else to search by: the index on the key the rows are fetched by.
            keys.push(Key::column(&c.column));
        }
        let mut def = IndexDef::btree(t, keys);
        def.predicate = Some(p);
        out.push(def);
    }
    // GIN for jsonb, arrays, full text and trigram LIKE.
    for c in slot.conds.iter().filter(|c| c.is_gin()) {
        let opclass = match c.kind {
            PredicateKind::LikeContains if c.expression.is_none() => Some("gin_trgm_ops"),
            PredicateKind::LikeContains => continue,
            PredicateKind::JsonContains
                if !slot
                    .conds
                    .iter()
                    .any(|o| o.column == c.column && o.kind == PredicateKind::JsonKeyExists) =>
            {
                Some("jsonb_path_ops")
            }
            _ => None,
        };
        out.push(IndexDef {
            table: t.clone(),
            method: Method::Gin,
            keys: vec![key_of(c)],
            include: vec![],
            predicate: None,
            opclass: opclass.map(str::to_string),
            existing: None,
        });
    }
    // BRIN on a large table's range column that follows the physical order.
    for c in slot
        .conds
        .iter()
        .filter(|c| c.is_range() && c.expression.is_none())
    {
        let correlated = ts
            .and_then(|s| s.columns.get(&c.column))
            .and_then(|s| s.correlation)
            .is_some_and(|r| r.abs() >= 0.9);
        if correlated && slot.rows >= 1_000_000.0 {
            out.push(IndexDef {
                table: t.clone(),
                method: Method::Brin,
                keys: vec![Key::column(&c.column)],
                include: vec![],
                predicate: None,
                opclass: None,
                existing: None,
            });
        }
    }
    out
}
