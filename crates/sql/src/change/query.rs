//! A view's query: its text, parsed only when asked, and what it reads.

use std::fmt;
use std::sync::Arc;

use pg_query::NodeRef;
use serde::Serialize;

use super::ObjName;
use crate::{NodeEnum, ast};

/// A view's query, kept as the text of the statement that defined it and turned into normalized SQL only
/// when asked (most views are never printed or compared, and parsing and deparsing them is the costly
/// part of replaying a long history).
#[derive(Clone, Default)]
pub struct ViewQuery {
    statement: Arc<str>,
    tree: Arc<std::sync::OnceLock<Option<crate::ast::Node>>>,
    text: Arc<std::sync::OnceLock<String>>,
}

impl ViewQuery {
    /// The query of `statement`, a CREATE [MATERIALIZED] VIEW (or CREATE TABLE AS) statement.
    pub fn new(statement: &str) -> Self {
        ViewQuery {
            statement: statement.into(),
            tree: Arc::default(),
            text: Arc::default(),
        }
    }

    /// The text of the statement that defined the view.
    pub fn statement(&self) -> &str {
        &self.statement
    }

    /// The query's parse tree (parsed once, on first use).
    fn tree(&self) -> Option<&crate::ast::Node> {
        self.tree
            .get_or_init(|| match crate::raw::first_statement(&self.statement)? {
                crate::NodeEnum::ViewStmt(v) => v.query.map(|q| *q),
                crate::NodeEnum::CreateTableAsStmt(c) => c.query.map(|q| *q),
                _ => None,
            })
            .as_ref()
    }

    /// The query as SQL text, as the parser reads it back (deparsed once, on first use).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            self.tree()
                .and_then(|q| q.node.as_ref())
                .map(crate::expr::deparse_stmt)
                .unwrap_or_default()
        })
    }
}

impl PartialEq for ViewQuery {
    /// The same statement text means the same query; otherwise the normalized query texts are compared,
    /// so a query written with other spacing or keyword case is still the same query.
    fn eq(&self, other: &Self) -> bool {
        self.statement == other.statement || self.text() == other.text()
    }
}

impl Eq for ViewQuery {}

impl fmt::Debug for ViewQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.text(), f)
    }
}

impl fmt::Display for ViewQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for ViewQuery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text())
    }
}

/// What a query reads, as it names the relations (resolving them is the schema model's job).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryReads {
    /// Columns read for certain: qualified by the relation or its alias, or unqualified in a SELECT over
    /// that relation alone.
    pub columns: Vec<(ObjName, String)>,
    /// Relations read whole: `t.*`, or `*` in a SELECT over that relation alone.
    pub whole: Vec<ObjName>,
    /// Column names of `JOIN ... USING` (read on both sides).
    pub using: Vec<String>,
}

impl ViewQuery {
    /// What the query reads: the columns named (through the relation's name or its alias), the relations
    /// read whole, and the `JOIN ... USING` columns. Only what is certain counts (see [`QueryReads`]).
    pub fn reads(&self) -> QueryReads {
        let mut reads = QueryReads::default();
        let Some(query) = self.tree().and_then(|q| q.node.as_ref()) else {
            return reads;
        };
        let nodes = query.nodes();
        // What each name a query qualifies columns with stands for: an alias, or the relation's own name.
        let mut named: Vec<(&str, ObjName)> = vec![];
        for (n, ..) in &nodes {
            if let NodeRef::RangeVar(rv) = n {
                let key = rv
                    .alias
                    .as_ref()
                    .map_or(rv.relname.as_str(), |a| a.aliasname.as_str());
                named.push((key, super::obj_name(rv)));
            }
        }
        let resolve = |qualifier: &str| -> Vec<ObjName> {
            named
                .iter()
                .filter(|(key, _)| *key == qualifier)
                .map(|(_, n)| n.clone())
                .collect()
        };
        for (n, ..) in &nodes {
            match n {
                NodeRef::ColumnRef(c) => {
                    let fields: Vec<Option<&str>> = c.fields.iter().map(field).collect();
                    match fields.as_slice() {
                        [Some(q), None] => reads.whole.extend(resolve(q)),
                        [Some(q), Some(c)] => {
                            for t in resolve(q) {
                                reads.columns.push((t, c.to_string()));
                            }
                        }
                        [Some(s), Some(t), Some(c)] => reads
                            .columns
                            .push((ObjName::new(Some(s), t), c.to_string())),
                        [Some(s), Some(t), None] => reads.whole.push(ObjName::new(Some(s), t)),
                        _ => {}
                    }
                }
                NodeRef::JoinExpr(j) => {
                    for u in &j.using_clause {
                        if let Some(NodeEnum::String(s)) = u.node.as_ref() {
                            reads.using.push(s.sval.clone());
                        }
                    }
                }
                // A SELECT over one relation with no query nested in it (the whole view, or the usual
                // scalar subquery `(SELECT name FROM post p WHERE p.id = x.post_id)`): its unqualified
                // names and `*` are that relation's.
                NodeRef::SelectStmt(sel) => {
                    let [from] = sel.from_clause.as_slice() else {
                        continue;
                    };
                    let Some(NodeEnum::RangeVar(rv)) = from.node.as_ref() else {
                        continue;
                    };
                    let Some(inner) = leaf_select_nodes(sel) else {
                        continue;
                    };
                    let relation = super::obj_name(rv);
                    for n in &inner {
                        if let NodeRef::ColumnRef(c) = n
                            && let [f] = c.fields.as_slice()
                        {
                            match field(f) {
                                Some(name) => {
                                    reads.columns.push((relation.clone(), name.to_string()))
                                }
                                None => reads.whole.push(relation.clone()),
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        reads
    }
}

/// A column reference's field: a name, or `None` for `*`.
fn field(f: &ast::Node) -> Option<&str> {
    match f.node.as_ref() {
        Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
        _ => None,
    }
}

/// The nodes of a SELECT's own clauses, or `None` when a query is nested in them (a sublink, a CTE, a
/// set operation), whose names may bind elsewhere.
fn leaf_select_nodes(sel: &ast::SelectStmt) -> Option<Vec<NodeRef<'_>>> {
    if sel.with_clause.is_some() || sel.larg.is_some() || sel.rarg.is_some() {
        return None;
    }
    let mut out = vec![];
    let clauses = sel
        .target_list
        .iter()
        .chain(sel.where_clause.as_deref())
        .chain(&sel.group_clause)
        .chain(sel.having_clause.as_deref())
        .chain(&sel.sort_clause);
    for clause in clauses {
        let Some(node) = clause.node.as_ref() else {
            continue;
        };
        out.push(node.to_ref());
        for (n, ..) in node.nodes() {
            if matches!(n, NodeRef::SubLink(_) | NodeRef::SelectStmt(_)) {
                return None;
            }
            out.push(n);
        }
    }
    Some(out)
}
