use std::collections::BTreeMap;

use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY005",
    name: "circular-fk-not-deferrable",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "Foreign keys form a cycle between tables and none of them is DEFERRABLE.",
    doc: Doc {
        what: "A cycle of foreign keys through two or more tables (A references B, B references A) in which no \
               constraint is DEFERRABLE. Self-references (a parent_id) are not cycles here.",
        why: "With every constraint checked immediately, the first row of the cycle cannot be inserted unless a \
              key column is left NULL and patched later, and dump/restore or bulk loads need ordering tricks. \
              A deferrable constraint lets one transaction insert both rows and check at COMMIT.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, default_address_id bigint);\nCREATE TABLE addresses (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));\nALTER TABLE users ADD FOREIGN KEY (default_address_id) REFERENCES addresses (id);",
        use_instead: "ALTER TABLE users ADD FOREIGN KEY (default_address_id) REFERENCES addresses (id)\n    DEFERRABLE INITIALLY DEFERRED;",
        fix_safety: Some(
            "ALTER CONSTRAINT ... DEFERRABLE changes only the catalog; it does not rewrite or scan.",
        ),
        references: &["https://www.postgresql.org/docs/current/sql-set-constraints.html"],
    },
    fixtures: fixtures!("KEY005"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    // Graph of non-deferrable FKs between distinct tables.
    let mut edges: BTreeMap<&QualifiedName, Vec<&QualifiedName>> = BTreeMap::new();
    for t in cx.tables() {
        for (c, fk) in t.foreign_keys() {
            if fk.ref_table != t.name && cx.catalog.table(&fk.ref_table).is_some() && !c.deferrable
            {
                edges.entry(&t.name).or_default().push(&fk.ref_table);
            }
        }
    }
    // Strongly connected components (Tarjan) of size > 1 are the cycles.
    let nodes: Vec<&QualifiedName> = edges.keys().copied().collect();
    let mut index = BTreeMap::new();
    let mut low = BTreeMap::new();
    let mut on_stack = BTreeMap::new();
    let mut stack = vec![];
    let mut counter = 0;
    let mut sccs: Vec<Vec<&QualifiedName>> = vec![];
    #[allow(clippy::too_many_arguments)]
    fn visit<'a>(
        v: &'a QualifiedName,
        edges: &BTreeMap<&'a QualifiedName, Vec<&'a QualifiedName>>,
        index: &mut BTreeMap<&'a QualifiedName, usize>,
        low: &mut BTreeMap<&'a QualifiedName, usize>,
        on_stack: &mut BTreeMap<&'a QualifiedName, bool>,
        stack: &mut Vec<&'a QualifiedName>,
        counter: &mut usize,
        sccs: &mut Vec<Vec<&'a QualifiedName>>,
    ) {
        index.insert(v, *counter);
        low.insert(v, *counter);
        *counter += 1;
        stack.push(v);
        on_stack.insert(v, true);
        for &w in edges.get(v).map(|e| e.as_slice()).unwrap_or(&[]) {
            if !index.contains_key(w) {
                visit(w, edges, index, low, on_stack, stack, counter, sccs);
                let lw = low[w];
                let lv = low[v];
                low.insert(v, lv.min(lw));
            } else if on_stack.get(w).copied().unwrap_or(false) {
                let iw = index[w];
                let lv = low[v];
                low.insert(v, lv.min(iw));
            }
        }
        if low[v] == index[v] {
            let mut comp = vec![];
            while let Some(w) = stack.pop() {
                on_stack.insert(w, false);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                sccs.push(comp);
            }
        }
    }
    for v in nodes {
        if !index.contains_key(v) {
            visit(
                v,
                &edges,
                &mut index,
                &mut low,
                &mut on_stack,
                &mut stack,
                &mut counter,
                &mut sccs,
            );
        }
    }
    for comp in sccs {
        let mut names: Vec<String> = comp.iter().map(|n| n.to_string()).collect();
        names.sort();
        // Report at the constraint that closes the cycle: the last-defined FK inside the component.
        let mut best = None;
        for t in comp.iter().filter_map(|n| cx.catalog.table(n)) {
            for (c, fk) in t.foreign_keys() {
                if comp.contains(&&fk.ref_table) && fk.ref_table != t.name && !c.deferrable {
                    let key = c.origin.span().map(|s| (s.file, s.start));
                    if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                        best = Some((key, t, c));
                    }
                }
            }
        }
        if let Some((_, t, c)) = best {
            out.push(
                c.origin,
                names.join(","),
                format!("foreign keys form a cycle ({}) and none is DEFERRABLE", names.join(" -> ")),
                "Make one constraint of the cycle DEFERRABLE INITIALLY DEFERRED so both rows can be inserted in one transaction.",
                crate::rules::fix::sql(&[crate::rules::fix::alter(
                    &t.name,
                    vec![dbarch_sql::change::AlterTable::AlterConstraint {
                        name: c.name.clone(),
                        deferrable: true,
                        initially_deferred: true,
                    }],
                )]),
            );
        }
    }
}
