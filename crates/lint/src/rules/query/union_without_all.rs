use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self, SetOperation};
use dbarch_workload::shape::constant_text;
use dbarch_workload::{PredicateKind, QueryShape};
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY018",
    name: "union-where-union-all-suffices",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "UNION removes duplicates between branches that cannot share a row.",
    doc: Doc {
        what: "A `UNION` (without ALL) whose branches are disjoint by construction: they select different \
               constants in the same output column (`SELECT 'order' AS kind, ...`), or they filter the same \
               column of the same table on different constants (`status = 'open'` / `status = 'closed'`).",
        why: "UNION sorts or hashes the whole combined result to remove duplicates. When the branches cannot \
              produce the same row there is nothing to remove and the work is pure cost — and it blocks the \
              streaming of rows that UNION ALL allows (a LIMIT above a UNION ALL can stop early).",
        example: "SELECT 'order' AS kind, id, created_at FROM orders\nUNION\nSELECT 'refund', id, created_at FROM refunds;",
        use_instead: "SELECT 'order' AS kind, id, created_at FROM orders\nUNION ALL\nSELECT 'refund', id, created_at FROM refunds;",
        fix_safety: Some(
            "Safe when the branches are disjoint, which is what the rule checks; duplicates inside one branch \
             are removed by UNION but not UNION ALL: add DISTINCT to that branch if it can have them.",
        ),
        references: &["https://www.postgresql.org/docs/current/queries-union.html"],
    },
    fixtures: fixtures!("QRY018"),
    check: Check::Query(check),
};

/// The leaves of a chain of UNION (without ALL) operations.
fn union_leaves<'a>(s: &'a ast::SelectStmt, out: &mut Vec<&'a ast::SelectStmt>) -> bool {
    if s.op == SetOperation::SetopUnion as i32 && !s.all {
        let (Some(l), Some(r)) = (s.larg.as_deref(), s.rarg.as_deref()) else {
            return false;
        };
        return union_leaves(l, out) && union_leaves(r, out);
    }
    if s.op == SetOperation::SetopNone as i32 {
        out.push(s);
        return true;
    }
    false
}

/// The constants a branch selects, by output position.
fn constants(s: &ast::SelectStmt) -> Vec<Option<String>> {
    s.target_list
        .iter()
        .map(|t| match &t.node {
            Some(NodeEnum::ResTarget(rt)) => rt.val.as_deref().and_then(|v| match &v.node {
                Some(NodeEnum::AConst(_)) | Some(NodeEnum::TypeCast(_)) => constant_text(v),
                _ => None,
            }),
            _ => None,
        })
        .collect()
}

/// (table, column, constant) of the branch's equality filters on constants.
fn equalities(s: &ast::SelectStmt) -> Vec<(String, String, String)> {
    let shapes = QueryShape::of_select(s);
    let Some(shape) = shapes.first() else {
        return vec![];
    };
    shape
        .predicates
        .iter()
        .filter(|p| p.kind == PredicateKind::Equal && p.expression.is_none())
        .filter_map(|p| {
            let r = shape.relations.get(p.relation?)?;
            Some((r.name.clone(), p.column.clone(), p.constant.clone()?))
        })
        .collect()
}

fn disjoint(a: &ast::SelectStmt, b: &ast::SelectStmt) -> bool {
    let by_constant = constants(a)
        .iter()
        .zip(constants(b))
        .any(|(x, y)| matches!((x, y), (Some(x), Some(y)) if *x != y));
    by_constant || {
        let eb = equalities(b);
        equalities(a)
            .iter()
            .any(|(t, c, v)| eb.iter().any(|(t2, c2, v2)| t == t2 && c == c2 && v != v2))
    }
}

fn check(cx: &QueryContext, out: &mut Sink) {
    // Judge a chain once, at its top: first find the UNIONs that are sides of another.
    let mut inner = vec![];
    for (node, ..) in cx.query.statement.node.nodes() {
        if let NodeRef::SelectStmt(s) = node {
            collect_unions(s, &mut inner);
        }
    }
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::SelectStmt(s) = node else {
            continue;
        };
        if s.op != SetOperation::SetopUnion as i32 || s.all {
            continue;
        }
        if inner.contains(&(s as *const ast::SelectStmt as usize)) {
            continue;
        }
        let mut leaves = vec![];
        if !union_leaves(s, &mut leaves) || leaves.len() < 2 {
            continue;
        }
        let all_disjoint = (0..leaves.len())
            .all(|i| (i + 1..leaves.len()).all(|j| disjoint(leaves[i], leaves[j])));
        if all_disjoint {
            out.push(
                cx.span().into(),
                format!("union:{}", cx.query.fingerprint),
                format!(
                    "UNION de-duplicates {} branches that cannot return the same row",
                    leaves.len()
                ),
                "Write UNION ALL: same rows, no sort or hash over the whole result.",
                None,
            );
        }
    }
}

fn collect_unions(s: &ast::SelectStmt, out: &mut Vec<usize>) {
    for side in [s.larg.as_deref(), s.rarg.as_deref()].into_iter().flatten() {
        if side.op == SetOperation::SetopUnion as i32 && !side.all {
            out.push(side as *const ast::SelectStmt as usize);
            collect_unions(side, out);
        }
    }
}
