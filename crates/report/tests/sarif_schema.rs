//! The SARIF output validates against the official OASIS SARIF 2.1.0 JSON schema. The schema is read from
//! the `serde-sarif` crate's sources (a dev-dependency), located through `cargo metadata`.

use std::path::PathBuf;
use std::process::Command;

use dbarch_report::{Finding, Report, RuleInfo, Severity, render_sarif};

fn official_schema() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only this platform's packages are downloaded by a build: ask for those alone, offline.
    let host = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .expect("`rustc -vV` names the host platform");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running `cargo metadata` to find the serde-sarif sources");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency of dbarch-report; run `cargo fetch`");
    let path = PathBuf::from(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn report() -> (Report, Vec<RuleInfo>) {
    let finding = Finding {
        code: "KEY002".into(),
        name: "fk-without-index".into(),
        severity: Severity::Warning,
        message: "foreign key orders(user_id) has no index".into(),
        help: "Index the referencing columns.".into(),
        file: "examples/shop/schema.sql".into(),
        line: 40,
        column: 5,
        end_line: 40,
        end_column: 12,
        fix: Some(dbarch_report::Fix::sql(
            "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
        )),
        fingerprint: "KEY002:public.orders:user_id".into(),
        source_line: None,
    };
    let info = Finding {
        code: "TYP006".into(),
        severity: Severity::Info,
        fix: None,
        fingerprint: "TYP006:public.orders:note".into(),
        ..finding.clone()
    };
    let rules = vec![
        RuleInfo {
            code: "KEY002".into(),
            name: "fk-without-index".into(),
            severity: Severity::Warning,
            summary: "s".into(),
            help_markdown: "m".into(),
        },
        RuleInfo {
            code: "TYP006".into(),
            name: "arbitrary-varchar-length".into(),
            severity: Severity::Info,
            summary: "s".into(),
            help_markdown: "m".into(),
        },
    ];
    (Report::new(vec![finding, info], 1, 10, 0), rules)
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema = official_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let (report, rules) = report();
    let sarif: serde_json::Value =
        serde_json::from_str(&render_sarif(&report, &rules, "0.1.0")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF output is invalid:\n{}",
        errors.join("\n")
    );
    // A deliberately broken log must fail, so the check above can fail.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
    // And the typed model of SARIF reads it back.
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(sarif).expect("serde-sarif reads our log");
    assert_eq!(typed.runs[0].results.as_ref().map(|r| r.len()), Some(2));
}

/// The SARIF of a health report and of a plan's tips (logical locations: database objects and plan
/// nodes, no file) validates too.
#[test]
fn health_and_plan_sarif_validate_against_the_official_schema() {
    use dbarch_report::{
        Evidence, HealthFinding, HealthReport, PlanReport, render_health_sarif, render_plan_sarif,
    };
    let schema = official_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let (_, rules) = report();
    let health = HealthReport {
        database: "postgres://app@db/shop".into(),
        server_version: "15.8".into(),
        checks_run: 26,
        findings: vec![HealthFinding {
            code: "KEY002".into(),
            name: "fk-without-index".into(),
            severity: Severity::Warning,
            object: "public.orders".into(),
            message: "foreign key orders(user_id) has no index".into(),
            evidence: vec![Evidence {
                name: "rows".into(),
                value: "1000".into(),
            }],
            fix: Some(dbarch_report::Fix::sql(
                "CREATE INDEX CONCURRENTLY ON orders (user_id);",
            )),
            fingerprint: "KEY002:public.orders".into(),
        }],
        ..HealthReport::default()
    };
    // A report with one tip, as `dbarch explain` makes it (the report crate does not analyse plans).
    let plan = PlanReport {
        source: "plan.json".into(),
        tips: vec![dbarch_report::PlanTip {
            code: "PLN002".into(),
            name: "row-misestimate".into(),
            severity: Severity::Warning,
            node: 0,
            message: "the planner underestimated the rows 960x".into(),
            evidence: vec![],
            fix: None,
            at_stake_ms: 50.0,
        }],
        ..PlanReport::default()
    };
    for (what, text) in [
        ("health", render_health_sarif(&health, &rules, "0.1.0")),
        ("plan", render_plan_sarif(&plan, &rules, "0.1.0")),
    ] {
        let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} SARIF is invalid:\n{}",
            errors.join("\n")
        );
        let loc = &sarif["runs"][0]["results"][0]["locations"][0];
        assert!(
            loc["logicalLocations"][0]["fullyQualifiedName"].is_string(),
            "{loc}"
        );
    }
}
