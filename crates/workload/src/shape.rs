//! The shape of a query: the relations it reads (with aliases), the predicates on each column and their
//! kind, the join edges, ORDER BY / GROUP BY, LIMIT / OFFSET, and whether it projects `*`. One shape per
//! SELECT block: the outer query first, then CTEs and subqueries (in FROM, WHERE and the select list).

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self, AExprKind, BoolExprType, NullTestType};

/// How a predicate constrains a column (what an index can do with it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PredicateKind {
    /// `col = value`.
    Equal,
    /// `col IN (...)` or `col = ANY(...)`, with the list length when written out.
    In(Option<usize>),
    /// `<`, `<=`, `>`, `>=`, BETWEEN.
    Range,
    /// `LIKE 'abc%'`: a prefix an index can use.
    LikePrefix,
    /// `LIKE '%abc'`: a leading wildcard, no B-tree can help.
    LikeContains,
    IsNull,
    IsNotNull,
    NotEqual,
    /// jsonb `@>`.
    JsonContains,
    /// jsonb `?`, `?|`, `?&`.
    JsonKeyExists,
    /// Array `@>`, `<@`, `&&`.
    ArrayOverlap,
    /// Full text `@@`.
    FullText,
    Other,
}

/// A relation in FROM: a table (or view, or CTE) and the alias it goes by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Relation {
    pub schema: Option<String>,
    pub name: String,
    pub alias: Option<String>,
}

