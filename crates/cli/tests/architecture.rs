//! The invariants of docs/ARCHITECTURE.md that the build itself can show, held by reading the workspace
//! (`cargo metadata`) and the library sources: the crates depend on each other in one direction, only the
//! live crate and the binary link a database driver, renderers depend on no analysis, and no library
//! prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each workspace crate and its normal (not dev) dependencies.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str().map(str::to_string))
                .collect();
            (p["name"].as_str().unwrap_or_default().to_string(), deps)
        })
        .collect()
}

/// What each crate may use of the others: the one direction data flows in (front end, then the schema
/// model, then workloads, then analyses, then the live database, then the binary).
const LAYERS: &[(&str, &[&str])] = &[
    ("dbarch-sql", &[]),
    ("dbarch-report", &[]),
    ("dbarch-migrate", &["dbarch-sql"]),
    ("dbarch-catalog", &["dbarch-sql"]),
    ("dbarch-workload", &["dbarch-sql", "dbarch-catalog"]),
    (
        "dbarch-lint",
        &[
            "dbarch-sql",
            "dbarch-catalog",
            "dbarch-workload",
            "dbarch-migrate",
            "dbarch-report",
        ],
    ),
    (
        "dbarch-advisor",
        &[
            "dbarch-sql",
            "dbarch-catalog",
            "dbarch-workload",
            "dbarch-report",
        ],
    ),
    (
        "dbarch-live",
        &[
            "dbarch-sql",
            "dbarch-catalog",
            "dbarch-advisor",
            "dbarch-report",
        ],
    ),
    (
        "dbarch-project",
        &[
            "dbarch-sql",
            "dbarch-catalog",
            "dbarch-workload",
            "dbarch-lint",
            "dbarch-migrate",
            "dbarch-advisor",
            "dbarch-report",
            "dbarch-live",
        ],
    ),
    ("dbarch-testkit", &["dbarch-live"]),
    // The fuzz targets call into every layer below the pipeline.
    (
        "dbarch-fuzz",
        &[
            "dbarch-sql",
            "dbarch-catalog",
            "dbarch-workload",
            "dbarch-lint",
            "dbarch-migrate",
            "dbarch-advisor",
            "dbarch-live",
        ],
    ),
];

#[test]
fn crates_depend_on_each_other_in_one_direction() {
    let deps = dependencies();
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    for (name, uses) in &deps {
        if name == "dbarch" {
            continue;
        }
        let Some(allowed) = layers.get(name.as_str()) else {
            panic!("{name} is not placed in the layers of this test (and docs/ARCHITECTURE.md)");
        };
        for d in uses.iter().filter(|d| d.starts_with("dbarch")) {
            assert!(
                allowed.contains(&d.as_str()),
                "{name} depends on {d}: against the direction data flows in (docs/ARCHITECTURE.md)"
            );
        }
    }
}

/// Analyses never connect: a database driver is linked by the live crate, the pipeline that holds a
/// session for the analyses, the binary and the test kit.
#[test]
fn only_the_live_crate_and_the_binary_connect() {
    let connecting = ["dbarch-live", "dbarch-project", "dbarch", "dbarch-testkit"];
    for (name, uses) in dependencies() {
        for driver in ["postgres", "tokio-postgres", "mysql", "rusqlite", "sqlx"] {
            assert!(
                connecting.contains(&name.as_str()) || !uses.contains(driver),
                "{name} links {driver}: analyses never connect"
            );
        }
    }
}

