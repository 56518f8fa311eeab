//! Random bytes and random token soup through the front end, the catalog and every rule: errors are
//! fine, panics and aborts are not.

use dbarch_lint::{Config, lint_text};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "CREATE",
    "TABLE",
    "INDEX",
    "UNIQUE",
    "ALTER",
    "ADD",
    "DROP",
    "COLUMN",
    "CONSTRAINT",
    "PRIMARY",
    "KEY",
    "FOREIGN",
    "REFERENCES",
    "ON",
    "DELETE",
    "CASCADE",
    "NOT",
    "NULL",
    "DEFAULT",
    "CHECK",
    "(",
    ")",
    ",",
    ";",
    "t",
    "u",
    "id",
    "x",
    "y",
    "int",
    "bigint",
    "text",
    "varchar(10)",
    "timestamp",
    "jsonb",
    "serial",
    "GENERATED",
    "ALWAYS",
    "AS",
    "IDENTITY",
    "RENAME",
    "TO",
    "WHERE",
    "USING",
    "gin",
    "btree",
    "INCLUDE",
    "PARTITION",
    "BY",
    "RANGE",
    "OF",
    "FOR",
    "VALUES",
    "FROM",
    "GRANT",
    "SELECT",
    "PUBLIC",
    "POLICY",
    "ENABLE",
    "ROW",
    "LEVEL",
    "SECURITY",
    "TRIGGER",
    "BEFORE",
    "UPDATE",
    "EACH",
    "EXECUTE",
    "FUNCTION",
    "f()",
    "RETURNS",
    "trigger",
    "LANGUAGE",
    "plpgsql",
    "$$ BEGIN RETURN NEW; END $$",
    "'str'",
    "1",
    "DEFERRABLE",
    "VIEW",
    "MATERIALIZED",
    "TYPE",
    "ENUM",
    "SCHEMA",
    "s.t",
    "\"Q\"",
    "--c\n",
    "/* c */",
    "\\set x 1\n",
    "COPY",
    "stdin",
    "\n",
    "IF",
    "EXISTS",
    "SET",
    "search_path",
    "=",
    "TEMP",
    "LIKE",
    "INHERITS",
];

fn run(sql: &str) {
    let _ = lint_text("fuzz.sql", sql, &Config::default());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,300}") {
        run(&s);
    }

    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        run(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
        run(&toks.join(" "));
    }

    #[test]
    fn valid_ddl_with_random_names_never_panics(
        t in "[a-z_]{1,12}", c in "[a-zA-Z_]{1,12}", r in "[a-z_]{1,12}", n in 0u8..6
    ) {
        let sql = format!(
            "CREATE TABLE {r} (id bigint PRIMARY KEY);\nCREATE TABLE \"{t}\" (\"{c}\" int REFERENCES {r}, v{n} text UNIQUE);\n\
             CREATE INDEX ON \"{t}\" (\"{c}\");\nALTER TABLE \"{t}\" RENAME COLUMN \"{c}\" TO z{n};\nALTER TABLE {r} RENAME TO {r}_{n};\n\
             DROP TABLE IF EXISTS \"{t}\" CASCADE;"
        );
        run(&sql);
    }
}