impl Relation {
    /// The name the query refers to it by.
    pub fn reference(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A predicate on one column (or on an expression over one column).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Predicate {
    /// Index into [`QueryShape::relations`], when the column could be placed.
    pub relation: Option<usize>,
    pub column: String,
    pub kind: PredicateKind,
    /// The column is wrapped in a function or cast (`lower(email)`, `created_at::date`): the expression.
    pub expression: Option<String>,
    /// The other side is a constant (not a parameter, not a column): e.g. `status = 'open'`.
    pub constant: Option<String>,
    /// The type the other side has as written: `integer` / `numeric` for number literals, `unknown` for a
    /// quoted literal, the target type of a cast (`$1::numeric`); `None` for columns and expressions.
    pub operand_type: Option<String>,
    /// Byte offset of the predicate in the statement text.
    pub location: usize,
}

/// Columns of two relations compared for equality: a join edge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JoinEdge {
    pub left: (usize, String),
    pub right: (usize, String),
}

/// A column and the relation it belongs to, when known.
pub type PlacedColumn = (Option<usize>, String);

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct QueryShape {
    pub relations: Vec<Relation>,
    pub predicates: Vec<Predicate>,
    pub joins: Vec<JoinEdge>,
    /// Relations a join links without a column equality (USING, NATURAL, a non-equality ON condition).
    pub linked: Vec<(usize, usize)>,
    /// ORDER BY columns with `true` for DESC.
    pub order_by: Vec<(Option<usize>, String, bool)>,
    pub group_by: Vec<(Option<usize>, String)>,
    /// LIMIT / OFFSET when written as constants; `Some(None)` when given by a parameter.
    pub limit: Option<Option<i64>>,
    pub offset: Option<Option<i64>>,
    pub select_star: bool,
    /// Columns the select list reads (`(relation, column)`).
    pub projected: Vec<(Option<usize>, String)>,
    /// Predicates combined with OR at the top of WHERE (across different columns or not).
    pub or_columns: Vec<Vec<String>>,
    /// The predicates inside OR branches (not usable as one index condition, still worth judging).
    pub under_or: Vec<Predicate>,
    /// `a = b` between columns of which at least one could not be placed (an unqualified column in a
    /// query over several tables): a join edge once [`QueryShape::resolve`] knows the tables' columns.
    pub unplaced_joins: Vec<(PlacedColumn, PlacedColumn)>,
    /// Each OR at the top of WHERE: the indexes in `under_or` of the predicates of its branches.
    pub or_groups: Vec<Vec<usize>>,
}

impl Predicate {
    /// The fraction of a table's rows the predicate keeps, from the column's statistics where given
    /// (PostgreSQL's own rules of thumb otherwise: 1/200 for equality, 1/3 for a range, 0.5% for IS NULL).
    pub fn selectivity(&self, stats: Option<&dbarch_catalog::TableStats>) -> f64 {
        let column = stats.and_then(|t| t.columns.get(&self.column));
        let distinct = stats
            .and_then(|t| t.distinct(&self.column))
            .unwrap_or(dbarch_catalog::stats::DEFAULT_N_DISTINCT)
            .max(1.0);
        let null_frac = column.and_then(|c| c.null_frac).unwrap_or(0.0);
        // A constant among (or beside) the most common values: its own frequency, as the planner uses.
        let common = self
            .constant
            .as_deref()
            .filter(|_| self.expression.is_none())
            .and_then(|v| column?.equal_fraction(v, distinct));
        let s = match &self.kind {
            PredicateKind::Equal => common.unwrap_or((1.0 - null_frac) / distinct),
            PredicateKind::NotEqual if common.is_some() => 1.0 - null_frac - common.unwrap_or(0.0),
            PredicateKind::In(n) => {
                (n.unwrap_or(10) as f64 * (1.0 - null_frac) / distinct).min(1.0)
            }
            PredicateKind::Range => 1.0 / 3.0,
            PredicateKind::LikePrefix => 0.02,
            PredicateKind::IsNull => column.and_then(|c| c.null_frac).unwrap_or(0.005),
            PredicateKind::IsNotNull => 1.0 - null_frac,
            PredicateKind::NotEqual => 1.0 - 1.0 / distinct,
            PredicateKind::JsonContains
            | PredicateKind::JsonKeyExists
            | PredicateKind::ArrayOverlap
            | PredicateKind::FullText => 0.01,
            PredicateKind::LikeContains => 0.05,
            PredicateKind::Other => 1.0 / 3.0,
        };
        s.clamp(0.0, 1.0)
    }
}

impl QueryShape {
    /// Place the unqualified columns of a query over several tables, given which relation has which
    /// column (from the schema): predicates, projections, ORDER BY and GROUP BY get their relation, and
    /// equalities between columns of two relations become join edges. A column two relations have stays
    /// unplaced.
    pub fn resolve(&mut self, has_column: impl Fn(&Relation, &str) -> bool) {
        let relations = self.relations.clone();
        let owner = |rel: Option<usize>, col: &str| -> Option<usize> {
            rel.or_else(|| {
                let mut owners = relations
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| has_column(r, col))
                    .map(|(i, _)| i);
                let first = owners.next()?;
                owners.next().is_none().then_some(first)
            })
        };
        for p in self.predicates.iter_mut().chain(self.under_or.iter_mut()) {
            p.relation = owner(p.relation, &p.column);
        }
        for (rel, col) in self.projected.iter_mut().chain(self.group_by.iter_mut()) {
            *rel = owner(*rel, col);
        }
        for (rel, col, _) in self.order_by.iter_mut() {
            *rel = owner(*rel, col);
        }
        let mut still = vec![];
        for ((a, ca), (b, cb)) in std::mem::take(&mut self.unplaced_joins) {
            match (owner(a, &ca), owner(b, &cb)) {
                (Some(x), Some(y)) if x != y => self.joins.push(JoinEdge {
                    left: (x, ca),
                    right: (y, cb),
                }),
                // Two columns of one table compared: a filter, not a join.
                (Some(_), Some(_)) => {}
                // One side is none of this block's tables: the outer query's column, one value per
                // outer row — for this block an equality with a parameter (what an index can serve).
                (Some(x), None) | (None, Some(x)) => {
                    let column = if owner(a, &ca) == Some(x) { ca } else { cb };
                    self.predicates.push(Predicate {
                        relation: Some(x),
                        column,
                        kind: PredicateKind::Equal,
                        expression: None,
                        constant: None,
                        operand_type: None,
                        location: 0,
                    });
                }
                (x, y) => still.push(((x, ca), (y, cb))),
            }
        }
        self.unplaced_joins = still;
    }

