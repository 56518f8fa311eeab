//! The rules that predict a statement PostgreSQL refuses — MIG032 (a view depends on what it drops or
//! retypes) and MIG033 (the statement does not fit the schema) — checked against the server at hand: each
//! statement of a rule's fixtures runs after the fixture's setup in a throwaway cluster, and the
//! statements the rule flags must be exactly those the server refuses, with the errors the rule means.

use dbarch_lint::{Config, all_rules, lint_migration_text};

#[test]
fn dependent_view_rule_agrees_with_the_server() {
    // dependent_objects_still_exist; feature_not_supported ("cannot alter type of a column used by a view
    // or rule").
    agrees_with_the_server("MIG032", &["2BP01", "0A000"]);
}

#[test]
fn fails_against_schema_rule_agrees_with_the_server() {
    // duplicate_table, duplicate_column, undefined_column, invalid_table_definition (multiple primary
    // keys), invalid_foreign_key (no unique constraint matching the referenced columns), undefined_object
    // (no primary key for the referenced table), feature_not_supported (a unique key of a partitioned
    // table without its partition key), undefined_table (a DROP of a relation that does not exist).
    agrees_with_the_server(
        "MIG033",
        &[
            "42P07", "42701", "42703", "42P16", "42830", "42704", "0A000", "42P01",
        ],
    );
}

