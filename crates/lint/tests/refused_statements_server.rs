//! The rules that predict a statement PostgreSQL refuses — MIG032 (a view depends on what it drops or
//! retypes) and MIG033 (the statement does not fit the schema) — checked against the server at hand: each
//! statement of a rule's fixtures runs after the fixture's setup in a throwaway cluster, and the
//! statements the rule flags must be exactly those the server refuses, with the errors the rule means.
//! Also here (one test binary: each costs a link): MIG021's verdicts on generated up/down pairs, and the
//! default names the schema model gives, both against the server.

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

/// MIG021 against the server (generated up/down pairs).
mod down_restores {
    // MIG021 (a down that does not restore the schema its up changed) against the server: generated
    // up/down pairs over a schema with the forms PostgreSQL stores differently from how they are written
    // (implicit casts in defaults and index expressions, default operator classes, serial columns, foreign
    // keys naming or not naming the referenced key, default constraint names). For each pair, dbarch's
    // verdict must be the server's: on a throwaway cluster, the schema read from the catalogs before the up
    // and after the down are compared (in one transaction, rolled back).

    use dbarch_catalog::{Catalog, differences};
    use dbarch_lint::{Config, lint_migration_text};
    use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};

    const BASE: &str = "\
    CREATE TABLE p (id bigint PRIMARY KEY);
    CREATE TABLE t (
        id bigserial PRIMARY KEY,
        a integer NOT NULL DEFAULT 0,
        v varchar(20) DEFAULT 'x',
        tags text[] DEFAULT '{}',
        m jsonb,
        p_id bigint REFERENCES p,
        note text
    );
    CREATE INDEX t_a ON t (a);
    CREATE INDEX t_m_k ON t ((m -> 'k'));
    ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a >= 0);
    COMMENT ON COLUMN t.note IS 'free text';
    CREATE VIEW tv AS SELECT id FROM t WHERE note = 'x';
    ";

    /// An up, and downs for it: some restore the schema (in another spelling than the base's), some do not.
    const OPS: &[(&str, &[&str])] = &[
        (
            "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'y';",
            &[
                "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x';",
                "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x'::character varying;",
                "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x'::varchar;",
                "ALTER TABLE t ALTER COLUMN v DROP DEFAULT;",
                "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'z';",
            ],
        ),
        (
            "ALTER TABLE t ALTER COLUMN tags SET DEFAULT '{a}';",
            &[
                "ALTER TABLE t ALTER COLUMN tags SET DEFAULT '{}';",
                "ALTER TABLE t ALTER COLUMN tags SET DEFAULT '{}'::text[];",
                "ALTER TABLE t ALTER COLUMN tags SET DEFAULT ARRAY[]::text[];",
                "ALTER TABLE t ALTER COLUMN tags DROP DEFAULT;",
            ],
        ),
        (
            "DROP INDEX t_a;",
            &[
                "CREATE INDEX t_a ON t (a);",
                "CREATE INDEX t_a ON t (a int4_ops);",
                "CREATE INDEX t_a ON t USING btree (a);",
                "CREATE INDEX t_a ON t (a DESC);",
                "CREATE UNIQUE INDEX t_a ON t (a);",
                "CREATE INDEX t_a ON t (a) WHERE a > 0;",
            ],
        ),
        (
            "DROP INDEX t_m_k;",
            &[
                "CREATE INDEX t_m_k ON t ((m -> 'k'));",
                "CREATE INDEX t_m_k ON t ((m -> 'k'::text));",
                "CREATE INDEX t_m_k ON t ((m ->> 'k'));",
                "CREATE INDEX t_m_k ON t USING hash ((m -> 'k'));",
            ],
        ),
        (
            "ALTER TABLE t ADD COLUMN s bigserial;",
            &[
                "ALTER TABLE t DROP COLUMN s;",
                "ALTER TABLE t DROP COLUMN s; DROP SEQUENCE IF EXISTS t_s_seq;",
                "ALTER TABLE t ALTER COLUMN s DROP DEFAULT;",
            ],
        ),
        (
            "CREATE SEQUENCE t_s_seq; ALTER TABLE t ADD COLUMN s bigint NOT NULL DEFAULT nextval('t_s_seq'); ALTER SEQUENCE t_s_seq OWNED BY t.s;",
            &[
                "ALTER TABLE t DROP COLUMN s;",
                "ALTER TABLE t DROP COLUMN s; DROP SEQUENCE IF EXISTS t_s_seq;",
            ],
        ),
        (
            "ALTER TABLE t DROP CONSTRAINT t_a_pos;",
            &[
                "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a >= 0);",
                "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK ((a >= 0));",
                "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a >= 0) NOT VALID;",
                "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0);",
            ],
        ),
        (
            "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
            &["ALTER TABLE t ALTER COLUMN a SET NOT NULL;", "SELECT 1;"],
        ),
        (
            "COMMENT ON COLUMN t.note IS 'changed';",
            &[
                "COMMENT ON COLUMN t.note IS 'free text';",
                "COMMENT ON COLUMN t.note IS NULL;",
            ],
        ),
        (
            "ALTER TABLE t DROP CONSTRAINT t_p_id_fkey;",
            &[
                "ALTER TABLE t ADD CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES p;",
                "ALTER TABLE t ADD CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES p (id);",
                "ALTER TABLE t ADD FOREIGN KEY (p_id) REFERENCES p;",
                "ALTER TABLE t ADD CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE;",
                "ALTER TABLE t ADD CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES p DEFERRABLE;",
            ],
        ),
        (
            "ALTER TABLE t ALTER COLUMN v TYPE varchar(40);",
            &[
                "ALTER TABLE t ALTER COLUMN v TYPE varchar(20);",
                "ALTER TABLE t ALTER COLUMN v TYPE character varying(20);",
                "ALTER TABLE t ALTER COLUMN v TYPE text;",
            ],
        ),
        (
            "ALTER TABLE t RENAME COLUMN note TO body;",
            &[
                "ALTER TABLE t RENAME COLUMN body TO note;",
                "ALTER TABLE t RENAME COLUMN body TO notes;",
            ],
        ),
        (
            "ALTER TABLE t ADD COLUMN extra text DEFAULT 'e';",
            &[
                "ALTER TABLE t DROP COLUMN extra;",
                "ALTER TABLE t ALTER COLUMN extra DROP DEFAULT;",
            ],
        ),
        (
            "CREATE TABLE n (id int PRIMARY KEY, t_id bigint REFERENCES t);",
            &["DROP TABLE n;", "DROP TABLE n CASCADE;", "SELECT 1;"],
        ),
        (
            "DROP VIEW tv;",
            &[
                "CREATE VIEW tv AS SELECT id FROM t WHERE note = 'x';",
                "CREATE VIEW tv AS SELECT id FROM t WHERE note = 'x'::text;",
                "CREATE VIEW tv AS SELECT t.id FROM t WHERE t.note = 'x';",
                "CREATE VIEW tv AS SELECT id FROM t WHERE note = 'y';",
            ],
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT t_v_key UNIQUE (v);",
            &[
                "ALTER TABLE t DROP CONSTRAINT t_v_key;",
                "ALTER TABLE t DROP CONSTRAINT t_v_key; CREATE INDEX t_v_key ON t (v);",
            ],
        ),
        (
            // A view keeps the column it read across a rename: written with the old name before the
            // rename back, it is the base's view.
            "DROP VIEW tv; ALTER TABLE t RENAME COLUMN note TO body;",
            &[
                "CREATE VIEW tv AS SELECT id FROM t WHERE body = 'x'; ALTER TABLE t RENAME COLUMN body TO note;",
                "ALTER TABLE t RENAME COLUMN body TO note; CREATE VIEW tv AS SELECT t.id FROM t WHERE t.note = 'x';",
                "ALTER TABLE t RENAME COLUMN body TO note; CREATE VIEW tv AS SELECT id FROM t AS x WHERE x.note = 'x';",
                "ALTER TABLE t RENAME COLUMN body TO note; CREATE VIEW tv AS SELECT id FROM t WHERE note = 'x' ORDER BY id;",
            ],
        ),
        (
            // The foreign key written in the column's definition, by its default name.
            "ALTER TABLE t ALTER CONSTRAINT t_p_id_fkey DEFERRABLE INITIALLY DEFERRED;",
            &[
                "ALTER TABLE t ALTER CONSTRAINT t_p_id_fkey NOT DEFERRABLE;",
                "ALTER TABLE t ALTER CONSTRAINT t_p_id_fkey NOT DEFERRABLE INITIALLY IMMEDIATE;",
                "ALTER TABLE t ALTER CONSTRAINT t_p_id_fkey DEFERRABLE;",
                "SELECT 1;",
            ],
        ),
    ];

    /// Which ops may not be combined (they change the same object).
    fn conflicts(a: usize, b: usize) -> bool {
        let same_v = [0, 10, 15];
        let pairs = [
            [4, 5],
            [8, 11],
            [11, 14],
            [8, 16],
            [11, 16],
            [14, 16],
            [9, 17],
        ];
        (same_v.contains(&a) && same_v.contains(&b))
            || pairs.iter().any(|p| p.contains(&a) && p.contains(&b))
    }

    fn catalog(sql: &str) -> Catalog {
        let mut sources = SourceMap::new();
        let file = sources.add("schema.sql", sql.to_string());
        match parse_file_opts(&file, ParseOptions::SCHEMA) {
            Ok(f) => Catalog::from_files([&f]),
            Err(e) => panic!("{e:?}\n{sql}"),
        }
    }

    fn server_schema(db: &mut postgres::Client) -> Catalog {
        match dbarch_live::schema_ddl(db) {
            Ok(ddl) => catalog(&ddl),
            Err(e) => panic!("introspect: {e}"),
        }
    }

    /// A small deterministic generator (the cases are the same on every run).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    #[test]
    fn mig021_verdicts_are_the_servers() {
        let cluster = dbarch_testkit::cluster();
        let mut client = dbarch_testkit::database(&cluster, "downs");
        let config = Config::only(&["MIG021"]);
        let mut rng = Lcg(21);
        let (mut restored, mut not_restored) = (0, 0);
        let mut disagreements = vec![];
        for case in 0..220 {
            let mut picked: Vec<usize> = vec![];
            let k = 1 + rng.below(3);
            while picked.len() < k {
                let op = rng.below(OPS.len());
                if !picked.iter().any(|&p| p == op || conflicts(p, op)) {
                    picked.push(op);
                }
            }
            let up: String = picked.iter().map(|&i| format!("{}\n", OPS[i].0)).collect();
            let down: String = picked
                .iter()
                .rev()
                .map(|&i| format!("{}\n", OPS[i].1[rng.below(OPS[i].1.len())]))
                .collect();
            let text = format!("{BASE}-- migration\n{up}-- down\n{down}");
            let findings = lint_migration_text("pair.sql", &text, &config)
                .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
            let ours = findings.iter().find(|f| f.code == "MIG021");
            // One transaction per case, rolled back: every case starts from the base schema.
            let run = |tx: &mut postgres::Client, what: &str, sql: &str| {
                if let Err(e) = tx.batch_execute(sql) {
                    let why = e
                        .as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string());
                    panic!("case {case}: the {what} fails on the server: {why}\n{text}");
                }
            };
            run(&mut client, "begin", "BEGIN");
            run(&mut client, "base", BASE);
            let before = server_schema(&mut client);
            run(&mut client, "up", &up);
            run(&mut client, "down", &down);
            let after = server_schema(&mut client);
            run(&mut client, "rollback", "ROLLBACK");
            let theirs = differences(&before, &after);
            if theirs.is_empty() {
                restored += 1;
            } else {
                not_restored += 1;
            }
            if ours.is_some() == theirs.is_empty() {
                disagreements.push(format!(
                    "case {case}:\n-- up\n{up}-- down\n{down}dbarch: {}\nserver: {}\n",
                    ours.map_or("restored".to_string(), |f| f.message.clone()),
                    if theirs.is_empty() {
                        "restored".to_string()
                    } else {
                        theirs
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    }
                ));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} of 220 verdicts differ from the server's:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
        // Both verdicts are exercised.
        assert!(
            restored >= 40 && not_restored >= 40,
            "{restored} restored, {not_restored} not"
        );
    }
}

