//! The search for a configuration (Extend, after Schlosser, Kossmann and Boissier, 2019): indexes are
//! added one at a time, or an index chosen earlier is widened by a key or INCLUDE columns, whichever
//! saves most per byte of the budget; the savings are evaluated lazily (as in CELF). Two passes — saving
//! per byte, and per square root of the bytes — and the cheaper result is kept.

use std::collections::{BTreeSet, HashMap};

use dbarch_catalog::{QualifiedName, Stats};

use crate::index::{IndexDef, Key, Method};
use crate::{
    MAX_INCLUDE, MAX_INCLUDE_WIDTH, MAX_KEYS, Model, Pending, Strategy, refresh, slot_attributes,
    slots, total,
};

/// What the search starts from and may use.
pub(crate) struct Search<'s> {
    /// The single-slot candidates.
    pub atomic: &'s BTreeSet<usize>,
    /// Per table, the attributes its queries filter, join and sort on (the keys a widening may add).
    pub attributes: &'s HashMap<QualifiedName, BTreeSet<Key>>,
    /// The indexes the schema has, per table.
    pub existing: &'s HashMap<QualifiedName, Vec<usize>>,
    /// Each table's cost with its existing indexes.
    pub initial: &'s HashMap<QualifiedName, f64>,
    /// The workload's queries.
    pub queries: &'s [usize],
    pub budget: f64,
    pub strategy: Strategy,
    pub stats: &'s Stats,
    /// Costs come from the planner (HypoPG).
    pub verified: bool,
}

/// The cheapest configuration the passes found: (workload cost, the indexes chosen, bytes they take).
pub(crate) fn extend(model: &mut Model, s: &Search) -> Option<(f64, Vec<usize>, f64)> {
    let exponents: &[f64] = if s.strategy == Strategy::Greedy {
        &[1.0]
    } else {
        &[1.0, 0.5]
    };
    let mut best: Option<(f64, Vec<usize>, f64)> = None;
    for &exponent in exponents {
        let (chosen, used) = pass(model, s, exponent);
        let cost = total(model, s.queries, &chosen, s.existing);
        if best.as_ref().is_none_or(|b| cost < b.0 - 1e-9) {
            best = Some((cost, chosen, used));
        }
    }
    best
}

/// One pass: steps while one fits the budget and saves anything, then the picks a later step made
/// useless dropped. Returns the indexes chosen and the bytes they take.
fn pass(model: &mut Model, s: &Search, exponent: f64) -> (Vec<usize>, f64) {
    let mut chosen: Vec<usize> = vec![];
    let mut used = 0.0;
    let mut current = s.initial.clone();
    let mut bounds: HashMap<(usize, usize), f64> = HashMap::new();
    loop {
        let mut pending: Vec<Pending> = vec![];
        for &c in s.atomic {
            if chosen.contains(&c) {
                continue;
            }
            let def = model.defs[c].clone();
            if !current.contains_key(&def.table)
                || chosen.iter().any(|&x| model.defs[x].serves(&def))
            {
                continue;
            }
            let mut next = chosen.clone();
            next.push(c);
            let size = model.sizes[c];
            pending.push(((usize::MAX, c), next, size, def.table.clone()));
        }
        for pos in 0..chosen.len() {
            if s.strategy == Strategy::Greedy {
                break;
            }
            let base = model.defs[chosen[pos]].clone();
            if base.method != Method::Btree {
                continue;
            }
            let widened = widenings(model, &base, s);
            for d in widened {
                let id = model.id(d);
                if chosen.contains(&id) {
                    continue;
                }
                let mut next = chosen.clone();
                next[pos] = id;
                let delta = model.sizes[id] - model.sizes[chosen[pos]];
                pending.push(((chosen[pos], id), next, delta, base.table.clone()));
            }
        }
        pending.retain(|(_, _, delta, _)| used + delta <= s.budget);
        let mut pending: Vec<(f64, Pending)> = pending
            .into_iter()
            .map(|p| (bounds.get(&p.0).copied().unwrap_or(f64::INFINITY), p))
            .collect();
        pending.sort_by(|a, b| b.0.total_cmp(&a.0));
        // (benefit per byte, new chosen set, size delta, table)
        let mut best: Option<(f64, Vec<usize>, f64, QualifiedName)> = None;
        for (bound, (key, next, delta, table)) in pending {
            if best.as_ref().is_some_and(|b| b.0 >= bound) {
                break;
            }
            let new_cost = model.evaluate(&table, &next, s.existing);
            let benefit = current[&table] - new_cost;
            let ratio = if benefit <= current[&table] * 1e-6 + 1e-9 {
                0.0
            } else {
                benefit / delta.max(8192.0).powf(exponent)
            };
            bounds.insert(key, ratio);
            if ratio > 0.0 && best.as_ref().is_none_or(|b| ratio > b.0) {
                best = Some((ratio, next, delta, table));
            }
        }
        let Some((_, next, delta, table)) = best else {
            break;
        };
        chosen = next;
        used += delta;
        refresh(model, &mut current, &table, &chosen, s.existing, s.verified);
    }
    // A later step can make an earlier pick useless (a composite serving what a one-column index served):
    // drop chosen indexes that no longer save anything, the least useful first.
    loop {
        let mut worst: Option<(f64, usize)> = None;
        for pos in 0..chosen.len() {
            let table = model.defs[chosen[pos]].table.clone();
            let mut rest = chosen.clone();
            rest.remove(pos);
            let saving = model.evaluate(&table, &rest, s.existing)
                - model.evaluate(&table, &chosen, s.existing);
            if saving <= 0.0 && worst.is_none_or(|(w, _)| saving < w) {
                worst = Some((saving, pos));
            }
        }
        let Some((_, pos)) = worst else { break };
        let removed = chosen.remove(pos);
        used -= model.sizes[removed];
        let table = model.defs[removed].table.clone();
        refresh(model, &mut current, &table, &chosen, s.existing, s.verified);
    }
    (chosen, used)
}

