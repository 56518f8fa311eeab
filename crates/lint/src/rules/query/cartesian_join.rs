use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY012",
    name: "cartesian-join",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "Tables in FROM with no join condition between them: every row pairs with every row.",
    doc: Doc {
        what: "A SELECT block reading two or more tables where some table is not connected to the others by \
               an equality between their columns (in WHERE or ON), and not joined with CROSS JOIN on purpose.",
        why: "Without a join predicate the result has rows(a) x rows(b) rows: a forgotten condition that turns \
              a fast query into one that grows quadratically and returns wrong results.",
        example: "SELECT o.id, c.name FROM orders o, customers c WHERE o.status = 'open';",
        use_instead: "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'open';",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/queries-table-expressions.html"],
    },
    fixtures: fixtures!("QRY012"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let explicit_cross = cx
        .query
        .statement
        .sql
        .to_ascii_uppercase()
        .contains("CROSS JOIN");
    for shape in &cx.shapes {
        let n = shape.relations.len();
        // An equality between columns that could not be placed (unqualified, no schema to say whose
        // they are) may well be the join: nothing can be concluded.
        if n < 2 || explicit_cross || !shape.unplaced_joins.is_empty() {
            continue;
        }
        // Connected components over the join edges; a relation also counts as joined when a predicate
        // compares it with a correlated outer value (not modelled) — so only plain tables are judged.
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut Vec<usize>, x: usize) -> usize {
            if p[x] != x {
                let r = find(p, p[x]);
                p[x] = r;
            }
            p[x]
        }
        let links = shape
            .joins
            .iter()
            .map(|e| (e.left.0, e.right.0))
            .chain(shape.linked.iter().copied());
        for (x, y) in links {
            let (a, b) = (find(&mut parent, x), find(&mut parent, y));
            parent[a] = b;
        }
        let roots: std::collections::BTreeSet<usize> =
            (0..n).map(|i| find(&mut parent, i)).collect();
        if roots.len() > 1 && shape.relations.iter().all(|r| !r.name.is_empty()) {
            let names: Vec<&str> = shape.relations.iter().map(|r| r.reference()).collect();
            out.push(
                cx.span().into(),
                format!("cartesian:{}", cx.query.fingerprint),
                format!("{} are not all joined by a condition: the result pairs every row with every row", names.join(", ")),
                "Add the join condition (JOIN ... ON a.key = b.key); write CROSS JOIN when the product is intended.",
                None,
            );
        }
    }
}