fn agrees_with_the_server(code: &str, refusals: &[&str]) {
    let cluster = dbarch_testkit::cluster();
    let Some(rule) = all_rules().iter().find(|r| r.code == code) else {
        panic!("{code} is registered");
    };
    let config = Config::only(&[code]);
    let mut disagreements = vec![];
    for (i, (kind, sql)) in [
        ("triggers", rule.fixtures.triggers),
        ("clean", rule.fixtures.clean),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("fixtures/{code}/{kind}.sql");
        let flagged: Vec<usize> = lint_migration_text(&path, sql, &config)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.line)
            .collect();
        let Some(marker) = sql.find("-- migration") else {
            panic!("{path}: no `-- migration` line");
        };
        let mut client = dbarch_testkit::database(&cluster, &format!("fixture{i}"));
        client
            .batch_execute(&sql[..marker])
            .unwrap_or_else(|e| panic!("{path}: the setup fails on the server: {e}"));
        // Each statement on its own (autocommit): a refused one leaves the schema as it was.
        disagreements.extend(against_the_server(
            &mut client,
            sql,
            marker,
            &path,
            refusals,
            &flagged,
            code,
            |c, text| c.batch_execute(text),
        ));
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Schema rules of error severity that say PostgreSQL refuses the schema: each statement of the trigger
/// fixture runs on its own, and those the rule flags must be exactly those the server refuses; the clean
/// fixture runs whole.
#[test]
fn schema_rules_that_say_the_server_refuses_agree_with_it() {
    // invalid_foreign_key (no unique constraint matching the referenced columns); feature_not_supported
    // (a unique key of a partitioned table without its partition key).
    for (code, refusals) in [("KEY004", &["42830"][..]), ("KEY010", &["0A000"][..])] {
        schema_rule_agrees_with_the_server(code, refusals);
    }
}

fn schema_rule_agrees_with_the_server(code: &str, refusals: &[&str]) {
    let cluster = dbarch_testkit::cluster();
    let Some(rule) = all_rules().iter().find(|r| r.code == code) else {
        panic!("{code} is registered");
    };
    let config = Config::only(&[code]);
    let path = format!("fixtures/{code}/triggers.sql");
    let sql = rule.fixtures.triggers;
    let flagged: Vec<usize> = dbarch_lint::lint_text(&path, sql, &config)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.line)
        .collect();
    assert!(!flagged.is_empty(), "{path}: {code} flags nothing");
    let mut client =
        dbarch_testkit::database(&cluster, &format!("{}_refused", code.to_lowercase()));
    let mut disagreements = against_the_server(
        &mut client,
        sql,
        0,
        &path,
        refusals,
        &flagged,
        code,
        |c, text| c.batch_execute(text),
    );
    let mut clean = dbarch_testkit::database(&cluster, &format!("{}_clean", code.to_lowercase()));
    if let Err(e) = clean.batch_execute(rule.fixtures.clean) {
        disagreements.push(format!(
            "fixtures/{code}/clean.sql fails on the server: {e}"
        ));
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The index-key immutability judgement (what the advisor, the explain tips and the fixes may propose)
/// against the server: each expression is built as an index key, and PostgreSQL must accept exactly the
/// ones judged immutable.
#[test]
fn index_expression_immutability_agrees_with_the_server() {
    let cluster = dbarch_testkit::cluster();
    let mut client = dbarch_testkit::database(&cluster, "immutable_keys");
    client
        .batch_execute(
            "CREATE EXTENSION IF NOT EXISTS unaccent;
             CREATE TABLE t (created_at timestamptz, happened timestamp, day date, email text, code varchar(20),
                             amount numeric, doc jsonb, n integer, span interval)",
        )
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let types = |c: &str| -> Option<String> {
        Some(
            match c {
                "created_at" => "timestamptz",
                "happened" => "timestamp",
                "day" => "date",
                "email" => "text",
                "code" => "varchar",
                "amount" => "numeric",
                "doc" => "jsonb",
                "n" => "integer",
                "span" => "interval",
                _ => return None,
            }
            .to_string(),
        )
    };
    let mut disagreements = vec![];
    for e in [
        "lower(email)",
        "upper(btrim(code))",
        "(created_at AT TIME ZONE 'UTC')::date",
        "(created_at AT TIME ZONE 'Europe/Paris')",
        "date(happened)",
        "happened::date",
        "day::timestamp",
        "date_trunc('day', happened)",
        "date_trunc('day', created_at, 'UTC')",
        "doc ->> 'kind'",
        "(doc -> 'a') ->> 'b'",
        "round(amount, 2)",
        "coalesce(code, '')",
        "n % 10",
        "md5(email)",
        "left(email, 3)",
        "date(created_at)",
        "created_at::date",
        "created_at::timestamp",
        "happened::timestamptz",
        "date_trunc('day', created_at)",
        "extract(year FROM created_at)",
        "extract(year FROM happened)",
        "code::date",
        "email::timestamptz",
        "happened::text",
        "to_char(happened, 'YYYY')",
        "created_at + interval '1 day'",
        "happened + interval '1 day'",
        "email || created_at",
        "now()",
        "unaccent(email)",
    ] {
        let judged = dbarch_sql::immutable::index_expression_is_immutable(e, &types);
        // Each in its own transaction, undone: only whether the server accepts it counts.
        let accepted = {
            let mut tx = client.transaction().unwrap_or_else(|e| panic!("{e}"));
            let ok = tx
                .batch_execute(&format!("CREATE INDEX ON t (({e}))"))
                .is_ok();
            let _ = tx.rollback();
            ok
        };
        if judged != accepted {
            disagreements.push(format!(
                "`{e}`: judged {}, the server {}",
                if judged { "immutable" } else { "not immutable" },
                if accepted { "builds it" } else { "refuses it" }
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// QRY017 says of some comparisons that PostgreSQL refuses the query (`text_col = 42`): each query of its
/// trigger fixture runs on the server after the fixture's tables, and those it says are refused must be
/// exactly those the server refuses (undefined_function, 42883).
#[test]
fn refused_comparisons_agree_with_the_server() {
    let cluster = dbarch_testkit::cluster();
    let Some(rule) = all_rules().iter().find(|r| r.code == "QRY017") else {
        panic!("QRY017 is registered");
    };
    let sql = rule.fixtures.triggers;
    let path = "fixtures/QRY017/triggers.sql";
    let refused_lines: Vec<usize> =
        dbarch_lint::lint_workload_text(path, sql, &Config::only(&["QRY017"]))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .iter()
            .filter(|f| f.message.contains("PostgreSQL refuses"))
            .map(|f| f.line)
            .collect();
    assert!(
        !refused_lines.is_empty(),
        "{path}: no comparison said to be refused"
    );
    let mut client = dbarch_testkit::database(&cluster, "qry017_refused");
    // A query with a parameter is prepared, not run: the server types it without a value.
    let disagreements = against_the_server(
        &mut client,
        sql,
        0,
        path,
        &["42883"],
        &refused_lines,
        "QRY017",
        |c, text| {
            if text.contains("$1") {
                c.prepare(text).map(|_| ())
            } else {
                c.batch_execute(text)
            }
        },
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Each statement of `sql` after byte `from`, run on its own by `run`: those the server refuses (with one
/// of `refusals`; another error fails the test) must be exactly those on the `flagged` lines. Returns the
/// disagreements.
#[allow(clippy::too_many_arguments)]
fn against_the_server(
    client: &mut postgres::Client,
    sql: &str,
    from: usize,
    path: &str,
    refusals: &[&str],
    flagged: &[usize],
    rule: &str,
    mut run: impl FnMut(&mut postgres::Client, &str) -> Result<(), postgres::Error>,
) -> Vec<String> {
    let mut disagreements = vec![];
    for s in dbarch_sql::split::split(sql)
        .statements
        .iter()
        .filter(|s| s.start >= from)
    {
        let text = sql[s.start..s.end].trim();
        if text.is_empty() {
            continue;
        }
        let line = sql[..s.start].matches('\n').count() + 1;
        let refused = match run(client, text) {
            Ok(()) => false,
            Err(e) => {
                let state = e.code().map(|c| c.code().to_string()).unwrap_or_default();
                assert!(
                    refusals.contains(&state.as_str()),
                    "{path}:{line}: `{text}` fails for another reason: {state} {}",
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string())
                );
                true
            }
        };
        if refused != flagged.contains(&line) {
            disagreements.push(format!(
                "{path}:{line}: `{text}`: the server {} it, {rule} {}",
                if refused { "refuses" } else { "runs" },
                if flagged.contains(&line) {
                    "flags it"
                } else {
                    "does not"
                }
            ));
        }
    }
    disagreements
}