    /// The fraction of relation `r`'s rows its predicates keep: those AND-ed, and each OR whose branches
    /// all test this relation (the sum of its branches, at most 1); independence assumed.
    pub fn selectivity(&self, r: usize, stats: Option<&dbarch_catalog::TableStats>) -> f64 {
        let and: f64 = self
            .predicates
            .iter()
            .filter(|p| p.relation == Some(r))
            .map(|p| p.selectivity(stats))
            .product();
        let or: f64 = self
            .or_groups
            .iter()
            .filter(|g| {
                !g.is_empty()
                    && g.iter()
                        .all(|&i| self.under_or.get(i).is_some_and(|p| p.relation == Some(r)))
            })
            .map(|g| {
                g.iter()
                    .map(|&i| self.under_or[i].selectivity(stats))
                    .sum::<f64>()
                    .min(1.0)
            })
            .product();
        and * or
    }

    /// Every predicate: those combined with AND, then those inside OR branches.
    pub fn all_predicates(&self) -> impl Iterator<Item = &Predicate> {
        self.predicates.iter().chain(&self.under_or)
    }
}

impl QueryShape {
    /// The shapes of a SELECT statement's blocks, the outermost first.
    pub fn of_select(s: &ast::SelectStmt) -> Vec<QueryShape> {
        let mut out = vec![];
        select_shapes(s, &mut out);
        out
    }

    /// The shapes of every SELECT block of a statement, the outermost first.
    pub fn of(node: &NodeEnum) -> Vec<QueryShape> {
        let mut out = vec![];
        match node {
            NodeEnum::SelectStmt(s) => select_shapes(s, &mut out),
            NodeEnum::UpdateStmt(u) => write_shape(
                u.relation.as_ref(),
                &u.from_clause,
                u.where_clause.as_deref(),
                &mut out,
            ),
            NodeEnum::DeleteStmt(d) => write_shape(
                d.relation.as_ref(),
                &d.using_clause,
                d.where_clause.as_deref(),
                &mut out,
            ),
            NodeEnum::InsertStmt(i) => {
                if let Some(NodeEnum::SelectStmt(s)) =
                    i.select_stmt.as_ref().and_then(|n| n.node.as_ref())
                    && s.values_lists.is_empty()
                {
                    select_shapes(s, &mut out);
                }
            }
            NodeEnum::ExplainStmt(e) => {
                if let Some(n) = e.query.as_ref().and_then(|n| n.node.as_ref()) {
                    return QueryShape::of(n);
                }
            }
            _ => {}
        }
        out
    }

    /// The relation a column reference `parts` (`[col]` or `[alias, col]`) belongs to, and the column.
    fn place(&self, parts: &[String]) -> (Option<usize>, String) {
        match parts {
            [col] => ((self.relations.len() == 1).then_some(0), col.clone()),
            [.., qual, col] => (
                self.relations
                    .iter()
                    .position(|r| r.reference() == qual || (r.alias.is_none() && &r.name == qual)),
                col.clone(),
            ),
            [] => (None, String::new()),
        }
    }

    /// Record the predicates of an AND-tree (OR branches are not indexable as one predicate).
    fn condition(&mut self, n: &ast::Node) {
        match &n.node {
            Some(NodeEnum::BoolExpr(b)) if b.boolop == BoolExprType::AndExpr as i32 => {
                for a in &b.args {
                    self.condition(a);
                }
            }
            Some(NodeEnum::BoolExpr(b)) if b.boolop == BoolExprType::OrExpr as i32 => {
                let mut cols = vec![];
                let first = self.under_or.len();
                for arg in &b.args {
                    let mut sub = QueryShape {
                        relations: self.relations.clone(),
                        ..Default::default()
                    };
                    sub.condition(arg);
                    cols.extend(sub.predicates.iter().map(|p| p.column.clone()));
                    self.under_or.extend(sub.predicates);
                    self.under_or.extend(sub.under_or);
                    // A join written inside each OR branch (TPC-H Q19) still links the tables.
                    self.linked
                        .extend(sub.joins.iter().map(|j| (j.left.0, j.right.0)));
                    self.linked.extend(sub.linked);
                    self.unplaced_joins.extend(sub.unplaced_joins);
                }
                self.or_columns.push(cols);
                self.or_groups.push((first..self.under_or.len()).collect());
            }
            Some(NodeEnum::NullTest(t)) => {
                if let Some((rel, col, expr)) = self.column_of(t.arg.as_deref()) {
                    let kind = if t.nulltesttype == NullTestType::IsNull as i32 {
                        PredicateKind::IsNull
                    } else {
                        PredicateKind::IsNotNull
                    };
                    self.predicates.push(Predicate {
                        relation: rel,
                        column: col,
                        kind,
                        expression: expr,
                        constant: None,
                        operand_type: None,
                        location: t.location.max(0) as usize,
                    });
                }
            }
            Some(NodeEnum::AExpr(e)) => self.operator(e),
            _ => {}
        }
    }

