//! An index as the advisor reasons about it: an existing one from the catalog, or a candidate.

use dbarch_catalog::{Index, IndexKeyExpr, QualifiedName, TableStats};
use dbarch_sql::expr::quote_ident;
use dbarch_workload::PredicateKind;
use serde::Serialize;

use crate::slots::{Cond, Slot, key_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Btree,
    Gin,
    Brin,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Btree => "btree",
            Method::Gin => "gin",
            Method::Brin => "brin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The column the key reads.
    pub column: String,
    /// The expression, normalised (`lower(email)`), for an expression key.
    pub expression: Option<String>,
    pub desc: bool,
}

impl Key {
    pub fn column(c: &str) -> Self {
        Key {
            column: c.to_string(),
            expression: None,
            desc: false,
        }
    }

    /// What a condition's key must equal for this key to serve it (see [`key_id`]).
    pub fn id(&self) -> String {
        key_id(&self.column, self.expression.as_deref())
    }

    /// The key as written: the column, or the expression.
    pub fn text(&self) -> &str {
        self.expression.as_deref().unwrap_or(&self.column)
    }
}

/// The condition of a partial index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialPredicate {
    pub column: String,
    /// `= 'open'`, `IS NULL`, `IS NOT NULL`.
    pub test: String,
}

impl PartialPredicate {
    /// From a condition a partial index can be built on: equality with a constant, IS [NOT] NULL.
    pub fn of(c: &Cond) -> Option<Self> {
        if c.expression.is_some() {
            return None;
        }
        let test = match (&c.kind, &c.constant) {
            (PredicateKind::Equal, Some(k)) => format!("= {k}"),
            (PredicateKind::IsNull, _) => "IS NULL".to_string(),
            (PredicateKind::IsNotNull, _) => "IS NOT NULL".to_string(),
            _ => return None,
        };
        Some(PartialPredicate {
            column: c.column.clone(),
            test,
        })
    }

    pub fn implied_by(&self, c: &Cond) -> bool {
        PartialPredicate::of(c).as_ref() == Some(self)
    }

