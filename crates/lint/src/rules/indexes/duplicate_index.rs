use super::same_key;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "IDX001",
    name: "duplicate-index",
    category: Category::Indexes,
    severity: Severity::Warning,
    summary: "Two indexes on a table have the same definition.",
    doc: Doc {
        what: "An index with the same method, key columns or expressions (with opclass, collation and order), \
               INCLUDE columns and predicate as another index on the same table, including the indexes behind \
               PRIMARY KEY and UNIQUE constraints.",
        why: "The duplicate serves no query the other does not; it doubles the write cost of every INSERT and \
              UPDATE of those columns, takes disk and cache, and slows VACUUM.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE);\nCREATE INDEX users_email_idx ON users (email);",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE);",
        fix_safety: Some(
            "DROP INDEX CONCURRENTLY does not block reads or writes; it cannot run in a transaction \
                          block. The index kept must be valid (check pg_index.indisvalid).",
        ),
        references: &["https://www.postgresql.org/docs/current/indexes.html"],
    },
    fixtures: fixtures!("IDX001"),
    check: Check::Schema(check),
};

pub(crate) fn same_definition(a: &Index, b: &Index) -> bool {
    a.method == b.method
        && a.keys.len() == b.keys.len()
        && a.keys.iter().zip(&b.keys).all(|(x, y)| same_key(x, y))
        && a.include == b.include
        && a.predicate == b.predicate
}

/// Whether `a` was written before `b` (by position in the inputs; by listing order when unknown).
fn defined_before(a: &Index, b: &Index, ai: usize, bi: usize) -> bool {
    match (a.origin.span(), b.origin.span()) {
        (Some(x), Some(y)) => (x.file, x.start, ai) < (y.file, y.start, bi),
        _ => ai < bi,
    }
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let idx = cx.indexes_on(&t.name);
        for (n, i) in idx.iter().enumerate() {
            // Report the later of a pair, and never the one enforcing a constraint when the other does not.
            let Some(other) = idx.iter().enumerate().find(|(m, o)| {
                *m != n && same_definition(i, o) && {
                    let i_enforces = i.unique || i.primary;
                    let o_enforces = o.unique || o.primary;
                    let i_constraint =
                        matches!(i.source, dbarch_catalog::IndexSource::Constraint(_));
                    let o_constraint =
                        matches!(o.source, dbarch_catalog::IndexSource::Constraint(_));
                    (o_enforces && !i_enforces)
                        || (i_enforces == o_enforces
                            && (o_constraint && !i_constraint
                                || (i_constraint == o_constraint && defined_before(o, i, *m, n))))
                }
            }) else {
                continue;
            };
            out.push(
                i.origin,
                i.name.to_string(),
                format!(
                    "index {} duplicates {} on {}",
                    i.name.name, other.1.name.name, t.name
                ),
                "Drop the duplicate; the other index serves the same queries.",
                drop_index_sql(i),
            );
        }
    }
}