    fn operator(&mut self, e: &ast::AExpr) {
        let op = e
            .name
            .iter()
            .filter_map(|n| match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .next_back()
            .unwrap_or("");
        let kind = AExprKind::try_from(e.kind).unwrap_or(AExprKind::Undefined);
        let (l, r) = (e.lexpr.as_deref(), e.rexpr.as_deref());
        // A join edge: column = column of another relation.
        if kind == AExprKind::AexprOp && op == "=" {
            match (self.column_of(l), self.column_of(r)) {
                (Some((Some(a), ca, None)), Some((Some(b), cb, None))) if a != b => {
                    self.joins.push(JoinEdge {
                        left: (a, ca),
                        right: (b, cb),
                    });
                    return;
                }
                (Some((a, ca, None)), Some((b, cb, None))) if a.is_none() || b.is_none() => {
                    self.unplaced_joins.push(((a, ca), (b, cb)));
                    return;
                }
                // `l_partkey = ps_partkey` in a subquery over one table: both columns were placed on it
                // by default, but one may be the outer query's (a correlation). Left for `resolve`.
                (Some((Some(_), ca, None)), Some((Some(_), cb, None)))
                    if self.relations.len() == 1
                        && unqualified(l)
                        && unqualified(r)
                        && ca != cb =>
                {
                    self.unplaced_joins.push(((None, ca), (None, cb)));
                    return;
                }
                _ => {}
            }
        }
        let (col, other) = match (self.column_of(l), self.column_of(r)) {
            (Some(c), None) => (c, r),
            (None, Some(c)) => (c, l),
            _ => return,
        };
        let kind = match kind {
            AExprKind::AexprOp => match op {
                "=" => PredicateKind::Equal,
                "<" | "<=" | ">" | ">=" => PredicateKind::Range,
                "<>" | "!=" => PredicateKind::NotEqual,
                "@>" | "<@" if is_array(other) => PredicateKind::ArrayOverlap,
                "@>" | "<@" => PredicateKind::JsonContains,
                "&&" => PredicateKind::ArrayOverlap,
                "?" | "?|" | "?&" => PredicateKind::JsonKeyExists,
                "@@" => PredicateKind::FullText,
                "~~" | "~~*" => like_kind(other),
                _ => PredicateKind::Other,
            },
            // NOT LIKE (`!~~`) keeps almost every row: no index serves it.
            AExprKind::AexprLike | AExprKind::AexprIlike if op.starts_with('!') => {
                PredicateKind::Other
            }
            AExprKind::AexprLike | AExprKind::AexprIlike => like_kind(other),
            AExprKind::AexprIn if op == "=" => {
                PredicateKind::In(match other.and_then(|o| o.node.as_ref()) {
                    Some(NodeEnum::List(l)) => Some(l.items.len()),
                    _ => None,
                })
            }
            AExprKind::AexprOpAny if op == "=" => PredicateKind::In(None),
            AExprKind::AexprBetween | AExprKind::AexprBetweenSym => PredicateKind::Range,
            _ => PredicateKind::Other,
        };
        let constant = other.and_then(constant_text);
        let operand_type = other.and_then(operand_type);
        self.predicates.push(Predicate {
            relation: col.0,
            column: col.1,
            kind,
            expression: col.2,
            constant,
            operand_type,
            location: e.location.max(0) as usize,
        });
    }

    /// A column, or a function/cast over exactly one column: (relation, column, expression text).
    fn column_of(&self, n: Option<&ast::Node>) -> Option<(Option<usize>, String, Option<String>)> {
        let n = n?;
        match n.node.as_ref()? {
            NodeEnum::ColumnRef(c) => {
                let parts = column_parts(c)?;
                let (rel, col) = self.place(&parts);
                Some((rel, col, None))
            }
            // A function, cast or `data->>'key'` / `data#>>'{a,b}'` over exactly one column.
            NodeEnum::AExpr(_)
            | NodeEnum::FuncCall(_)
            | NodeEnum::TypeCast(_)
            | NodeEnum::CoalesceExpr(_)
                if !matches!(n.node.as_ref(), Some(NodeEnum::AExpr(e)) if !is_json_field(e)) =>
            {
                let cols = dbarch_sql::expr::column_refs(n);
                let [col] = cols.as_slice() else { return None };
                let (rel, col) = self.place(std::slice::from_ref(col));
                let rel = rel.or_else(|| self.relation_of_qualified(n));
                Some((rel, col, Some(dbarch_sql::expr::deparse_expr(n))))
            }
            _ => None,
        }
    }

    /// For `lower(u.email)`: the relation named by the qualifier inside.
    fn relation_of_qualified(&self, n: &ast::Node) -> Option<usize> {
        n.node
            .as_ref()?
            .nodes()
            .into_iter()
            .find_map(|(r, ..)| match r {
                pg_query::NodeRef::ColumnRef(c) => {
                    let parts = column_parts(c)?;
                    self.place(&parts).0
                }
                _ => None,
            })
    }
}

/// A column reference without a table qualifier.
fn unqualified(n: Option<&ast::Node>) -> bool {
    matches!(n.and_then(|n| n.node.as_ref()), Some(NodeEnum::ColumnRef(c)) if c.fields.len() == 1)
}

/// `->>`, `->`, `#>>`, `#>`: a field taken out of a json document.
fn is_json_field(e: &ast::AExpr) -> bool {
    e.kind == AExprKind::AexprOp as i32
        && matches!(
            dbarch_sql::expr::name_list(&e.name)
                .last()
                .map(String::as_str),
            Some("->>" | "->" | "#>>" | "#>")
        )
}

fn column_parts(c: &ast::ColumnRef) -> Option<Vec<String>> {
    c.fields
        .iter()
        .map(|f| match &f.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn is_array(n: Option<&ast::Node>) -> bool {
    match n.and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::AArrayExpr(_)) => true,
        Some(NodeEnum::TypeCast(t)) => t
            .type_name
            .as_ref()
            .is_some_and(|tn| !tn.array_bounds.is_empty()),
        Some(NodeEnum::AConst(c)) => {
            matches!(&c.val, Some(ast::a_const::Val::Sval(s)) if s.sval.starts_with('{'))
        }
        _ => false,
    }
}

fn like_kind(pattern: Option<&ast::Node>) -> PredicateKind {
    // `'%' || $1 || '%'`: the pattern starts with its left-most operand.
    let mut pattern = pattern;
    while let Some(NodeEnum::AExpr(e)) = pattern.and_then(|p| p.node.as_ref()) {
        pattern = e.lexpr.as_deref();
    }
    match pattern.and_then(constant_text) {
        Some(p) if p.starts_with('%') || p.starts_with('_') => PredicateKind::LikeContains,
        Some(_) => PredicateKind::LikePrefix,
        None => PredicateKind::Other,
    }
}

/// The type of a literal or cast operand (see [`Predicate::operand_type`]).
fn operand_type(n: &ast::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::AConst(c) => Some(
            match c.val.as_ref()? {
                ast::a_const::Val::Ival(_) => "integer",
                ast::a_const::Val::Fval(_) => "numeric",
                ast::a_const::Val::Boolval(_) => "boolean",
                ast::a_const::Val::Sval(_) | ast::a_const::Val::Bsval(_) => "unknown",
            }
            .to_string(),
        ),
        NodeEnum::TypeCast(t) => t
            .type_name
            .as_ref()
            .map(|tn| dbarch_sql::change::data_type(tn).0.name),
        NodeEnum::AArrayExpr(a) => a.elements.first().and_then(operand_type),
        NodeEnum::List(l) => l.items.first().and_then(operand_type),
        _ => None,
    }
}

