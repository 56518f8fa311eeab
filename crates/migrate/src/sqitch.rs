//! Sqitch projects: `sqitch.plan` orders the changes; each is `deploy/<change>.sql` with its
//! `revert/<change>.sql`. Sqitch runs a script with `psql -f` and wraps nothing: the transaction is the
//! script's own `BEGIN; ... COMMIT;` (as Sqitch's templates write it). A change reworked later keeps its
//! earlier scripts as `<change>@<tag>.sql`, the tag being the first one after the earlier change.

use std::path::{Path, PathBuf};

/// The changes of a plan in order: (change name, the tag its scripts are suffixed with when the change
/// is reworked later).
pub(crate) fn plan_changes(text: &str) -> Vec<(String, Option<String>)> {
    // (name, tags seen after it, until the next change of that name)
    let mut out: Vec<(String, Option<String>)> = vec![];
    let mut pending_tag: Vec<usize> = vec![]; // changes waiting for the first tag after them
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') || t.starts_with('#') {
            continue;
        }
        if let Some(tag) = t.strip_prefix('@') {
            let tag = tag.split_whitespace().next().unwrap_or("").to_string();
            for i in pending_tag.drain(..) {
                out[i].1 = Some(tag.clone());
            }
            continue;
        }
        let Some(name) = t.split_whitespace().next() else {
            continue;
        };
        out.push((name.to_string(), None));
        pending_tag.push(out.len() - 1);
    }
    // Only a change whose name comes again later is reworked; the last of each name has no suffix.
    let names: Vec<String> = out.iter().map(|(n, _)| n.clone()).collect();
    for (i, (name, tag)) in out.iter_mut().enumerate() {
        if !names[i + 1..].contains(name) {
            *tag = None;
        }
    }
    out
}

/// The deploy and revert scripts of a change.
pub(crate) fn scripts(dir: &Path, name: &str, tag: Option<&str>) -> (PathBuf, PathBuf) {
    let file = match tag {
        Some(t) => format!("{name}@{t}.sql"),
        None => format!("{name}.sql"),
    };
    (
        dir.join("deploy").join(&file),
        dir.join("revert").join(&file),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_order_and_reworked_changes() {
        let plan = "%syntax-version=1.0.0\n%project=flipr\n\n\
            appschema 2013-12-30T23:19:15Z Marge <m@x> # schema\n\
            users [appschema] 2013-12-30T23:49:00Z Marge <m@x> # users\n\
            @v1.0.0-dev1 2013-12-31T00:00:00Z Marge <m@x> # tag\n\
            insert_user [users] 2014-01-01T00:00:00Z Marge <m@x>\n\
            @v1.0.0-dev2 2014-01-02T00:00:00Z Marge <m@x>\n\
            insert_user [insert_user@v1.0.0-dev2] 2014-01-03T00:00:00Z Marge <m@x> # reworked\n";
        assert_eq!(
            plan_changes(plan),
            [
                ("appschema".into(), None),
                ("users".into(), None),
                ("insert_user".into(), Some("v1.0.0-dev2".into())),
                ("insert_user".into(), None),
            ]
        );
    }
}
