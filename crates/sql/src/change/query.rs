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
    /// The query of `statement`, a CREATE [MATERIALIZED] VIEW (or CREATE TABLE AS) statement, or the
    /// query itself.
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
                s @ crate::NodeEnum::SelectStmt(_) => Some(crate::ast::Node { node: Some(s) }),
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
    /// so a query written with other spacing or keyword case is still the same query, and so is one
    /// that writes the `::text` cast PostgreSQL adds to a string literal (`'x'` is kept as `'x'::text`).
    fn eq(&self, other: &Self) -> bool {
        self.statement == other.statement
            || self.text() == other.text()
            || (self.text().contains('\'')
                && crate::expr::without_text_casts(self.text())
                    == crate::expr::without_text_casts(other.text()))
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

/// The columns of a relation a query names, each as it is named now and as the query names it (they
/// differ after a rename), or `None` when they are not known.
pub type ColumnsOf<'a> = dyn Fn(&ObjName) -> Option<Vec<(String, String)>> + 'a;

impl ViewQuery {
    /// The query with each `*` that stands for a relation's columns written out as those columns, as
    /// PostgreSQL itself binds a view's `*` when the view is created: `columns` gives the columns of a
    /// relation the query names (as it names it). A `*` over a CTE or a subquery is left (its columns are
    /// the query's own, and its stars are expanded in place), and so is one whose columns are not all
    /// known. `None` when the query has no `*` to expand.
    pub fn with_stars_expanded(&self, columns: &ColumnsOf<'_>) -> Option<String> {
        let mut query = self.tree()?.clone();
        let mut stars = Stars::new(columns, false);
        stars.node(&mut query);
        if !stars.expanded {
            return None;
        }
        let text = crate::expr::deparse_stmt(query.node.as_ref()?);
        (!text.is_empty()).then_some(text)
    }

    /// The query as PostgreSQL binds it, written out so that two queries it binds the same way read the
    /// same: `*`s written out (as [`ViewQuery::with_stars_expanded`]), and each column reference
    /// qualified by the relation it binds to and named as that column is named now (`SELECT id FROM t`
    /// and `SELECT t.id FROM t` are one query). A name whose relation is not certain (it is in two of the
    /// FROM items, or a FROM item's columns are not known) is left as written. `None` when the query
    /// does not parse.
    pub fn bound(&self, columns: &ColumnsOf<'_>) -> Option<String> {
        let mut query = self.tree()?.clone();
        Stars::new(columns, true).node(&mut query);
        let text = crate::expr::deparse_stmt(query.node.as_ref()?);
        (!text.is_empty()).then(|| crate::expr::without_text_casts(&text))
    }
}

/// The walk that expands stars (and, when `qualify`, qualifies column references).
struct Stars<'a> {
    columns: &'a ColumnsOf<'a>,
    qualify: bool,
    /// The names of the CTEs in scope.
    ctes: Vec<String>,
    /// The FROM items of each SELECT the walk is in, the innermost last (when `qualify`).
    levels: Vec<Vec<Bound>>,
    expanded: bool,
}

/// A FROM item as a column reference binds to it: its qualifier and its columns (now, as named), when
/// known.
struct Bound {
    qualifier: String,
    columns: Option<Vec<(String, String)>>,
}

/// A relation of a FROM clause, as a star sees it: the name its columns are qualified with, and the
/// relation when it is one of the schema's (not a CTE, a subquery or a function).
struct FromItem {
    qualifier: String,
    relation: Option<ObjName>,
}

impl FromItem {
    /// An item that is not one of the schema's relations, under its alias (if any).
    fn unknown(alias: Option<&ast::Alias>) -> Self {
        FromItem {
            qualifier: alias.map(|a| a.aliasname.clone()).unwrap_or_default(),
            relation: None,
        }
    }
}

impl<'a> Stars<'a> {
    fn new(columns: &'a ColumnsOf<'a>, qualify: bool) -> Self {
        Stars {
            columns,
            qualify,
            ctes: vec![],
            levels: vec![],
            expanded: false,
        }
    }

