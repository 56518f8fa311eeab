//! Indexes: CREATE INDEX.

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self};
use dbarch_sql::expr::{column_refs, deparse_expr};

use std::sync::Arc;

use crate::names::default_name;

use super::*;

impl Catalog {
    pub(super) fn create_index(&mut self, s: &ast::IndexStmt, cx: &Ctx) {
        let Some(rv) = &s.relation else { return };
        let table = self.resolve(rv);
        let mut keys = vec![];
        for p in &s.index_params {
            let Some(NodeEnum::IndexElem(e)) = p.node.as_ref() else {
                continue;
            };
            let expr = if !e.name.is_empty() {
                IndexKeyExpr::Column(e.name.clone())
            } else if let Some(x) = &e.expr {
                match x.node.as_ref() {
                    Some(NodeEnum::ColumnRef(_)) => {
                        IndexKeyExpr::Column(column_refs(x).pop().unwrap_or_default())
                    }
                    _ => IndexKeyExpr::Expression {
                        sql: deparse_expr(x),
                        columns: column_refs(x),
                    },
                }
            } else {
                continue;
            };
            let opclass = {
                let o = strings(&e.opclass);
                if o.is_empty() {
                    None
                } else {
                    Some(o.join("."))
                }
            };
            let collation = {
                let c = strings(&e.collation);
                if c.is_empty() {
                    None
                } else {
                    Some(c.join("."))
                }
            };
            keys.push(IndexKey {
                expr,
                opclass,
                collation,
                descending: e.ordering == ast::SortByDir::SortbyDesc as i32,
                nulls_first: match e.nulls_ordering {
                    x if x == ast::SortByNulls::SortbyNullsFirst as i32 => Some(true),
                    x if x == ast::SortByNulls::SortbyNullsLast as i32 => Some(false),
                    _ => None,
                },
            });
        }
        let name = if s.idxname.is_empty() {
            let parts: Vec<String> = keys
                .iter()
                .map(|k| match &k.expr {
                    IndexKeyExpr::Column(c) => c.clone(),
                    IndexKeyExpr::Expression { sql, .. } => {
                        sql.split('(').next().unwrap_or("expr").trim().to_string()
                    }
                })
                .collect();
            let base = default_name(&table.name, &parts, "idx");
            // PostgreSQL takes the base, else the first free `base1`, `base2`, ...: the numbers in use
            // are read in one pass over the names that start with the base (the index map is ordered),
            // so 10,000 unnamed indexes on one column replay in well under a second.
            let mut used = vec![];
            for k in self
                .indexes
                .range(QualifiedName::new(table.schema.clone(), base.clone())..)
                .map(|(k, _)| k)
                .take_while(|k| k.schema == table.schema && k.name.starts_with(&base))
            {
                let rest = &k.name[base.len()..];
                let n = if rest.is_empty() {
                    Some(0)
                } else if rest.bytes().all(|b| b.is_ascii_digit()) && !rest.starts_with('0') {
                    rest.parse::<usize>().ok()
                } else {
                    None
                };
                // Only numbers up to the count can be the first free one.
                if let Some(n) = n.filter(|&n| n <= self.indexes.len()) {
                    if used.len() <= n {
                        used.resize(n + 1, false);
                    }
                    used[n] = true;
                }
            }
            match used.iter().position(|u| !u).unwrap_or(used.len()) {
                0 => base,
                n => format!("{base}{n}"),
            }
        } else {
            s.idxname.clone()
        };
        let qname = QualifiedName::new(table.schema.clone(), name);
        if s.if_not_exists && self.indexes.contains_key(&qname) {
            return;
        }
        if !self.tables.contains_key(&table) && !self.views.contains_key(&table) {
            self.note(cx, format!("index on unknown table {table}"));
        }
        let origin = cx.whole();
        let idx = Index {
            name: qname.clone(),
            table,
            unique: s.unique,
            primary: s.primary,
            method: if s.access_method.is_empty() {
                "btree".into()
            } else {
                s.access_method.to_ascii_lowercase()
            },
            keys,
            include: elem_names(&s.index_including_params),
            predicate: s.where_clause.as_ref().map(|w| deparse_expr(w)),
            predicate_columns: s
                .where_clause
                .as_ref()
                .map(|w| column_refs(w))
                .unwrap_or_default(),
            nulls_not_distinct: s.nulls_not_distinct,
            source: IndexSource::CreateIndex,
            origin,
        };
        self.indexes.insert(qname, Arc::new(idx));
    }

    pub(super) fn index_columns(&self, table: &QualifiedName, index: &str) -> Vec<String> {
        let q = QualifiedName::new(table.schema.clone(), index.to_string());
        self.indexes
            .get(&q)
            .map(|i| i.key_columns().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    }
}
