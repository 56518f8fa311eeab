use dbarch_catalog::IndexKeyExpr;
use dbarch_workload::PredicateKind;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY009",
    name: "function-on-filtered-column",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "A function or cast around a filtered column: an index on the column cannot serve it.",
    doc: Doc {
        what: "A comparison whose column side is wrapped in a function or cast (`lower(email) = $1`, \
               `created_at::date = $1`) when the schema has no expression index on that same expression (or \
               no schema was given).",
        why: "An index on `email` orders raw values; it cannot find rows by `lower(email)`. The predicate is \
              evaluated row by row over a sequential scan. An expression index, or rewriting the predicate as \
              a range on the bare column, restores index use.",
        example: "SELECT id FROM users WHERE lower(email) = lower($1);\nSELECT id FROM events WHERE created_at::date = '2024-05-01';",
        use_instead: "CREATE INDEX CONCURRENTLY users_lower_email ON users (lower(email));\n-- or, for dates, a range on the column itself:\nSELECT id FROM events WHERE created_at >= '2024-05-01' AND created_at < '2024-05-02';",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/indexes-expressional.html"],
    },
    fixtures: fixtures!("QRY009"),
    check: Check::Query(check),
};

/// Expression text without the query's qualifiers (`lower(u.email)` -> `lower(email)`), spaces removed.
fn normalised(sql: &str, qualifiers: &[&str]) -> String {
    let mut s = sql.to_string();
    for q in qualifiers {
        s = s.replace(&format!("{q}."), "");
    }
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

fn check(cx: &QueryContext, out: &mut Sink) {
    for shape in &cx.shapes {
        let qualifiers: Vec<&str> = shape.relations.iter().map(|r| r.reference()).collect();
        for p in &shape.predicates {
            let Some(expr) = &p.expression else { continue };
            if !matches!(
                p.kind,
                PredicateKind::Equal
                    | PredicateKind::Range
                    | PredicateKind::In(_)
                    | PredicateKind::LikePrefix
            ) {
                continue;
            }
            let wanted = normalised(expr, &qualifiers);
            let table = cx.column(shape, p.relation, &p.column).map(|(t, _)| t);
            if cx.catalog.is_some() && table.is_none() {
                // A column the schema does not know (a CTE's, a subquery's): nothing to judge.
                continue;
            }
            let served = table.is_some_and(|t| {
                cx.indexes_on(t).iter().any(|i| {
                    matches!(i.keys.first().map(|k| &k.expr), Some(IndexKeyExpr::Expression { sql, .. }) if normalised(sql, &[]) == wanted)
                })
            });
            if served {
                continue;
            }
            let name = table.map(|t| t.name.to_string()).unwrap_or_else(|| {
                p.relation
                    .and_then(|r| shape.relations.get(r))
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| "the table".into())
            });
            out.push(
                cx.span_at(p.location).into(),
                format!("function:{name}:{wanted}"),
                format!("{expr} in a predicate: an index on {} cannot serve it, so {name} is scanned", p.column),
                format!("Create an expression index: CREATE INDEX CONCURRENTLY ON {name} (({}));, or compare the bare column with a range.", expr_without(expr, &qualifiers)),
                None,
            );
        }
    }
}

fn expr_without(sql: &str, qualifiers: &[&str]) -> String {
    let mut s = sql.to_string();
    for q in qualifiers {
        s = s.replace(&format!("{q}."), "");
    }
    s
}
