//! MIG032 (a statement PostgreSQL refuses because a view depends on what it drops or retypes) checked
//! against the server at hand: each statement of the rule's fixtures runs after the fixture's setup in a
//! throwaway cluster, and the statements the rule flags must be exactly those the server refuses with a
//! dependency error.

use dbarch_lint::{Config, all_rules, lint_migration_text};

#[test]
fn dependent_view_rule_agrees_with_the_server() {
    let cluster = dbarch_testkit::cluster();
    let Some(rule) = all_rules().iter().find(|r| r.code == "MIG032") else {
        panic!("MIG032 is registered");
    };
    let config = Config::only(&["MIG032"]);
    let mut disagreements = vec![];
    for (i, (kind, sql)) in [
        ("triggers", rule.fixtures.triggers),
        ("clean", rule.fixtures.clean),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("fixtures/MIG032/{kind}.sql");
        let flagged: Vec<usize> = lint_migration_text(&path, sql, &config)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .iter()
            .filter(|f| f.code == "MIG032")
            .map(|f| f.line)
            .collect();
        let Some(marker) = sql.find("-- migration") else {
            panic!("{path}: no `-- migration` line");
        };
        let mut client = dbarch_testkit::database(&cluster, &format!("fixture{i}"));
        client
            .batch_execute(&sql[..marker])
            .unwrap_or_else(|e| panic!("{path}: the setup fails on the server: {e}"));
        let split = dbarch_sql::split::split(sql);
        for s in split.statements.iter().filter(|s| s.start > marker) {
            let text = sql[s.start..s.end].trim();
            if text.is_empty() {
                continue;
            }
            let line = sql[..s.start].matches('\n').count() + 1;
            // Each statement on its own (autocommit): a refused one leaves the schema as it was.
            let refused = match client.batch_execute(text) {
                Ok(()) => false,
                Err(e) => {
                    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
                    // dependent_objects_still_exist; feature_not_supported ("cannot alter type of a
                    // column used by a view or rule").
                    assert!(
                        code == "2BP01" || code == "0A000",
                        "{path}:{line}: `{text}` fails for another reason: {e}"
                    );
                    true
                }
            };
            if refused != flagged.contains(&line) {
                disagreements.push(format!(
                    "{path}:{line}: `{text}`: the server {} it, MIG032 {}",
                    if refused { "refuses" } else { "runs" },
                    if flagged.contains(&line) {
                        "flags it"
                    } else {
                        "does not"
                    }
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