    fn node(&mut self, n: &mut ast::Node) {
        let Some(node) = n.node.as_mut() else { return };
        match node {
            NodeEnum::SelectStmt(s) => self.select(s),
            NodeEnum::ColumnRef(c) if self.qualify => self.qualify_ref(c),
            NodeEnum::SubLink(s) => {
                self.boxed(&mut s.testexpr);
                self.boxed(&mut s.subselect);
            }
            NodeEnum::SortBy(s) => self.boxed(&mut s.node),
            NodeEnum::AIndirection(a) => self.boxed(&mut a.arg),
            NodeEnum::BooleanTest(t) => self.boxed(&mut t.arg),
            NodeEnum::MinMaxExpr(m) => self.all(&mut m.args),
            NodeEnum::RowExpr(r) => self.all(&mut r.args),
            NodeEnum::AArrayExpr(a) => self.all(&mut a.elements),
            NodeEnum::CollateClause(c) => self.boxed(&mut c.arg),
            NodeEnum::NamedArgExpr(a) => self.boxed(&mut a.arg),
            NodeEnum::GroupingSet(g) => self.all(&mut g.content),
            NodeEnum::RangeSubselect(s) => self.boxed(&mut s.subquery),
            NodeEnum::JoinExpr(j) => {
                self.boxed(&mut j.larg);
                self.boxed(&mut j.rarg);
                self.boxed(&mut j.quals);
            }
            NodeEnum::ResTarget(r) => self.boxed(&mut r.val),
            NodeEnum::AExpr(e) => {
                self.boxed(&mut e.lexpr);
                self.boxed(&mut e.rexpr);
            }
            NodeEnum::BoolExpr(e) => self.all(&mut e.args),
            NodeEnum::FuncCall(f) => {
                self.all(&mut f.args);
                self.all(&mut f.agg_order);
                self.boxed(&mut f.agg_filter);
                if let Some(w) = &mut f.over {
                    self.all(&mut w.partition_clause);
                    self.all(&mut w.order_clause);
                }
            }
            NodeEnum::CoalesceExpr(c) => self.all(&mut c.args),
            NodeEnum::CaseExpr(c) => {
                self.all(&mut c.args);
                self.boxed(&mut c.defresult);
            }
            NodeEnum::CaseWhen(w) => {
                self.boxed(&mut w.expr);
                self.boxed(&mut w.result);
            }
            NodeEnum::TypeCast(t) => self.boxed(&mut t.arg),
            NodeEnum::NullTest(t) => self.boxed(&mut t.arg),
            NodeEnum::List(l) => self.all(&mut l.items),
            _ => {}
        }
    }

    fn boxed(&mut self, n: &mut Option<Box<ast::Node>>) {
        if let Some(n) = n {
            self.node(n);
        }
    }

    fn all(&mut self, nodes: &mut [ast::Node]) {
        for n in nodes {
            self.node(n);
        }
    }

