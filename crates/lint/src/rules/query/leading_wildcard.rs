use dbarch_workload::PredicateKind;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY005",
    name: "leading-wildcard-like",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "LIKE '%...' cannot use a B-tree index: every row is read.",
    doc: Doc {
        what: "A `LIKE` or `ILIKE` whose constant pattern starts with `%` or `_`.",
        why: "A B-tree index serves only patterns with a fixed prefix. A leading wildcard forces a sequential \
              scan that grows with the table. A trigram GIN index (pg_trgm) serves any substring, or full-text \
              search serves word lookups.",
        example: "SELECT id FROM products WHERE name LIKE '%phone%';",
        use_instead: "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY products_name_trgm ON products USING gin (name gin_trgm_ops);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/pgtrgm.html",
            "https://www.postgresql.org/docs/current/indexes-types.html",
        ],
    },
    fixtures: fixtures!("QRY005"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for shape in &cx.shapes {
        for p in shape
            .all_predicates()
            .filter(|p| p.kind == PredicateKind::LikeContains)
        {
            let table = p
                .relation
                .and_then(|r| shape.relations.get(r))
                .map(|r| r.name.clone())
                .unwrap_or_else(|| "the table".into());
            out.push(
                cx.span_at(p.location).into(),
                format!("like:{table}.{}", p.column),
                format!(
                    "LIKE with a leading wildcard on {}: no B-tree index can serve it, every row of {table} is read",
                    p.column
                ),
                format!(
                    "Index it with pg_trgm: CREATE INDEX CONCURRENTLY ON {table} USING gin ({} gin_trgm_ops); or use full-text search.",
                    quote_ident(&p.column)
                ),
                None,
            );
        }
    }
}