/// The text of a constant (through casts): `'open'`, `42`, `true`; `None` for parameters and expressions.
pub fn constant_text(n: &ast::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            ast::a_const::Val::Sval(s) => Some(s.sval.clone()),
            ast::a_const::Val::Ival(i) => Some(i.ival.to_string()),
            ast::a_const::Val::Fval(f) => Some(f.fval.clone()),
            ast::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            ast::a_const::Val::Bsval(b) => Some(b.bsval.clone()),
        },
        NodeEnum::TypeCast(t) => constant_text(t.arg.as_deref()?),
        _ => None,
    }
}

fn relation(rv: &ast::RangeVar) -> Relation {
    Relation {
        schema: (!rv.schemaname.is_empty()).then(|| rv.schemaname.clone()),
        name: rv.relname.clone(),
        alias: rv.alias.as_ref().map(|a| a.aliasname.clone()),
    }
}

/// One FROM item: tables, joins (their ON conditions are predicates and join edges), subqueries.
fn from_item(n: &ast::Node, shape: &mut QueryShape, out: &mut Vec<QueryShape>) {
    match n.node.as_ref() {
        Some(NodeEnum::RangeVar(rv)) => shape.relations.push(relation(rv)),
        Some(NodeEnum::JoinExpr(j)) => {
            if let Some(l) = &j.larg {
                from_item(l, shape, out);
            }
            let mid = shape.relations.len();
            if let Some(r) = &j.rarg {
                from_item(r, shape, out);
            }
            let edges = shape.joins.len();
            if let Some(q) = &j.quals {
                shape.condition(q);
            }
            // An explicit join links its two sides even without an equality of columns.
            if shape.joins.len() == edges && mid > 0 && mid < shape.relations.len() {
                shape.linked.push((mid - 1, mid));
            }
        }
        Some(NodeEnum::RangeSubselect(s)) => {
            if let Some(NodeEnum::SelectStmt(sel)) =
                s.subquery.as_ref().and_then(|q| q.node.as_ref())
            {
                select_shapes(sel, out);
            }
            shape.relations.push(Relation {
                schema: None,
                name: String::new(),
                alias: s.alias.as_ref().map(|a| a.aliasname.clone()),
            });
        }
        _ => {}
    }
}