    fn select(&mut self, s: &mut ast::SelectStmt) {
        let scope = self.ctes.len();
        if let Some(w) = &mut s.with_clause {
            for c in &mut w.ctes {
                if let Some(NodeEnum::CommonTableExpr(c)) = c.node.as_mut() {
                    // A recursive CTE sees itself; others see only those before them.
                    if w.recursive {
                        self.ctes.push(c.ctename.clone());
                    }
                    self.boxed(&mut c.ctequery);
                    if !w.recursive {
                        self.ctes.push(c.ctename.clone());
                    }
                }
            }
        }
        if let Some(l) = &mut s.larg {
            self.select(l);
        }
        if let Some(r) = &mut s.rarg {
            self.select(r);
        }
        let mut items = vec![];
        let simple = s
            .from_clause
            .iter()
            .all(|f| self.relations_of(f, &mut items));
        if self.qualify {
            let level = items
                .iter()
                .map(|i| Bound {
                    qualifier: i.qualifier.clone(),
                    columns: i.relation.as_ref().and_then(|r| (self.columns)(r)),
                })
                .collect();
            self.levels.push(level);
        }
        self.all(&mut s.from_clause);
        self.boxed(&mut s.where_clause);
        self.boxed(&mut s.having_clause);
        if self.qualify {
            self.all(&mut s.group_clause);
            self.all(&mut s.distinct_clause);
            self.all(&mut s.window_clause);
        }
        let mut targets = Vec::with_capacity(s.target_list.len());
        for mut t in std::mem::take(&mut s.target_list) {
            match self.star_columns(&t, &items, simple) {
                Some(expanded) => {
                    self.expanded = true;
                    targets.extend(expanded);
                }
                None => {
                    self.node(&mut t);
                    targets.push(t);
                }
            }
        }
        s.target_list = targets;
        if self.qualify {
            // ORDER BY a bare name of an output column sorts by that column's expression, whatever the
            // FROM items hold, and the server keeps it as that expression.
            for sort in &mut s.sort_clause {
                let Some(NodeEnum::SortBy(by)) = sort.node.as_mut() else {
                    continue;
                };
                let output = match by.node.as_deref().and_then(|n| n.node.as_ref()) {
                    Some(NodeEnum::ColumnRef(c)) => match c.fields.as_slice() {
                        [f] => field(f).and_then(|name| {
                            s.target_list
                                .iter()
                                .find(|t| output_name(t).as_deref() == Some(name))
                        }),
                        _ => None,
                    },
                    _ => None,
                };
                match output.and_then(target_value) {
                    Some(value) => by.node = Some(Box::new(value.clone())),
                    None => self.boxed(&mut by.node),
                }
            }
            self.levels.pop();
        }
        self.ctes.truncate(scope);
    }

    /// Qualifies a column reference by the FROM item it binds to, and names the column as it is named
    /// now: the innermost SELECT whose FROM items hold the name decides, as PostgreSQL binds it. Left as
    /// written when that is not certain.
    fn qualify_ref(&self, c: &mut ast::ColumnRef) {
        let fields: Vec<Option<&str>> = c.fields.iter().map(field).collect();
        let found = match fields.as_slice() {
            [Some(name)] => self.bind(|b| b.columns.is_none() || column(b, name).is_some(), name),
            [Some(q), Some(name)] => self.bind(|b| b.qualifier == *q, name),
            _ => return,
        };
        if let Some((qualifier, now)) = found {
            c.fields = vec![string_node(&qualifier), string_node(&now)];
        }
    }

    /// The FROM item at the innermost level with an item `holds` accepts, when it is the only one there
    /// and its column `name` is known: its qualifier and the column's name now.
    fn bind(&self, holds: impl Fn(&Bound) -> bool, name: &str) -> Option<(String, String)> {
        for level in self.levels.iter().rev() {
            let hits: Vec<&Bound> = level.iter().filter(|b| holds(b)).collect();
            match hits.as_slice() {
                [] => continue,
                [one] => {
                    let now = column(one, name)?;
                    return Some((one.qualifier.clone(), now.to_string()));
                }
                _ => return None,
            }
        }
        None
    }

    /// The relations of one FROM entry, in order; false when a `*` over them cannot be expanded (a
    /// join USING or NATURAL merges columns).
    fn relations_of(&self, f: &ast::Node, out: &mut Vec<FromItem>) -> bool {
        match f.node.as_ref() {
            Some(NodeEnum::RangeVar(rv)) => {
                let is_cte = rv.schemaname.is_empty() && self.ctes.contains(&rv.relname);
                out.push(FromItem {
                    qualifier: rv
                        .alias
                        .as_ref()
                        .map_or(rv.relname.clone(), |a| a.aliasname.clone()),
                    relation: (!is_cte).then(|| super::obj_name(rv)),
                });
                true
            }
            Some(NodeEnum::JoinExpr(j)) => {
                let left = j.larg.as_deref().is_some_and(|l| self.relations_of(l, out));
                let right = j.rarg.as_deref().is_some_and(|r| self.relations_of(r, out));
                left && right && !j.is_natural && j.using_clause.is_empty() && j.alias.is_none()
            }
            Some(NodeEnum::RangeSubselect(s)) => {
                out.push(FromItem::unknown(s.alias.as_ref()));
                true
            }
            // A function or another item: columns not known.
            Some(NodeEnum::RangeFunction(f)) => {
                out.push(FromItem::unknown(f.alias.as_ref()));
                false
            }
            _ => {
                out.push(FromItem::unknown(None));
                false
            }
        }
    }