/// The widenings of an index chosen earlier: one more key (an attribute of the queries that search by
/// its leading key), or the other columns a slot reads as INCLUDE (for an index-only scan).
fn widenings(model: &mut Model, base: &IndexDef, s: &Search) -> Vec<IndexDef> {
    let mut widened = vec![];
    if base.keys.len() < MAX_KEYS {
        // Attributes of the queries that search by this index's leading key (as Extend
        // widens by the attributes of the queries that use the index).
        let lead = base.keys.first().map(|k| k.id()).unwrap_or_default();
        let co_occurring: BTreeSet<Key> = model
            .by_table
            .get(&base.table)
            .into_iter()
            .flatten()
            .map(|&s| &model.slots[s])
            .filter(|slot| {
                slot.conds.iter().any(|c| c.key_id() == lead)
                    || slot.joins.iter().any(|(c, _)| *c == lead)
                    || slot.order.iter().any(|(c, _)| *c == lead)
            })
            .flat_map(slot_attributes)
            .collect();
        for attr in s
            .attributes
            .get(&base.table)
            .into_iter()
            .flatten()
            .filter(|a| co_occurring.contains(a))
        {
            if base.keys.iter().any(|k| k.id() == attr.id()) {
                continue;
            }
            let mut d = base.clone();
            d.keys.push(attr.clone());
            d.include
                .retain(|c| c != &attr.column || attr.expression.is_some());
            widened.push(d);
        }
    }
    // INCLUDE the other columns a slot reads, for an index-only scan.
    for &slot in model.by_table.get(&base.table).into_iter().flatten() {
        let Some(needed) = &model.slots[slot].needed else {
            continue;
        };
        let missing: Vec<String> = needed
            .iter()
            .filter(|c| {
                !base
                    .keys
                    .iter()
                    .any(|k| k.expression.is_none() && &&k.column == c)
                    && !base.include.contains(c)
                    && base.predicate.as_ref().is_none_or(|p| &&p.column != c)
            })
            .cloned()
            .collect();
        if missing.is_empty() || missing.len() + base.include.len() > MAX_INCLUDE {
            continue;
        }
        // Carrying wide values (jsonb documents, long text) in the index costs more than the heap
        // visits it saves on any realistic cache.
        let table = model.tables[&base.table];
        let ts = s.stats.table(&base.table);
        let width: f64 = missing
            .iter()
            .map(|c| slots::column_width(table, ts, c))
            .sum();
        if width > MAX_INCLUDE_WIDTH {
            continue;
        }
        let mut d = base.clone();
        d.include.extend(missing);
        d.include.sort();
        widened.push(d);
    }
    widened
}
