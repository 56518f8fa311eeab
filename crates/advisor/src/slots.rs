//! What the workload asks of each table: one [`Slot`] per (query, SELECT block, table) — the conditions
//! an index could serve there, the order and limit, the columns read, the join that could probe it — and
//! one per write, whose rows every index on the table must absorb.

use std::collections::BTreeSet;

use dbarch_catalog::{Catalog, QualifiedName, Stats, Table, TableStats};
use dbarch_sql::NodeEnum;
use dbarch_workload::{PredicateKind, QueryShape, Workload};

/// A condition on one column (or one expression over a column) of the slot's table.
#[derive(Debug, Clone)]
pub struct Cond {
    pub column: String,
    /// The expression (`lower(email)`, qualifiers dropped), when the condition is on an expression.
    pub expression: Option<String>,
    pub kind: PredicateKind,
    /// Fraction of the table's rows it keeps.
    pub selectivity: f64,
    /// The constant it compares with, as SQL (`'open'`, `true`), when there is one: what a partial index
    /// can be built on.
    pub constant: Option<String>,
}

impl Cond {
    pub fn is_equality(&self) -> bool {
        matches!(self.kind, PredicateKind::Equal | PredicateKind::In(_))
    }

    pub fn is_range(&self) -> bool {
        matches!(self.kind, PredicateKind::Range | PredicateKind::LikePrefix)
    }

    /// Served by GIN (jsonb, arrays, full text, trigram LIKE '%x%').
    pub fn is_gin(&self) -> bool {
        matches!(
            self.kind,
            PredicateKind::JsonContains
                | PredicateKind::JsonKeyExists
                | PredicateKind::ArrayOverlap
                | PredicateKind::FullText
                | PredicateKind::LikeContains
        )
    }

    /// The key an index needs to serve this condition, normalised for comparison (see [`key_id`]).
    pub fn key_id(&self) -> String {
        key_id(&self.column, self.expression.as_deref())
    }
}

/// A write to the slot's table, which each index on the table must follow.
#[derive(Debug, Clone)]
pub struct Write {
    /// Rows written per execution.
    pub rows: f64,
    /// The columns an UPDATE sets: an index on none of them is spared (a HOT update). `None` for INSERT
    /// and DELETE, which touch every index.
    pub columns: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Slot {
    /// Index of the query in the workload.
    pub query: usize,
    /// How often the query runs.
    pub weight: f64,
    pub table: QualifiedName,
    pub rows: f64,
    /// Heap pages.
    pub pages: f64,
    pub conds: Vec<Cond>,
    /// ORDER BY keys an index could deliver (only when the block reads this table alone).
    pub order: Vec<(String, bool)>,
    /// LIMIT, when the block reads this table alone.
    pub limit: Option<f64>,
    /// The columns of the table the block reads (for index-only scans); `None` when it reads them all.
    pub needed: Option<BTreeSet<String>>,
    /// A join edge that could probe this table by one of its columns: (column, rows on the other side).
    pub joins: Vec<(String, f64)>,
    /// Rows the block keeps from this table (all conditions applied).
    pub output_rows: f64,
    pub write: Option<Write>,
    /// False for an INSERT: it reads nothing, only its index upkeep counts.
    pub reads: bool,
}

/// An expression without the query's qualifiers (`lower(u.email)` -> `lower(email)`).
pub fn unqualified(sql: &str, qualifiers: &[&str]) -> String {
    let mut s = sql.to_string();
    for q in qualifiers {
        s = s.replace(&format!("{q}."), "");
    }
    s
}

/// What two keys are compared by: the column, or the expression in lower case without spaces (so
/// `lower(email)` in a query matches `LOWER( email )` in an index).
pub fn key_id(column: &str, expression: Option<&str>) -> String {
    match expression {
        None => column.to_string(),
        Some(e) => e
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase(),
    }
}

/// The catalog's table for a relation name as the query writes it.
pub fn resolve<'a>(catalog: &'a Catalog, schema: Option<&str>, name: &str) -> Option<&'a Table> {
    match schema {
        Some(s) => catalog.table(&QualifiedName::new(s, name)),
        None => catalog
            .search_path
            .iter()
            .filter(|s| s.as_str() != "$user")
            .chain(std::iter::once(&"public".to_string()))
            .find_map(|s| catalog.table(&QualifiedName::new(s.clone(), name))),
    }
}

/// Heap pages of a table: from the statistics, else from rows and the average row width.
pub fn heap_pages(table: &Table, stats: Option<&TableStats>, rows: f64) -> f64 {
    if let Some(p) = stats.and_then(|s| s.pages) {
        return p.max(1.0);
    }
    let width: f64 = table
        .columns
        .iter()
        .map(|c| column_width(table, stats, &c.name))
        .sum();
    // Tuple header 23 bytes (aligned to 24) and a 4-byte line pointer per row; 8168 usable bytes a page.
    (rows * (width + 28.0) / 8168.0).ceil().max(1.0)
}