/// The parser's tree stays in the crates that read it today; the change model (docs/ARCHITECTURE.md)
/// shrinks this list to the front end. The schema model is built from typed changes and never sees a
/// tree: neither its manifest nor its sources name the parser or its node types.
#[test]
fn the_parse_tree_stays_where_it_is_read() {
    let readers = [
        "dbarch-sql",
        "dbarch-workload",
        "dbarch-lint",
        "dbarch-advisor",
    ];
    for (name, uses) in dependencies() {
        assert!(
            readers.contains(&name.as_str()) || !uses.contains("pg_query"),
            "{name} depends on pg_query: the parser's tree does not spread further"
        );
    }
    // The schema model, and the checks of schemas and migrations, judge schema changes: a second
    // dialect's front end lowers into the same changes. (Query rules and the advisor still read trees.)
    let mut offenders = vec![];
    for dir in [
        "crates/catalog/src",
        "crates/lint/src/migration",
        "crates/lint/src/rules/migration",
        "crates/lint/src/rules/keys",
        "crates/lint/src/rules/types",
        "crates/lint/src/rules/naming",
        "crates/lint/src/rules/indexes",
        "crates/lint/src/rules/security",
        "crates/lint/src/rules/normalization",
        "crates/lint/src/rules/design",
        "crates/lint/src/rules/health",
        "crates/lint/src/rules/plan",
    ] {
        for path in sources(&workspace().join(dir)) {
            let text = std::fs::read_to_string(&path).expect("read source");
            for (n, line) in text.lines().enumerate() {
                if [
                    "pg_query",
                    "dbarch_sql::ast",
                    "NodeEnum",
                    "protobuf",
                    ".node",
                ]
                .iter()
                .any(|m| line.contains(m))
                {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the schema model and the schema and migration checks never see a parser's tree (they read \
         dbarch_sql::change::SchemaChange):\n{}",
        offenders.join("\n")
    );
}

/// The binary parses arguments, calls the pipeline and renders: it builds no schema model of its own.
#[test]
fn the_binary_builds_no_model() {
    let mut offenders = vec![];
    for path in sources(&workspace().join("crates/cli/src")) {
        let text = std::fs::read_to_string(&path).expect("read source");
        for (n, line) in text.lines().enumerate() {
            if [".replay(", ".apply(", ".apply_changes(", "parse_file"]
                .iter()
                .any(|m| line.contains(m))
            {
                offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the schema model is built by crates/project, not the binary:\n{}",
        offenders.join("\n")
    );
}

/// The Rust sources under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Libraries return data; only the binary writes to the terminal.
#[test]
fn no_library_prints() {
    let mut offenders = vec![];
    for krate in [
        "sql", "catalog", "workload", "lint", "advisor", "migrate", "report", "live", "project",
    ] {
        for path in sources(&workspace().join("crates").join(krate).join("src")) {
            let text = std::fs::read_to_string(&path).expect("read source");
            // Unit tests at the end of a file may print.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                if ["println!", "eprintln!", "print!(", "eprint!(", "dbg!("]
                    .iter()
                    .any(|m| line.contains(m))
                    || line.contains("std::io::stdout()")
                    || line.contains("std::io::stderr()")
                {
                    offenders.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "libraries return data, the binary prints:\n{}",
        offenders.join("\n")
    );
}

/// A crate whose integration tests are one binary (`tests/main.rs`) declares every `tests/*.rs` file in
/// it: with `autotests = false`, cargo would never build a file left out.
#[test]
fn every_integration_test_file_is_in_its_binary() {
    let crates = workspace().join("crates");
    let mut left_out = Vec::new();
    for krate in std::fs::read_dir(&crates).expect("read crates").flatten() {
        let tests = krate.path().join("tests");
        let Ok(main) = std::fs::read_to_string(tests.join("main.rs")) else {
            continue;
        };
        for file in std::fs::read_dir(&tests).expect("read tests").flatten() {
            let path = file.path();
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if path.extension().is_some_and(|e| e == "rs")
                && stem != "main"
                && !main.lines().any(|l| l.trim() == format!("mod {stem};"))
            {
                left_out.push(path.display().to_string());
            }
        }
    }
    assert!(
        left_out.is_empty(),
        "not declared in tests/main.rs: {left_out:?}"
    );
}