/// The shape of an UPDATE or DELETE: its target, the FROM / USING relations and the WHERE clause.
fn write_shape(
    target: Option<&ast::RangeVar>,
    from: &[ast::Node],
    where_clause: Option<&ast::Node>,
    out: &mut Vec<QueryShape>,
) {
    let mut shape = QueryShape::default();
    shape.relations.extend(target.map(relation));
    for f in from {
        from_item(f, &mut shape, out);
    }
    if let Some(w) = where_clause {
        shape.condition(w);
    }
    out.insert(0, shape);
}

fn select_shapes(s: &ast::SelectStmt, out: &mut Vec<QueryShape>) {
    // UNION / INTERSECT / EXCEPT: each side is its own block.
    if let (Some(l), Some(r)) = (&s.larg, &s.rarg) {
        select_shapes(l, out);
        select_shapes(r, out);
        return;
    }
    let at = out.len();
    out.push(QueryShape::default());
    let mut inner = vec![];
    if let Some(w) = &s.with_clause {
        for cte in &w.ctes {
            if let Some(NodeEnum::CommonTableExpr(c)) = &cte.node
                && let Some(NodeEnum::SelectStmt(q)) =
                    c.ctequery.as_ref().and_then(|q| q.node.as_ref())
            {
                select_shapes(q, &mut inner);
            }
        }
    }
    let mut shape = QueryShape::default();
    for f in &s.from_clause {
        from_item(f, &mut shape, &mut inner);
    }
    if let Some(w) = &s.where_clause {
        shape.condition(w);
    }
    for t in &s.target_list {
        if let Some(NodeEnum::ResTarget(rt)) = &t.node {
            if let Some(NodeEnum::ColumnRef(c)) = rt.val.as_ref().and_then(|v| v.node.as_ref())
                && c.fields
                    .iter()
                    .any(|f| matches!(f.node, Some(NodeEnum::AStar(_))))
            {
                shape.select_star = true;
                continue;
            }
            if let Some(v) = rt.val.as_ref().and_then(|v| v.node.as_ref()) {
                for (n, ..) in v.nodes() {
                    if let pg_query::NodeRef::ColumnRef(c) = n
                        && let Some(parts) = column_parts(c)
                    {
                        let placed = shape.place(&parts);
                        if !shape.projected.contains(&placed) {
                            shape.projected.push(placed);
                        }
                    }
                }
            }
        }
    }
    for o in &s.sort_clause {
        if let Some(NodeEnum::SortBy(sb)) = &o.node
            && let Some(NodeEnum::ColumnRef(c)) = sb.node.as_ref().and_then(|n| n.node.as_ref())
            && let Some(parts) = column_parts(c)
        {
            let (rel, col) = shape.place(&parts);
            let desc = sb.sortby_dir == ast::SortByDir::SortbyDesc as i32;
            shape.order_by.push((rel, col, desc));
        }
    }
    for g in &s.group_clause {
        if let Some(NodeEnum::ColumnRef(c)) = &g.node
            && let Some(parts) = column_parts(c)
        {
            let placed = shape.place(&parts);
            shape.group_by.push(placed);
        }
    }
    let count = |n: &Option<Box<ast::Node>>| -> Option<Option<i64>> {
        let n = n.as_deref()?;
        if let Some(NodeEnum::AConst(c)) = &n.node
            && c.isnull
        {
            return None;
        }
        Some(constant_text(n).and_then(|t| t.parse().ok()))
    };
    shape.limit = count(&s.limit_count);
    shape.offset = count(&s.limit_offset);
    // Subqueries in WHERE, HAVING and the select list are blocks of their own.
    let roots = s
        .where_clause
        .iter()
        .chain(s.having_clause.iter())
        .map(|b| &**b)
        .chain(s.target_list.iter());
    for sub in sublink_selects(roots) {
        select_shapes(sub, &mut inner);
    }
    out[at] = shape;
    out.extend(inner);
}