/// Average width of a column: the statistics' avg_width, else the type's usual width.
pub fn column_width(table: &Table, stats: Option<&TableStats>, column: &str) -> f64 {
    stats
        .and_then(|s| s.columns.get(column))
        .and_then(|c| c.avg_width)
        .unwrap_or_else(|| dbarch_catalog::stats::type_width(table, column))
}

pub fn slots(workload: &Workload, catalog: &Catalog, stats: &Stats) -> Vec<Slot> {
    slots_and_refusals(workload, catalog, stats).0
}

/// The workload's slots, and the queries left out because PostgreSQL would refuse them (query, why).
pub fn slots_and_refusals(
    workload: &Workload,
    catalog: &Catalog,
    stats: &Stats,
) -> (Vec<Slot>, Vec<(usize, String)>) {
    let mut out = vec![];
    let mut refused = vec![];
    for (qi, q) in workload.queries.iter().enumerate() {
        let weight = q.calls.max(1) as f64;
        let node = &q.statement.node;
        if let NodeEnum::InsertStmt(i) = node {
            insert_slot(qi, weight, i, catalog, stats, &mut out);
        }
        let mut shapes = QueryShape::of(node);
        for shape in &mut shapes {
            shape.resolve(|r, col| {
                resolve(catalog, r.schema.as_deref(), &r.name)
                    .is_some_and(|t| t.column(col).is_some())
            });
        }
        let update_columns = match node {
            NodeEnum::UpdateStmt(u) => Some(
                u.target_list
                    .iter()
                    .filter_map(|t| match &t.node {
                        Some(NodeEnum::ResTarget(rt)) => Some(rt.name.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        let is_write = matches!(node, NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_));
        for (bi, shape) in shapes.iter().enumerate() {
            let write_target = is_write && bi == 0;
            block_slots(
                qi,
                weight,
                shape,
                catalog,
                stats,
                write_target.then(|| update_columns.clone()),
                (&mut out, &mut refused),
            );
        }
    }
    refused.dedup_by_key(|(q, _)| *q);
    (out, refused)
}

fn insert_slot(
    qi: usize,
    weight: f64,
    i: &dbarch_sql::ast::InsertStmt,
    catalog: &Catalog,
    stats: &Stats,
    out: &mut Vec<Slot>,
) {
    let Some(rv) = &i.relation else { return };
    let schema = (!rv.schemaname.is_empty()).then_some(rv.schemaname.as_str());
    let Some(table) = resolve(catalog, schema, &rv.relname) else {
        return;
    };
    let rows_written = match i.select_stmt.as_ref().and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::SelectStmt(s)) if !s.values_lists.is_empty() => s.values_lists.len() as f64,
        _ => 1.0,
    };
    let ts = stats.table(&table.name);
    let rows = ts
        .map(|t| t.rows)
        .unwrap_or(dbarch_catalog::stats::DEFAULT_ROWS);
    out.push(Slot {
        query: qi,
        weight,
        table: table.name.clone(),
        rows,
        pages: heap_pages(table, ts, rows),
        conds: vec![],
        order: vec![],
        limit: None,
        needed: Some(BTreeSet::new()),
        joins: vec![],
        output_rows: 0.0,
        write: Some(Write {
            rows: rows_written,
            columns: None,
        }),
        reads: false,
    });
}

fn block_slots(
    qi: usize,
    weight: f64,
    shape: &QueryShape,
    catalog: &Catalog,
    stats: &Stats,
    write: Option<Option<Vec<String>>>,
    (out, refusals): (&mut Vec<Slot>, &mut Vec<(usize, String)>),
) {
    let qualifiers: Vec<&str> = shape.relations.iter().map(|r| r.reference()).collect();
    let tables: Vec<Option<&Table>> = shape
        .relations
        .iter()
        .map(|r| {
            if r.name.is_empty() {
                None
            } else {
                resolve(catalog, r.schema.as_deref(), &r.name)
            }
        })
        .collect();
    // An unqualified column belongs to the one relation whose table has it.
    let owner = |rel: Option<usize>, column: &str| -> Option<usize> {
        rel.or_else(|| {
            let owners: Vec<usize> = tables
                .iter()
                .enumerate()
                .filter(|(_, t)| t.is_some_and(|t| t.column(column).is_some()))
                .map(|(i, _)| i)
                .collect();
            (owners.len() == 1).then(|| owners[0])
        })
    };
    // Rows each relation keeps after its own conditions (for the other side of a join).
    let mut kept = vec![f64::INFINITY; shape.relations.len()];
    // A comparison PostgreSQL refuses (`text_col = 42`: no such operator) makes the query one that never
    // runs: no index is proposed for it.
    let refused = shape.predicates.iter().find_map(|p| {
        let column = owner(p.relation, &p.column)
            .and_then(|r| tables[r])
            .and_then(|t| t.column(&p.column));
        match (column, p.operand_type.as_deref(), p.expression.is_none()) {
            (Some(c), Some(operand), true) => c
                .data_type
                .comparison_group()
                .zip(dbarch_sql::change::comparison_group(operand))
                .is_some_and(|(a, b)| dbarch_sql::change::comparison_refused(a, b))
                .then(|| {
                    format!(
                        "PostgreSQL refuses it: {} is {} and is compared with a value of type {operand} \
                         (operator does not exist)",
                        c.name, c.data_type
                    )
                }),
            _ => None,
        }
    });
    if let Some(why) = refused {
        refusals.push((qi, why));
        return;
    }
    let mut per_relation: Vec<Vec<Cond>> = vec![vec![]; shape.relations.len()];
    for p in &shape.predicates {
        let Some(r) = owner(p.relation, &p.column) else {
            continue;
        };
        let Some(table) = tables[r] else { continue };
        if table.column(&p.column).is_none() {
            continue;
        }
        let ts = stats.table(&table.name);
        let expression = p.expression.as_deref().map(|e| unqualified(e, &qualifiers));
        // An index key must be IMMUTABLE: a condition on `date(created_at)` of a timestamptz cannot be
        // served by an index on it (PostgreSQL refuses to build one), so it is no key to propose.
        if let Some(e) = &expression
            && !dbarch_sql::immutable::index_expression_is_immutable(e, &|c: &str| {
                table.column(c).map(|c| c.data_type.name.clone())
            })
        {
            continue;
        }
        per_relation[r].push(Cond {
            column: p.column.clone(),
            expression,
            kind: p.kind.clone(),
            selectivity: p.selectivity(ts),
            constant: p
                .constant
                .as_ref()
                .map(|c| match p.operand_type.as_deref() {
                    Some("integer" | "numeric" | "boolean") => c.clone(),
                    _ => format!("'{}'", c.replace('\'', "''")),
                }),
        });
    }
    for (r, t) in tables.iter().enumerate() {
        if let Some(t) = t {
            let ts = stats.table(&t.name);
            let rows = ts
                .map(|s| s.rows)
                .unwrap_or(dbarch_catalog::stats::DEFAULT_ROWS);
            kept[r] = rows
                * per_relation[r]
                    .iter()
                    .map(|c| c.selectivity)
                    .product::<f64>();
        }
    }
    let single = shape.relations.len() == 1;
    for (r, t) in tables.iter().enumerate() {
        let Some(table) = t else { continue };
        let ts = stats.table(&table.name);
        let rows = ts
            .map(|s| s.rows)
            .unwrap_or(dbarch_catalog::stats::DEFAULT_ROWS);
        let mut needed = BTreeSet::new();
        let mut all = shape.select_star;
        let mut note = |rel: Option<usize>, col: &str| {
            if owner(rel, col) == Some(r) && table.column(col).is_some() {
                needed.insert(col.to_string());
            }
        };
        for (rel, col) in shape.projected.iter().chain(&shape.group_by) {
            note(*rel, col);
        }
        for p in shape.all_predicates() {
            note(p.relation, &p.column);
        }
        for (rel, col, _) in &shape.order_by {
            note(*rel, col);
        }
        let mut joins = vec![];
        for e in &shape.joins {
            for (mine, other) in [(&e.left, &e.right), (&e.right, &e.left)] {
                if mine.0 == r {
                    note(Some(r), &mine.1);
                    let outer = kept.get(other.0).copied().unwrap_or(f64::INFINITY);
                    if outer.is_finite() && table.column(&mine.1).is_some() {
                        joins.push((mine.1.clone(), outer.max(1.0)));
                    }
                }
            }
        }
        // Conditions under OR cannot use one index: they only need their columns read.
        if !shape.or_columns.is_empty() && single {
            for cols in &shape.or_columns {
                for c in cols {
                    note(Some(r), c);
                }
            }
        }
        if shape.relations.len() > 1 && shape.projected.is_empty() && !shape.select_star {
            all = false;
        }
        let order: Vec<(String, bool)> = if single {
            shape
                .order_by
                .iter()
                .map(|(_, c, d)| (c.clone(), *d))
                .collect()
        } else {
            vec![]
        };
        let conds = per_relation[r].clone();
        let selectivity: f64 = conds.iter().map(|c| c.selectivity).product();
        out.push(Slot {
            query: qi,
            weight,
            table: table.name.clone(),
            rows,
            pages: heap_pages(table, ts, rows),
            conds,
            order,
            // Rows the scan must produce: LIMIT plus OFFSET (a parameter counts as 20 rows, no offset).
            limit: if single {
                shape.limit.map(|l| {
                    l.map(|l| l as f64).unwrap_or(20.0)
                        + shape.offset.flatten().map(|o| o as f64).unwrap_or(0.0)
                })
            } else {
                None
            },
            needed: (!all).then_some(needed),
            joins,
            output_rows: (rows * selectivity).max(1.0),
            write: if r == 0 {
                write.clone().map(|columns| Write {
                    rows: (rows * selectivity).max(1.0),
                    columns,
                })
            } else {
                None
            },
            reads: true,
        });
    }
}
