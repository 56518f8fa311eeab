//! MIG021 (a down that does not restore the schema its up changed) against the server: generated
//! up/down pairs over a schema with the forms PostgreSQL stores differently from how they are written
//! (implicit casts in defaults and index expressions, default operator classes, serial columns, foreign
//! keys naming or not naming the referenced key, default constraint names). For each pair, dbarch's
//! verdict must be the server's: on a throwaway cluster, the schema read from the catalogs before the up
//! and after the down are compared (in one transaction, rolled back).

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
];

/// Which ops may not be combined (they change the same object).
fn conflicts(a: usize, b: usize) -> bool {
    let same_v = [0, 10, 15];
    let pairs = [[4, 5], [8, 11], [11, 14]];
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
