use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY008",
    name: "deep-offset-pagination",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "A large OFFSET reads and throws away every skipped row.",
    doc: Doc {
        what: "`OFFSET n` with a constant n of at least the `deep-offset` option (default 1000).",
        why: "PostgreSQL produces the first n rows and discards them: page 500 costs 500 pages of work, and rows \
              inserted meanwhile shift pages (duplicates, gaps). Keyset pagination reads only the page, through \
              the index of the sort key.",
        example: "SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 20 OFFSET 10000;",
        use_instead: "SELECT id, title FROM posts\nWHERE (created_at, id) < ($1, $2)  -- the last row of the previous page\nORDER BY created_at DESC, id DESC LIMIT 20;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/queries-limit.html"],
    },
    fixtures: fixtures!("QRY008"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let threshold = cx.options.deep_offset;
    for shape in &cx.shapes {
        if let Some(Some(n)) = shape.offset
            && n >= threshold
        {
            out.push(
                    cx.span().into(),
                    format!("offset:{}", cx.query.fingerprint),
                    format!("OFFSET {n} reads and discards {n} rows before returning any"),
                    "Paginate by key: WHERE (sort_key, id) < (last seen) ORDER BY sort_key DESC, id DESC LIMIT n.",
                    None,
                );
        }
    }
}
