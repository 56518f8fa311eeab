use dbarch_workload::PredicateKind;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY010",
    name: "huge-in-list",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "An IN list with hundreds of values: slow to parse and plan, and a new statement for every size.",
    doc: Doc {
        what: "`col IN (v1, v2, ...)` with at least the `huge-in-list` option (default 100) values.",
        why: "Each value is parsed, planned and estimated separately; plans are not reused because every list \
              length is a different statement (pg_stat_statements fills with variants); the protocol caps \
              parameters at 65,535. An array parameter is one statement whatever its length.",
        example: "SELECT id FROM items WHERE id IN (\n  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,\n  28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,\n  53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77,\n  78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100\n);",
        use_instead: "SELECT id FROM items WHERE id = ANY($1::bigint[]);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/functions-comparisons.html"],
    },
    fixtures: fixtures!("QRY010"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let threshold = cx.options.huge_in_list;
    for shape in &cx.shapes {
        for p in &shape.predicates {
            if let PredicateKind::In(Some(n)) = p.kind
                && n >= threshold
            {
                out.push(
                    cx.span_at(p.location).into(),
                    format!("in-list:{}:{}", cx.query.fingerprint, p.column),
                    format!("IN list of {n} values on {}", p.column),
                    format!(
                        "Pass one array parameter: {} = ANY($1).",
                        quote_ident(&p.column)
                    ),
                    None,
                );
            }
        }
    }
}
