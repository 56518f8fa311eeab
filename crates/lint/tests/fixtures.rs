//! Every rule has a fixture it must flag, exactly on the lines it marks, and one it must not flag.

use dbarch_lint::{Config, all_rules, lint_migration_text, lint_text, lint_workload_text};

fn lint(
    rule: &dbarch_lint::Rule,
    path: &str,
    sql: &str,
    config: &Config,
) -> Result<Vec<dbarch_report::Finding>, dbarch_sql::SyntaxError> {
    if rule.is_migration_rule() {
        lint_migration_text(path, sql, config)
    } else if rule.is_query_rule() {
        lint_workload_text(path, sql, config)
    } else {
        lint_text(path, sql, config)
    }
}

/// The lines of a trigger fixture its rule must fire on, one entry per finding: `-- expect: CODE` (or
/// `-- expect: CODE, CODE` for two findings) at the end of the line.
fn expected_lines(sql: &str, code: &str) -> Vec<usize> {
    let mut lines = vec![];
    for (n, line) in sql.lines().enumerate() {
        let Some(at) = line.rfind("-- expect:") else {
            continue;
        };
        for c in line[at + "-- expect:".len()..].split(',') {
            if c.trim() == code {
                lines.push(n + 1);
            }
        }
    }
    lines
}

/// `sql` with `-- expect: CODE` written at the end of each line in `lines` (and no other annotation).
fn annotated(sql: &str, code: &str, lines: &[usize]) -> String {
    let mut out = String::new();
    for (n, line) in sql.split_inclusive('\n').enumerate() {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let body = match body.rfind(" -- expect:") {
            Some(at) => &body[..at],
            None => body,
        };
        let here: Vec<&str> = lines
            .iter()
            .filter(|&&l| l == n + 1)
            .map(|_| code)
            .collect();
        out.push_str(body);
        if !here.is_empty() {
            out.push_str(&format!(" -- expect: {}", here.join(", ")));
        }
        out.push_str(end);
    }
    out
}

