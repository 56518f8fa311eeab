//! An unseen schema with planted flaws: every flaw is reported at its annotated line, nothing else is.
//! Annotations are `-- expect: CODE [CODE...]` at the end of a line.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::corpus;

#[test]
fn every_planted_flaw_at_its_line_and_nothing_else() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/heldout");
    let file = dir.join("tracker.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut expected = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, codes)) = line.split_once("-- expect:") {
            for c in codes.split_whitespace() {
                expected.insert((i + 1, c.to_string()));
            }
        }
    }
    assert!(expected.len() >= 15);
    let out = Command::new(env!("CARGO_BIN_EXE_dbarch"))
        .args([
            "lint",
            "tracker.sql",
            "--format",
            "json",
            "--severity",
            "never",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: BTreeSet<(usize, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["severity"] != "info"
                || expected
                    .iter()
                    .any(|(_, c)| c == f["code"].as_str().unwrap())
        })
        .map(|f| {
            (
                f["line"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let missed: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed: {missed:?}\nunexpected: {extra:?}"
    );
}

/// The real migration histories in ../shared/corpus parse completely and review without error.
#[test]
fn real_migration_histories_replay() {
    let corpus = corpus();
    for name in ["lemmy", "crates-io"] {
        let dir = corpus.join(name).join("migrations");
        let out = Command::new(env!("CARGO_BIN_EXE_dbarch"))
            .args(["lint", "--format", "json", "--severity", "never"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            v["summary"]["files"].as_u64().unwrap() > 200,
            "{name}: {}",
            v["summary"]
        );
    }
}

/// The static lock report against the ground truth: both real histories run on a throwaway PostgreSQL,
/// and every statement's observed locks, rewrites and scans must be the predicted ones. (lemmy's history
/// stops where it starts using PostgreSQL 16 syntax when the server is 15.)
#[test]
fn real_histories_traced_on_postgres_agree_with_the_lock_report() {
    let corpus = corpus();
    for (name, at_least) in [("lemmy", 1500), ("crates-io", 500)] {
        let dir = corpus.join(name).join("migrations");
        let out = Command::new(env!("CARGO_BIN_EXE_dbarch"))
            .args(["migrate", "trace", "--format", "json"])
            .arg(&dir)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let s = &v["summary"];
        assert!(s["statements"].as_u64().unwrap() >= at_least, "{name}: {s}");
        let differing: Vec<String> = v["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| {
                m["statements"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|st| st["verdict"] == "differs" || st["verdict"] == "unpredicted")
                    .map(move |st| {
                        format!(
                            "{}:{}: {} [{}]",
                            m["file"].as_str().unwrap_or(""),
                            st["line"],
                            st["statement"].as_str().unwrap_or(""),
                            st["difference"].as_str().unwrap_or("")
                        )
                    })
            })
            .collect();
        assert!(
            differing.is_empty(),
            "{name}: the server disagrees with the lock report:\n{}",
            differing.join("\n")
        );
    }
}
