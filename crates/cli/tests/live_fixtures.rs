//! Every rule of a live database (`Check::Live`, found by `dbarch inspect`) has two fixtures: SQL that,
//! run on a fresh database, makes `dbarch inspect` report the rule, and SQL after which it does not. A
//! fixture that cannot be staged on a throwaway cluster says why on its first line (`-- not staged:`), and
//! the list of those is fixed here so that none slips in unnoticed.

use crate::common::*;
use dbarch_testkit::cluster;

/// Live rules whose fixtures cannot be staged on a throwaway cluster in a test's time.
const NOT_STAGED: &[&str] = &[
    "DB009", "DB011", "DB012", "DB013", "DB014", "DB015", "DB020", "DB023", "DB026",
];

#[test]
fn every_live_rule_flags_its_trigger_fixture_and_not_its_clean_one() {
    let c = cluster();
    let live: Vec<_> = dbarch_lint::all_rules()
        .iter()
        .filter(|r| r.is_live_rule())
        .collect();
    assert!(live.len() >= 20, "{} live rules", live.len());
    let dir = tempfile::tempdir().unwrap();
    // The cluster is minutes old: judge unused indexes anyway (the default waits for 7 days of counters).
    write(
        dir.path(),
        "dbarch.toml",
        "[options]\nunused-index-min-days = 0\n",
    );
    let mut failures = vec![];
    let mut not_staged = vec![];
    // Clean fixtures first: what a trigger fixture makes for the whole cluster (a role, a slot) must not
    // reach a clean one.
    for (kind, want) in [("clean", false), ("triggers", true)] {
        for rule in &live {
            let sql = if want {
                rule.fixtures.triggers
            } else {
                rule.fixtures.clean
            };
            if let Some(reason) = sql.trim_start().strip_prefix("-- not staged:") {
                if want {
                    not_staged.push(rule.code);
                    assert!(!reason.trim().is_empty(), "{}: say why", rule.code);
                }
                continue;
            }
            let name = format!("{}_{kind}", rule.code.to_ascii_lowercase());
            c.create_database(&name).expect("create database");
            let mut db = c.connect(&name).expect("connect");
            // One statement at a time: VACUUM may not run in the implicit transaction of a batch.
            let file = dbarch_sql::SourceMap::new().add(&name, sql.to_string());
            let parsed = dbarch_sql::parse_file(&file).expect("fixture parses");
            for stmt in &parsed.statements {
                if let Err(e) = db.batch_execute(&stmt.sql) {
                    failures.push(format!("{}/{kind}.sql: `{}`: {e}", rule.code, stmt.sql));
                }
            }
            // The session ends: its statistics reach the shared counters.
            drop(db);
            let o = dbarch(
                &["inspect", "--db", &c.url(&name), "--format", "json"],
                dir.path(),
            );
            let v = json(&o);
            let fired: Vec<&str> = v["findings"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f["code"].as_str()).collect())
                .unwrap_or_default();
            let fires = fired.contains(&rule.code);
            if fires != want {
                failures.push(format!(
                    "{}/{kind}.sql: {} {}: {fired:?}",
                    rule.code,
                    rule.code,
                    if want { "did not fire" } else { "fired" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(not_staged, NOT_STAGED, "the live rules not staged");
}

/// A former inspect code still names its rule, in `dbarch rule` and in dbarch.toml.
#[test]
fn inspect_checks_are_rules() {
    let dir = tempfile::tempdir().unwrap();
    let o = dbarch(&["rule", "DB003"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("# KEY002 `fk-without-index`"),
        "{}",
        stdout(&o)
    );
    let o = dbarch(&["rule", "DB021"], dir.path());
    assert!(
        stdout(&o).contains("security-definer-search-path"),
        "{}",
        stdout(&o)
    );
    let o = dbarch(&["rule", "DB002"], dir.path());
    assert!(
        stdout(&o).starts_with("# DB002 `unused-index`"),
        "{}",
        stdout(&o)
    );
    // A configuration ignoring a check by its code, another by its former code.
    let c = cluster();
    c.create_database("configured").expect("create database");
    let mut db = c.connect("configured").expect("connect");
    db.batch_execute(
        "CREATE TABLE t (a integer) WITH (autovacuum_enabled = false);\n\
         CREATE TABLE u (a integer);\n\
         CREATE INDEX u_a ON u (a);\n\
         CREATE INDEX u_a2 ON u (a);",
    )
    .expect("setup");
    drop(db);
    let url = c.url("configured");
    let codes = |o: &std::process::Output| -> Vec<String> {
        json(o)["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = codes(&dbarch(
        &["inspect", "--db", &url, "--format", "json"],
        dir.path(),
    ));
    assert!(before.contains(&"DB008".to_string()), "{before:?}");
    assert!(before.contains(&"IDX001".to_string()), "{before:?}");
    write(
        dir.path(),
        "dbarch.toml",
        "[rules]\nignore = [\"autovacuum-disabled\", \"DB001\"]\nseverity = { KEY001 = \"error\" }\n",
    );
    let o = dbarch(&["inspect", "--db", &url, "--format", "json"], dir.path());
    let after = codes(&o);
    assert!(!after.contains(&"DB008".to_string()), "{after:?}");
    assert!(!after.contains(&"IDX001".to_string()), "{after:?}");
    // SARIF and Markdown too.
    let sarif = json(&dbarch(
        &["inspect", "--db", &url, "--format", "sarif"],
        dir.path(),
    ));
    let results = sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        results.iter().any(|r| r["ruleId"] == "KEY001"
            && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "public.t"),
        "{sarif:#}"
    );
    let md = dbarch(
        &["inspect", "--db", &url, "--format", "markdown"],
        dir.path(),
    );
    assert!(
        stdout(&md).contains("| error | `KEY001` table-without-primary-key | `public.t` |"),
        "{}",
        stdout(&md)
    );
    let v = json(&o);
    let keyless = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["code"] == "KEY001"))
        .expect("a table without a primary key");
    assert_eq!(keyless["severity"], "error");
}

/// The tips on a plan are rules too: `dbarch rule PLN003`, and dbarch.toml for `dbarch explain`.
#[test]
fn plan_tips_are_rules() {
    let dir = tempfile::tempdir().unwrap();
    let o = dbarch(&["rule", "PLN003"], dir.path());
    assert!(
        stdout(&o).starts_with("# PLN003 `seq-scan-with-selective-filter`"),
        "{}",
        stdout(&o)
    );
    let plan = r#"[{"Plan": {"Node Type": "Sort", "Plan Rows": 5, "Actual Rows": 4800, "Actual Loops": 1,
        "Actual Total Time": 0.9, "Total Cost": 90.0, "Sort Method": "external merge", "Sort Space Type": "Disk",
        "Sort Space Used": 9000}, "Planning Time": 0.1, "Execution Time": 1.0}]"#;
    write(dir.path(), "plan.json", plan);
    let tips = |o: &std::process::Output| -> Vec<(String, String)> {
        json(o)["tips"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| {
                        (
                            t["code"].as_str().unwrap_or("").to_string(),
                            t["severity"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = tips(&dbarch(
        &["explain", "plan.json", "--format", "json"],
        dir.path(),
    ));
    assert!(before.iter().any(|(c, _)| c == "PLN002"), "{before:?}");
    assert!(
        before.contains(&("PLN005".into(), "warning".into())),
        "{before:?}"
    );
    write(
        dir.path(),
        "dbarch.toml",
        "[rules]\nignore = [\"row-misestimate\"]\nseverity = { PLN005 = \"error\" }\n",
    );
    let after = tips(&dbarch(
        &["explain", "plan.json", "--format", "json"],
        dir.path(),
    ));
    assert!(!after.iter().any(|(c, _)| c == "PLN002"), "{after:?}");
    assert!(
        after.contains(&("PLN005".into(), "error".into())),
        "{after:?}"
    );
    // Every format: SARIF results at their plan node, a Markdown table.
    let o = dbarch(&["explain", "plan.json", "--format", "sarif"], dir.path());
    let sarif = json(&o);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PLN005", "{sarif:#}");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Sort"
    );
    let o = dbarch(
        &["explain", "plan.json", "--format", "markdown"],
        dir.path(),
    );
    assert!(
        stdout(&o).contains("| error | `PLN005` spills-to-disk | Sort |"),
        "{}",
        stdout(&o)
    );
}
