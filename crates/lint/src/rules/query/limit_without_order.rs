use dbarch_sql::NodeEnum;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY019",
    name: "limit-without-order-by",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "LIMIT or OFFSET without ORDER BY returns an arbitrary, unstable set of rows.",
    doc: Doc {
        what: "A SELECT with OFFSET, or with a LIMIT other than 1, and no ORDER BY.",
        why: "Without ORDER BY, SQL promises no order: which rows come back depends on the plan, on concurrent \
              synchronized scans and on where updated rows landed. Pages overlap or skip rows, and the result \
              changes after a VACUUM or an index is added. (LIMIT 1 alone is the usual \"any one row\" idiom and \
              is left alone.)",
        example: "SELECT id, title FROM posts WHERE author_id = $1 LIMIT 20 OFFSET 40;",
        use_instead: "SELECT id, title FROM posts WHERE author_id = $1\nORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 40;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/queries-limit.html"],
    },
    fixtures: fixtures!("QRY019"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let NodeEnum::SelectStmt(s) = &cx.query.statement.node else {
        return;
    };
    let Some(shape) = cx.shapes.first() else {
        return;
    };
    if !s.sort_clause.is_empty() || shape.relations.is_empty() {
        return;
    }
    let limit_many =
        matches!(shape.limit, Some(Some(n)) if n != 1) || matches!(shape.limit, Some(None));
    if !(limit_many || shape.offset.is_some()) {
        return;
    }
    let what = if shape.offset.is_some() {
        "OFFSET"
    } else {
        "LIMIT"
    };
    out.push(
        cx.span().into(),
        format!("limit-order:{}", cx.query.fingerprint),
        format!("{what} without ORDER BY: which rows come back is up to the plan, and pages may overlap or skip rows"),
        "Add ORDER BY on a unique key (or a sort key plus the primary key as tie-breaker).",
        None,
    );
}