    /// The targets a `*` or `q.*` target stands for, when it stands for known columns of relations.
    fn star_columns(
        &self,
        t: &ast::Node,
        items: &[FromItem],
        simple: bool,
    ) -> Option<Vec<ast::Node>> {
        let Some(NodeEnum::ResTarget(r)) = t.node.as_ref() else {
            return None;
        };
        let Some(NodeEnum::ColumnRef(c)) = r.val.as_deref().and_then(|v| v.node.as_ref()) else {
            return None;
        };
        let fields: Vec<Option<&str>> = c.fields.iter().map(field).collect();
        let chosen: Vec<&FromItem> = match fields.as_slice() {
            [None] if simple && !items.is_empty() => items.iter().collect(),
            [Some(q), None] => {
                let matching: Vec<&FromItem> = items.iter().filter(|i| i.qualifier == *q).collect();
                match matching.as_slice() {
                    [one] => vec![*one],
                    _ => return None,
                }
            }
            _ => return None,
        };
        let mut out = vec![];
        for item in chosen {
            let relation = item.relation.as_ref()?;
            for (now, _) in (self.columns)(relation)? {
                out.push(column_target(&item.qualifier, &now, r.location));
            }
        }
        Some(out)
    }
}

/// The column of a FROM item the query names `name`: its name now.
fn column<'b>(b: &'b Bound, name: &str) -> Option<&'b str> {
    b.columns
        .as_ref()?
        .iter()
        .find(|(_, named)| named == name)
        .map(|(now, _)| now.as_str())
}

/// A target's expression.
fn target_value(t: &ast::Node) -> Option<&ast::Node> {
    match t.node.as_ref() {
        Some(NodeEnum::ResTarget(r)) => r.val.as_deref(),
        _ => None,
    }
}

/// The name a target gives its output column: its alias, or the column it reads.
fn output_name(t: &ast::Node) -> Option<String> {
    let Some(NodeEnum::ResTarget(r)) = t.node.as_ref() else {
        return None;
    };
    if !r.name.is_empty() {
        return Some(r.name.clone());
    }
    match r.val.as_deref().and_then(|v| v.node.as_ref()) {
        Some(NodeEnum::ColumnRef(c)) => c.fields.last().and_then(field).map(str::to_string),
        _ => None,
    }
}

/// A String node (a name in a column reference).
fn string_node(s: &str) -> ast::Node {
    ast::Node {
        node: Some(NodeEnum::String(ast::String {
            sval: s.to_string(),
        })),
    }
}