/// Default names against the server.
mod default_names {
    // The names PostgreSQL gives what a statement leaves unnamed — constraints, the indexes of keys,
    // indexes, serial sequences — against the schema model's: long table and column names (cut to 63 bytes
    // as `makeObjectName` cuts them, the longer part first) and names already in use (numbered: `_check1`,
    // `_idx1`, `_seq1`), on a throwaway cluster.

    use std::collections::BTreeSet;

    use dbarch_catalog::Catalog;
    use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};

    fn model_names(sql: &str) -> BTreeSet<String> {
        let mut sources = SourceMap::new();
        let file = sources.add("names.sql", sql.to_string());
        let parsed = match parse_file_opts(&file, ParseOptions::FULL) {
            Ok(f) => f,
            Err(e) => panic!("{e:?}"),
        };
        let mut c = Catalog::new();
        for s in &parsed.statements {
            c.apply(&dbarch_sql::change::lower(s));
        }
        let mut out = BTreeSet::new();
        for t in c.tables.values() {
            for k in &t.constraints {
                out.insert(format!("constraint {}.{}", t.name.name, k.name));
            }
        }
        for i in c.indexes.values() {
            out.insert(format!("index {}", i.name.name));
        }
        for s in c.sequences.values() {
            out.insert(format!("sequence {}", s.name.name));
        }
        out
    }

    fn server_names(db: &mut postgres::Client) -> BTreeSet<String> {
        let q = "SELECT 'constraint ' || c.relname || '.' || k.conname FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND k.contype IN ('p', 'u', 'f', 'c', 'x') \
                 UNION ALL SELECT 'index ' || i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public' \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')) \
                 UNION ALL SELECT 'sequence ' || s.relname FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace \
                 WHERE n.nspname = 'public' AND s.relkind = 'S'";
        match db.query(q, &[]) {
            Ok(rows) => rows.iter().map(|r| r.get::<_, String>(0)).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn default_names_are_the_servers() {
        let long_table = "t".repeat(40) + "_orders_with_a_very_long_name";
        let long_col = "c".repeat(30) + "_reference_to_parent_row";
        let cases = [
            // Long names: the longer of table and column is cut first.
            format!(
                "CREATE TABLE parent (id bigint PRIMARY KEY);\n\
                 CREATE TABLE {long_table} (id bigserial PRIMARY KEY, {long_col} bigint REFERENCES parent, \
                 amount int CHECK (amount > 0), code text UNIQUE);\n\
                 CREATE INDEX ON {long_table} ({long_col}, amount);"
            ),
            // Names in use: numbered.
            "CREATE TABLE t (a int CHECK (a > 0), b int);\n\
             ALTER TABLE t ADD CHECK (a < 100);\n\
             CREATE INDEX ON t (a);\nCREATE INDEX ON t (a);\n\
             CREATE TABLE t_b_key (x int);\nALTER TABLE t ADD UNIQUE (b);\n\
             CREATE SEQUENCE u_id_seq;\nCREATE TABLE u (id serial, t_a int);\n\
             ALTER TABLE u ADD CHECK (t_a > 0);"
                .to_string(),
            // A check named like another table's in the same schema is numbered too; a long column list.
            format!(
                "CREATE TABLE v (a int CONSTRAINT w_a_check CHECK (a > 0));\n\
                 CREATE TABLE w (a int CHECK (a > 1), {long_col} int, {long_col}_2 int, UNIQUE ({long_col}, {long_col}_2));"
            ),
        ];
        let cluster = dbarch_testkit::cluster();
        let mut differences = vec![];
        for (i, sql) in cases.iter().enumerate() {
            let mut db = dbarch_testkit::database(&cluster, &format!("names{i}"));
            if let Err(e) = db.batch_execute(sql) {
                panic!("case {i} fails on the server: {e}\n{sql}");
            }
            let (ours, theirs) = (model_names(sql), server_names(&mut db));
            if ours != theirs {
                differences.push(format!(
                    "case {i}:\n{sql}\nonly dbarch: {:?}\nonly the server: {:?}",
                    ours.difference(&theirs).collect::<Vec<_>>(),
                    theirs.difference(&ours).collect::<Vec<_>>()
                ));
            }
        }
        assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    }
}