    pub fn sql(&self) -> String {
        format!("{} {}", quote_ident(&self.column), self.test)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexDef {
    pub table: QualifiedName,
    pub method: Method,
    pub keys: Vec<Key>,
    pub include: Vec<String>,
    pub predicate: Option<PartialPredicate>,
    /// Operator class of a GIN key (`jsonb_path_ops`, `gin_trgm_ops`).
    pub opclass: Option<String>,
    /// The name of the existing index this is, when it is one.
    pub existing: Option<String>,
}

impl IndexDef {
    pub fn btree(table: &QualifiedName, keys: Vec<Key>) -> Self {
        IndexDef {
            table: table.clone(),
            method: Method::Btree,
            keys,
            include: vec![],
            predicate: None,
            opclass: None,
            existing: None,
        }
    }

    /// An existing index of the catalog (expression keys normalised like the queries' expressions).
    pub fn from_catalog(i: &Index) -> Option<Self> {
        let method = match i.method.as_str() {
            "btree" => Method::Btree,
            "gin" => Method::Gin,
            "brin" => Method::Brin,
            _ => return None,
        };
        let keys = i
            .keys
            .iter()
            .map(|k| match &k.expr {
                IndexKeyExpr::Column(c) => Key {
                    column: c.clone(),
                    expression: None,
                    desc: k.descending,
                },
                IndexKeyExpr::Expression { sql, columns } => Key {
                    column: columns.first().cloned().unwrap_or_default(),
                    expression: Some(sql.clone()),
                    desc: false,
                },
            })
            .collect();
        let predicate = i.predicate.as_ref().and_then(|p| {
            let col = i.predicate_columns.first()?;
            let rest = p.trim().strip_prefix(col.as_str())?.trim();
            // `= 'open'::text` as deparsed: the cast is not part of what the queries write.
            let rest = rest.split("::").next().unwrap_or(rest).trim().to_string();
            Some(PartialPredicate {
                column: col.clone(),
                test: rest,
            })
        });
        Some(IndexDef {
            table: i.table.clone(),
            method,
            keys,
            include: i.include.clone(),
            predicate,
            opclass: i.keys.first().and_then(|k| k.opclass.clone()),
            existing: Some(i.name.name.clone()),
        })
    }

    /// Fraction of the table's rows in the index (a partial index holds the rows of its condition).
    pub fn partial_selectivity(&self, ts: Option<&TableStats>) -> f64 {
        let Some(p) = &self.predicate else { return 1.0 };
        let column = ts.and_then(|t| t.columns.get(&p.column));
        let null_frac = column.and_then(|c| c.null_frac);
        match p.test.as_str() {
            "IS NULL" => null_frac.unwrap_or(0.005),
            "IS NOT NULL" => 1.0 - null_frac.unwrap_or(0.0),
            _ => {
                let d = ts
                    .and_then(|t| t.distinct(&p.column))
                    .unwrap_or(dbarch_catalog::stats::DEFAULT_N_DISTINCT);
                (1.0 - null_frac.unwrap_or(0.0)) / d.max(1.0)
            }
        }
    }

    /// Every column the slot reads is in the index (an index-only scan is possible).
    pub fn covers(&self, slot: &Slot) -> bool {
        if self.method != Method::Btree {
            return false;
        }
        let Some(needed) = &slot.needed else {
            return false;
        };
        needed.iter().all(|c| {
            // A partial index's own condition needs no column to re-check.
            self.predicate.as_ref().is_some_and(|p| {
                &p.column == c
                    && slot
                        .conds
                        .iter()
                        .filter(|x| &x.column == c)
                        .all(|x| p.implied_by(x))
            }) || self
                .keys
                .iter()
                .any(|k| k.expression.is_none() && &k.column == c)
                || self.include.contains(c)
        })
    }

    /// This index makes `other` unnecessary: same method, same condition, and `other`'s keys are a
    /// leading prefix of this one's (the left-prefix rule), its INCLUDE columns among this one's columns.
    pub fn serves(&self, other: &IndexDef) -> bool {
        self.table == other.table
            && self.method == other.method
            && self.predicate == other.predicate
            && self.opclass == other.opclass
            && other.keys.len() <= self.keys.len()
            && other.keys.iter().zip(&self.keys).all(|(a, b)| {
                a.column == b.column
                    && a.expression == b.expression
                    && (a.desc == b.desc || other.keys.len() == 1)
            })
            && other.include.iter().all(|c| {
                self.include.contains(c)
                    || self
                        .keys
                        .iter()
                        .any(|k| k.expression.is_none() && &k.column == c)
            })
    }

    /// The key columns and expressions as text (`lower(email)`, `placed_at DESC`).
    pub fn columns(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| {
                let t = k.text().to_string();
                if k.desc { format!("{t} DESC") } else { t }
            })
            .collect()
    }

    /// The index as a schema change: `CREATE INDEX [CONCURRENTLY] ON table ...`, the name left to
    /// PostgreSQL.
    pub fn change(&self, concurrently: bool) -> dbarch_sql::change::SchemaChange {
        use dbarch_sql::change::{CreateIndex, IndexKey, IndexKeyExpr, SchemaChange};
        let keys = self
            .keys
            .iter()
            .map(|k| IndexKey {
                expr: match &k.expression {
                    Some(e) => IndexKeyExpr::Expression {
                        sql: e.clone(),
                        columns: vec![k.column.clone()],
                    },
                    None => IndexKeyExpr::Column(k.column.clone()),
                },
                opclass: self.opclass.clone(),
                collation: None,
                descending: k.desc,
                nulls_first: None,
            })
            .collect();
        SchemaChange::CreateIndex(CreateIndex {
            table: dbarch_catalog::make::name(&self.table),
            name: None,
            if_not_exists: false,
            unique: false,
            primary: false,
            concurrently,
            method: self.method.as_str().to_string(),
            keys,
            include: self.include.clone(),
            predicate: self.predicate.as_ref().map(PartialPredicate::sql),
            predicate_columns: self.predicate.iter().map(|p| p.column.clone()).collect(),
            nulls_not_distinct: false,
            only: false,
        })
    }

    /// The statement that builds it without blocking writes, written by the DDL emitter (`None` when
    /// an expression of it does not parse).
    pub fn create_sql(&self) -> Option<String> {
        Some(format!(
            "{};",
            dbarch_sql::change::emit(&self.change(true))?
        ))
    }
}

pub fn qualified(name: &QualifiedName) -> String {
    if name.schema == "public" {
        quote_ident(&name.name)
    } else {
        format!("{}.{}", quote_ident(&name.schema), quote_ident(&name.name))
    }
}
