//! The names PostgreSQL gives what a statement leaves unnamed — constraints, the indexes of keys,
//! indexes, serial sequences — against the schema model's: long table and column names (cut to 63 bytes
//! as `makeObjectName` cuts them, the longer part first) and names already in use (numbered: `_check1`,
//! `_idx1`, `_seq1`), on a throwaway cluster.

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