/// The SELECTs of the subqueries directly in these expressions (not those nested in another subquery:
/// their own block finds them).
fn sublink_selects<'a>(roots: impl Iterator<Item = &'a ast::Node>) -> Vec<&'a ast::SelectStmt> {
    let mut found: Vec<&'a ast::SelectStmt> = vec![];
    for root in roots {
        let Some(node) = root.node.as_ref() else {
            continue;
        };
        for (n, ..) in node.nodes() {
            if let pg_query::NodeRef::SubLink(l) = n
                && let Some(NodeEnum::SelectStmt(sel)) =
                    l.subselect.as_ref().and_then(|q| q.node.as_ref())
            {
                found.push(sel);
            }
        }
    }
    // Keep those not inside another found one.
    let inside = |outer: &ast::SelectStmt, inner: &ast::SelectStmt| -> bool {
        outer
            .where_clause
            .iter()
            .chain(outer.having_clause.iter())
            .map(|b| &**b)
            .chain(outer.target_list.iter())
            .chain(outer.from_clause.iter())
            .filter_map(|r| r.node.as_ref())
            .any(|r| {
                r.nodes().into_iter().any(|(n, ..)| {
                    matches!(n, pg_query::NodeRef::SelectStmt(x) if std::ptr::eq(x, inner))
                })
            })
    };
    let all = found.clone();
    found.retain(|f| !all.iter().any(|o| !std::ptr::eq(*o, *f) && inside(o, f)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> QueryShape {
        let node = pg_query::parse(sql, 0).unwrap().protobuf.stmts[0]
            .stmt
            .as_ref()
            .unwrap()
            .node
            .clone()
            .unwrap();
        QueryShape::of(&node).remove(0)
    }

    #[test]
    fn predicates_joins_and_order() {
        let s = shape(
            "select o.id, c.name from orders o join customers c on c.id = o.customer_id \
             where o.status = 'open' and o.created_at >= $1 and lower(c.email) = $2 and c.note like '%x' \
             and o.tags @> array['a'] and o.data ? 'k' order by o.created_at desc limit 20 offset 40",
        );
        assert_eq!(s.relations.len(), 2);
        assert_eq!(s.joins.len(), 1);
        let kinds: Vec<_> = s
            .predicates
            .iter()
            .map(|p| (p.column.as_str(), p.kind.clone()))
            .collect();
        assert!(kinds.contains(&("status", PredicateKind::Equal)));
        assert!(kinds.contains(&("created_at", PredicateKind::Range)));
        assert!(kinds.contains(&("email", PredicateKind::Equal)));
        assert!(kinds.contains(&("note", PredicateKind::LikeContains)));
        assert!(kinds.contains(&("tags", PredicateKind::ArrayOverlap)));
        assert!(kinds.contains(&("data", PredicateKind::JsonKeyExists)));
        let status = s.predicates.iter().find(|p| p.column == "status").unwrap();
        assert_eq!(status.constant.as_deref(), Some("open"));
        assert_eq!(status.relation, Some(0));
        let email = s.predicates.iter().find(|p| p.column == "email").unwrap();
        assert_eq!(email.expression.as_deref(), Some("lower(c.email)"));
        assert_eq!(email.relation, Some(1));
        assert_eq!(s.order_by, vec![(Some(0), "created_at".to_string(), true)]);
        assert_eq!((s.limit, s.offset), (Some(Some(20)), Some(Some(40))));
    }

    #[test]
    fn json_fields_and_unqualified_joins() {
        let s = shape("select id from events where payload->>'order_id' = $1");
        assert_eq!(s.predicates[0].column, "payload");
        assert_eq!(
            s.predicates[0].expression.as_deref(),
            Some("payload ->> 'order_id'")
        );
        let mut s = shape(
            "select o_orderkey from customer, orders where c_custkey = o_custkey and o_orderdate < $1",
        );
        assert!(s.joins.is_empty());
        assert_eq!(s.unplaced_joins.len(), 1);
        s.resolve(|r, col| col.starts_with(if r.name == "customer" { "c_" } else { "o_" }));
        assert_eq!(s.joins.len(), 1);
        assert_eq!(s.joins[0].left, (0, "c_custkey".to_string()));
        assert!(s.unplaced_joins.is_empty());
        assert_eq!(s.predicates[0].relation, Some(1));
        // A correlated subquery: `ps_partkey` is the outer query's, so for this block it is a value.
        let mut s = shape("select avg(l_quantity) from lineitem where l_partkey = ps_partkey");
        assert!(s.predicates.is_empty());
        s.resolve(|_, col| col.starts_with("l_"));
        assert_eq!(s.predicates.len(), 1);
        assert_eq!(
            (s.predicates[0].column.as_str(), &s.predicates[0].kind),
            ("l_partkey", &PredicateKind::Equal)
        );
    }
    #[test]
    fn subqueries_in_where_and_select_list_are_blocks() {
        let node = pg_query::parse(
            "select c.id, (select max(o.total) from orders o where o.customer_id = c.id) from customers c \
             where c.id in (select customer_id from orders where status = 'open' \
                            and total > (select avg(total) from orders))",
            0,
        )
        .unwrap()
        .protobuf
        .stmts[0]
            .stmt
            .as_ref()
            .unwrap()
            .node
            .clone()
            .unwrap();
        let shapes = QueryShape::of(&node);
        // The outer block, the select-list subquery, the IN subquery and the one nested in it, once each.
        assert_eq!(shapes.len(), 4, "{shapes:#?}");
        assert!(
            shapes
                .iter()
                .any(|s| s.predicates.iter().any(|p| p.column == "status"))
        );
    }
}

#[cfg(test)]
mod common_value_tests {
    use super::*;

    #[test]
    fn a_common_constant_takes_its_frequency() {
        let mut t = dbarch_catalog::TableStats {
            rows: 1000.0,
            ..Default::default()
        };
        t.columns.insert(
            "status".into(),
            dbarch_catalog::ColumnStats {
                n_distinct: Some(3.0),
                most_common: Some(vec![("closed".into(), 0.9), ("open".into(), 0.08)]),
                ..Default::default()
            },
        );
        let p = |value: &str, kind: PredicateKind| Predicate {
            relation: Some(0),
            column: "status".into(),
            kind,
            expression: None,
            constant: Some(value.into()),
            operand_type: None,
            location: 0,
        };
        assert_eq!(p("open", PredicateKind::Equal).selectivity(Some(&t)), 0.08);
        assert!((p("closed", PredicateKind::NotEqual).selectivity(Some(&t)) - 0.1).abs() < 1e-12);
        // Not listed: the 2 % the listed values leave, for the one other value.
        assert!((p("held", PredicateKind::Equal).selectivity(Some(&t)) - 0.02).abs() < 1e-12);
    }
}