/// The target `qualifier.column`.
fn column_target(qualifier: &str, column: &str, location: i32) -> ast::Node {
    ast::Node {
        node: Some(NodeEnum::ResTarget(Box::new(ast::ResTarget {
            name: String::new(),
            indirection: vec![],
            val: Some(Box::new(ast::Node {
                node: Some(NodeEnum::ColumnRef(ast::ColumnRef {
                    fields: vec![string_node(qualifier), string_node(column)],
                    location,
                })),
            })),
            location,
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(n: &ObjName) -> Option<Vec<(String, String)>> {
        let named = |cols: &[&str]| {
            cols.iter()
                .map(|c| (c.to_string(), c.to_string()))
                .collect()
        };
        match n.name.as_str() {
            "comment" => Some(named(&["id", "Body"])),
            "post" => Some(named(&["id", "title"])),
            // `name` was renamed `label` since.
            "tag" => Some(vec![
                ("id".into(), "id".into()),
                ("label".into(), "name".into()),
            ]),
            _ => None,
        }
    }

    fn expand(sql: &str) -> Option<String> {
        ViewQuery::new(sql).with_stars_expanded(&columns)
    }

    fn bound(sql: &str) -> String {
        ViewQuery::new(sql).bound(&columns).unwrap_or_default()
    }

    #[test]
    fn column_references_are_bound_as_postgresql_binds_them() {
        // Qualified or not, one relation's column is the same reference.
        assert_eq!(
            bound("CREATE VIEW v AS SELECT id, title FROM post WHERE id > 1 ORDER BY title"),
            bound(
                "CREATE VIEW v AS SELECT post.id, post.title FROM post WHERE post.id > 1 ORDER BY post.title"
            )
        );
        assert_eq!(
            bound("CREATE VIEW v AS SELECT title FROM post p JOIN comment c ON c.id = p.id"),
            "SELECT p.title FROM post p JOIN comment c ON c.id = p.id"
        );
        // A name in two FROM items, or with an item whose columns are not known, stays as written.
        assert_eq!(
            bound("CREATE VIEW v AS SELECT id FROM post JOIN other ON true"),
            "SELECT id FROM post JOIN other ON true"
        );
        // A subquery binds a name to its own FROM items first, then to the enclosing query's.
        assert_eq!(
            bound(
                "CREATE VIEW v AS SELECT (SELECT max(id) FROM comment WHERE comment.id = title::int) FROM post"
            ),
            "SELECT (SELECT max(comment.id) FROM comment WHERE comment.id = post.title::int) FROM post"
        );
        // A renamed column is named as it is now; ORDER BY an output name is by its expression.
        assert_eq!(
            bound("CREATE VIEW v AS SELECT name AS n FROM tag ORDER BY n"),
            "SELECT tag.label AS n FROM tag ORDER BY tag.label"
        );
        assert_eq!(
            bound("CREATE VIEW v AS SELECT * FROM tag"),
            "SELECT tag.id, tag.label FROM tag"
        );
        // A literal's text cast is the server's spelling too.
        assert_eq!(
            bound("CREATE VIEW v AS SELECT id FROM post WHERE title = 'x'::text"),
            bound("CREATE VIEW v AS SELECT id FROM post WHERE title = 'x'")
        );
    }

    #[test]
    fn a_text_cast_on_a_literal_is_the_same_query() {
        let q =
            |s: &str| ViewQuery::new(&format!("CREATE VIEW v AS SELECT id FROM t WHERE s = {s}"));
        assert_eq!(q("'deleting'"), q("'deleting'::text"));
        assert_ne!(q("'deleting'"), q("'deleted'::text"));
    }

    #[test]
    fn stars_over_relations_are_written_out() {
        assert_eq!(
            expand("CREATE VIEW v AS SELECT c.*, 1 AS one FROM comment c").as_deref(),
            Some("SELECT c.id, c.\"Body\", 1 AS one FROM comment c")
        );
        assert_eq!(
            expand("CREATE VIEW v AS SELECT * FROM comment c JOIN post p ON p.id = c.id")
                .as_deref(),
            Some(
                "SELECT c.id, c.\"Body\", p.id, p.title FROM comment c JOIN post p ON p.id = c.id"
            )
        );
        // Inside a CTE; the star over the CTE stays (its columns are the CTE's, now written out).
        assert_eq!(
            expand("CREATE VIEW v AS WITH a AS (SELECT c.* FROM comment c) SELECT a.* FROM a")
                .as_deref(),
            Some("WITH a AS (SELECT c.id, c.\"Body\" FROM comment c) SELECT a.* FROM a")
        );
        // In a scalar subquery and a UNION.
        assert_eq!(
            expand("CREATE VIEW v AS SELECT (SELECT count(*) FROM post) AS n UNION ALL SELECT 1")
                .as_deref(),
            None
        );
        assert_eq!(
            expand("CREATE VIEW v AS SELECT * FROM post UNION ALL SELECT * FROM post").as_deref(),
            Some(
                "SELECT post.id, post.title FROM post UNION ALL SELECT post.id, post.title FROM post"
            )
        );
    }

    #[test]
    fn stars_that_cannot_be_written_out_stay() {
        // Unknown columns, a join USING, a function in FROM, no star.
        assert_eq!(expand("CREATE VIEW v AS SELECT * FROM other"), None);
        assert_eq!(
            expand("CREATE VIEW v AS SELECT * FROM comment JOIN post USING (id)"),
            None
        );
        assert_eq!(
            expand("CREATE VIEW v AS SELECT * FROM generate_series(1, 2)"),
            None
        );
        assert_eq!(expand("CREATE VIEW v AS SELECT id FROM comment"), None);
    }
}
