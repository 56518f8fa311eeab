//! Folders ordered by a graph rather than by name: each migration's `metadata.yaml` names its
//! `parents:` (Sourcegraph's migrator, `internal/database/migration/definition`). The order is
//! topological, migrations not related by ancestry in version order.

use std::collections::{BTreeMap, BTreeSet};

/// What a migration's `metadata.yaml` says that decides how it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub parents: Vec<String>,
    /// `createIndexConcurrently: true`: the migrator runs the up outside a transaction.
    pub create_index_concurrently: bool,
}

/// The keys dbarch reads from a `metadata.yaml`: `parent: N`, `parents: [N, M]` or a block list under
/// `parents:`, and `createIndexConcurrently: true`.
pub(crate) fn metadata(text: &str) -> Metadata {
    let mut m = Metadata::default();
    let mut in_parents = false;
    for line in text.lines() {
        let t = line.split('#').next().unwrap_or("").trim_end();
        if in_parents && let Some(item) = t.trim_start().strip_prefix('-') {
            m.parents
                .push(item.trim().trim_matches(['"', '\'']).to_string());
            continue;
        }
        in_parents = false;
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "parents" | "parent" if value.is_empty() => in_parents = true,
            "parents" | "parent" => m.parents.extend(
                value
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
                    .filter(|p| !p.is_empty()),
            ),
            "createIndexConcurrently" => m.create_index_concurrently = value == "true",
            _ => {}
        }
    }
    m
}

/// The positions of `versions` in run order, given each one's parents; an error names a parent that is
/// not a migration of the folder, or a cycle.
pub(crate) fn order(
    versions: &[String],
    parents: &[Vec<String>],
    cmp: impl Fn(&str, &str) -> std::cmp::Ordering,
) -> Result<Vec<usize>, String> {
    let at: BTreeMap<&str, usize> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i))
        .collect();
    let mut waiting = vec![0usize; versions.len()];
    let mut children: Vec<Vec<usize>> = vec![vec![]; versions.len()];
    for (i, ps) in parents.iter().enumerate() {
        for p in ps {
            let Some(&j) = at.get(p.as_str()) else {
                return Err(format!(
                    "migration {} names parent {p}, which is not in the folder",
                    versions[i]
                ));
            };
            waiting[i] += 1;
            children[j].push(i);
        }
    }
    // Ready migrations, smallest version first.
    let key = |i: usize| (versions[i].clone(), i);
    let mut ready: BTreeSet<(String, usize)> = BTreeSet::new();
    let sorted_ready = |set: &BTreeSet<(String, usize)>| {
        set.iter()
            .min_by(|a, b| cmp(&a.0, &b.0).then(a.1.cmp(&b.1)))
            .cloned()
    };
    for (i, w) in waiting.iter().enumerate() {
        if *w == 0 {
            ready.insert(key(i));
        }
    }
    let mut out = vec![];
    while let Some(next) = sorted_ready(&ready) {
        ready.remove(&next);
        let i = next.1;
        out.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.insert(key(c));
            }
        }
    }
    if out.len() < versions.len() {
        let stuck: Vec<&str> = (0..versions.len())
            .filter(|i| !out.contains(i))
            .map(|i| versions[i].as_str())
            .collect();
        return Err(format!(
            "the parents of migrations {} form a cycle",
            stuck.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_forms() {
        let m =
            metadata("name: x\nparents: [1648051770, 1648195639]\ncreateIndexConcurrently: true\n");
        assert_eq!(m.parents, ["1648051770", "1648195639"]);
        assert!(m.create_index_concurrently);
        let m = metadata("name: y\nparents:\n  - 10\n  - 2\nprivileged: false\n");
        assert_eq!(m.parents, ["10", "2"]);
        assert!(!m.create_index_concurrently);
    }

    #[test]
    fn topological_then_by_version() {
        let v: Vec<String> = ["1", "5", "3", "4"].iter().map(|s| s.to_string()).collect();
        // 5 before 3 (3's parent), 4 independent of both after 1.
        let p = vec![vec![], vec!["1".into()], vec!["5".into()], vec!["1".into()]];
        let o = order(&v, &p, crate::natural_cmp).unwrap();
        let names: Vec<&str> = o.iter().map(|&i| v[i].as_str()).collect();
        assert_eq!(names, ["1", "4", "5", "3"]);
        let cyc = vec![vec!["5".into()], vec!["1".into()], vec![], vec![]];
        assert!(
            order(&v, &cyc, crate::natural_cmp)
                .unwrap_err()
                .contains("cycle")
        );
    }
}