/// Each trigger fixture fires its rule exactly on the lines annotated `-- expect: CODE`, as many times
/// as annotated, and each clean fixture not at all. `DBARCH_BLESS_FIXTURES=1` writes the annotations from
/// what fires (for a new rule; read the diff).
#[test]
fn every_rule_fires_exactly_where_its_fixtures_say() {
    let bless = std::env::var_os("DBARCH_BLESS_FIXTURES").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut failures = vec![];
    // A live rule's fixtures run on a database (crates/cli/tests/live_fixtures.rs); a plan rule's are plans.
    for rule in all_rules()
        .iter()
        .filter(|r| !r.is_live_rule() && !r.is_plan_rule())
    {
        let config = Config::only(&[rule.code]);
        for (kind, sql, want) in [
            ("triggers", rule.fixtures.triggers, true),
            ("clean", rule.fixtures.clean, false),
        ] {
            let path = format!("fixtures/{}/{kind}.sql", rule.code);
            if sql.trim().is_empty() {
                failures.push(format!("{path}: empty fixture"));
                continue;
            }
            let findings = match lint(rule, &path, sql, &config) {
                Err(e) => {
                    failures.push(format!("{path}: does not parse: {e}"));
                    continue;
                }
                Ok(f) => f,
            };
            let hits: Vec<_> = findings.iter().filter(|f| f.code == rule.code).collect();
            let mut fired: Vec<usize> = hits.iter().map(|f| f.line).collect();
            fired.sort_unstable();
            if !want {
                if !hits.is_empty() {
                    failures.push(format!(
                        "{path}: {} fired: {}",
                        rule.code,
                        hits.iter()
                            .map(|f| format!("{}:{} {}", f.line, f.column, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                continue;
            }
            if bless {
                let file = dir.join(rule.code).join("triggers.sql");
                let text = annotated(sql, rule.code, &fired);
                if text != sql
                    && let Err(e) = std::fs::write(&file, text)
                {
                    failures.push(format!("{}: {e}", file.display()));
                }
                continue;
            }
            let expected = expected_lines(sql, rule.code);
            if expected.is_empty() {
                failures.push(format!(
                    "{path}: no `-- expect: {}` annotation (DBARCH_BLESS_FIXTURES=1 writes them)",
                    rule.code
                ));
            } else if fired != expected {
                failures.push(format!(
                    "{path}: {} fired on lines {fired:?}, the fixture expects {expected:?}: {}",
                    rule.code,
                    hits.iter()
                        .map(|f| format!("{}:{} {}", f.line, f.column, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A plan rule's trigger fixture is a plan (EXPLAIN JSON) on which `dbarch explain` gives its tip; its
/// clean one, a plan that comes close without.
#[test]
fn every_plan_rule_tips_its_trigger_plan_and_not_its_clean_one() {
    let mut failures = vec![];
    let plan_rules: Vec<_> = all_rules().iter().filter(|r| r.is_plan_rule()).collect();
    assert!(plan_rules.len() >= 10, "{} plan rules", plan_rules.len());
    for rule in plan_rules {
        for (kind, text, want) in [
            ("triggers", rule.fixtures.triggers, true),
            ("clean", rule.fixtures.clean, false),
        ] {
            let path = format!("fixtures/{}/{kind}.json", rule.code);
            let top = match dbarch_advisor::explain::parse(&path, text) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{path}: {e}"));
                    continue;
                }
            };
            let report = dbarch_advisor::explain::analyze(&path, &top);
            let codes: Vec<&str> = report.tips.iter().map(|t| t.code.as_str()).collect();
            if codes.contains(&rule.code) != want {
                failures.push(format!(
                    "{path}: {} {}: {codes:?}",
                    rule.code,
                    if want { "not given" } else { "given" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let rules = all_rules();
    assert!(rules.len() >= 30, "{} rules", rules.len());
    for (i, r) in rules.iter().enumerate() {
        // Two or three capitals (DB for the checks of a live database), then three digits.
        let letters = r.code.len().saturating_sub(3);
        assert!(
            (2..=3).contains(&letters)
                && r.code[..letters].chars().all(|c| c.is_ascii_uppercase())
                && r.code[letters..].chars().all(|c| c.is_ascii_digit()),
            "{}",
            r.code
        );
        assert!(
            r.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            r.name
        );
        assert!(
            !r.doc.what.is_empty()
                && !r.doc.why.is_empty()
                && !r.doc.example.is_empty()
                && !r.doc.use_instead.is_empty(),
            "{}",
            r.code
        );
        for o in &rules[i + 1..] {
            assert_ne!(r.code, o.code);
            assert_ne!(r.name, o.name);
        }
        // A former code names one rule and is no rule's own code.
        for a in dbarch_lint::registry::aliases_of(r.code) {
            assert!(
                rules.iter().all(|o| o.code != a),
                "{a} is an alias and a code"
            );
            assert_eq!(dbarch_lint::find_rule(a).map(|f| f.code), Some(r.code));
        }
    }
}

#[test]
fn the_example_in_each_rule_doc_is_flagged() {
    // A rule's documented anti-pattern is itself a test case.
    let mut failures = vec![];
    for rule in all_rules() {
        let config = Config::only(&[rule.code]);
        if rule.code == "NRM004"
            || rule.code == "QRY021"
            || rule.is_live_rule()
            || rule.is_plan_rule()
        {
            // The example elides its columns (NRM004), its repeated log lines (QRY021); a live rule's
            // example is the evidence a database shows.
            continue;
        }
        match lint(rule, "example.sql", rule.doc.example, &config) {
            Err(e) => failures.push(format!("{}: example does not parse: {e}", rule.code)),
            Ok(f) if !f.iter().any(|f| f.code == rule.code) => {
                failures.push(format!("{}: example not flagged", rule.code))
            }
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_use_instead_in_each_rule_doc_is_not_flagged() {
    // What a rule's page recommends must not be what it warns about: linted alone, or after the
    // example's schema when it changes that schema (`ALTER TABLE documents ENABLE ROW LEVEL SECURITY`).
    let mut failures = vec![];
    for rule in all_rules() {
        if rule.is_live_rule() || rule.is_plan_rule() {
            continue;
        }
        let config = Config::only(&[rule.code]);
        // A page that shows two migrations (`-- migration 1`, `-- migration 2`) is two texts.
        let mut parts = vec![String::new()];
        for line in rule.doc.use_instead.lines() {
            let next = line
                .strip_prefix("-- migration ")
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
            if next && !parts.last().is_some_and(|p| p.trim().is_empty()) {
                parts.push(String::new());
            }
            if let Some(p) = parts.last_mut() {
                p.push_str(line);
                p.push('\n');
            }
        }
        for part in &parts {
            match lint(rule, "use_instead.sql", part, &config) {
                Err(e) => failures.push(format!("{}: use_instead does not parse: {e}", rule.code)),
                Ok(f) if f.iter().any(|f| f.code == rule.code) => failures.push(format!(
                    "{}: use_instead is flagged: {}",
                    rule.code,
                    f.iter()
                        .filter(|f| f.code == rule.code)
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn docs_rules_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let mut stale = vec![];
    for (name, content) in dbarch_lint::registry::doc_pages() {
        let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        if on_disk != content {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale ({}); run `./dbarch rules --write-docs docs/rules`",
        stale.join(", ")
    );
}

#[test]
fn readme_lists_every_rule() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap_or_default();
    let missing: Vec<&str> = all_rules()
        .iter()
        .filter(|r| {
            !readme.contains(&format!(
                "| [`{}`](docs/rules/{}.md) | `{}` |",
                r.code, r.code, r.name
            ))
        })
        .map(|r| r.code)
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's rule table lacks {}",
        missing.join(", ")
    );
    let count = format!("{} rules (", all_rules().len());
    assert!(readme.contains(&count), "README.md should say `{count}...`");
}

#[test]
fn a_down_that_postgres_would_refuse_is_reported_at_its_statement() {
    let sql = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
-- migration
ALTER TABLE accounts ADD COLUMN plan text;
CREATE VIEW paying AS SELECT id, plan FROM accounts WHERE plan <> 'free';
-- down
ALTER TABLE accounts DROP COLUMN plan;
DROP VIEW paying;
";
    let config = Config::only(&["MIG021"]);
    let findings = lint_migration_text("t.sql", sql, &config).unwrap();
    let fails: Vec<_> = findings
        .iter()
        .filter(|f| f.message.contains("fails here"))
        .collect();
    assert_eq!(fails.len(), 1, "{findings:#?}");
    assert_eq!(fails[0].line, 6);
    assert!(
        fails[0].message.contains("view paying reads it"),
        "{}",
        fails[0].message
    );
    // In the right order the down works and restores the schema.
    let fixed = sql.replace(
        "ALTER TABLE accounts DROP COLUMN plan;\nDROP VIEW paying;",
        "DROP VIEW paying;\nALTER TABLE accounts DROP COLUMN plan;",
    );
    let findings = lint_migration_text("t.sql", &fixed, &config).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}
