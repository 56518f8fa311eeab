use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY001",
    name: "select-star",
    category: Category::Queries,
    severity: Severity::Info,
    summary: "SELECT * reads every column, including ones the caller does not use.",
    doc: Doc {
        what: "A query whose select list is `*` or `t.*` (outside `EXISTS (...)` and `count(*)`).",
        why: "`*` ships every column over the wire, defeats index-only scans (the index can never cover all \
              columns), pulls TOASTed values the caller may not need, and silently changes shape when a column \
              is added or dropped — breaking clients that read by position.",
        example: "SELECT * FROM orders WHERE customer_id = $1;",
        use_instead: "SELECT id, status, total FROM orders WHERE customer_id = $1;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/indexes-index-only-scans.html"],
    },
    fixtures: fixtures!("QRY001"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    if cx.shapes.first().is_some_and(|s| s.select_star) {
        out.push(
            cx.span().into(),
            format!("select-star:{}", cx.query.fingerprint),
            "SELECT * reads every column: no index-only scan is possible and the result changes shape with the table",
            "Name the columns the caller uses.",
            None,
        );
    }
}
