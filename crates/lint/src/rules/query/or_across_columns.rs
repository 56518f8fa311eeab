use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY011",
    name: "or-across-columns",
    category: Category::Queries,
    severity: Severity::Info,
    summary: "OR between conditions on different columns: one index cannot serve it.",
    doc: Doc {
        what: "A WHERE clause whose conditions are joined by OR and name two or more different columns.",
        why: "A single index serves conditions on its leading columns combined with AND. With OR across columns \
              the planner needs an index on each column and a BitmapOr, or falls back to a sequential scan.",
        example: "SELECT id FROM users WHERE email = $1 OR username = $1;",
        use_instead: "SELECT id FROM users WHERE email = $1\nUNION\nSELECT id FROM users WHERE username = $1;\n-- or make sure each column has its own index (BitmapOr)",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/indexes-bitmap-scans.html"],
    },
    fixtures: fixtures!("QRY011"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for shape in &cx.shapes {
        for cols in &shape.or_columns {
            let mut distinct: Vec<&String> = cols.iter().collect();
            distinct.sort();
            distinct.dedup();
            if distinct.len() >= 2 {
                let names: Vec<&str> = distinct.iter().map(|s| s.as_str()).collect();
                out.push(
                    cx.span().into(),
                    format!("or:{}:{}", cx.query.fingerprint, names.join(",")),
                    format!("OR across columns {}: no single index serves it", names.join(", ")),
                    "Index each column (the planner combines them with BitmapOr), or split into a UNION of indexed queries.",
                    None,
                );
            }
        }
    }
}
