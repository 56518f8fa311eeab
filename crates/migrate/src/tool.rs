//! The migration tools dbarch knows: how each orders a folder, what it wraps in a transaction, and how a
//! file opts out (docs/migrations.md cites each tool's source). A folder's tool is detected from its
//! layout where that is unambiguous; `[migrations] tool = "..."` in dbarch.toml names it otherwise.

/// A migration tool, as `[migrations] tool` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// `N_name.up.sql` / `.down.sql`, each file sent as one query (an implicit transaction block).
    GolangMigrate,
    /// `N_name.up.sql` / `.down.sql` or `N_name.sql`, each in a transaction unless the file starts with
    /// `-- no-transaction`.
    Sqlx,
    /// `N_name.sql` with `-- +goose Up` / `-- +goose Down`, statement by statement in a transaction
    /// unless `-- +goose NO TRANSACTION`.
    Goose,
    /// `N_name.sql` with `-- migrate:up` / `-- migrate:down`, in a transaction unless the marker says
    /// `transaction:false`.
    Dbmate,
    /// `<version>_<name>/up.sql` + `down.sql`, in a transaction unless `metadata.toml` says
    /// `run_in_transaction = false`.
    Diesel,
    /// `V1__name.sql`, `U1__name.sql` (undo), `R__name.sql` (repeatable, after the versioned ones).
    Flyway,
    /// `V1__name.sql` and `U1__name.sql` (both migrations: U is "unversioned"), each in a transaction.
    Refinery,
    /// A folder with `atlas.sum`: files in name order, each in a transaction unless its header says
    /// `-- atlas:txmode none`.
    Atlas,
    /// A project with `sqitch.plan`: `deploy/` and `revert/` scripts in plan order, run by `psql -f`.
    Sqitch,
    /// `N_name.up.sql` / `.down.sql`, each in a transaction unless the file starts with
    /// `-- morph:nontransactional`.
    Morph,
    /// Ory's popx: `N_name[.dialect][.autocommit].up.sql`, the PostgreSQL file of a version preferred,
    /// each in a transaction unless `.autocommit`.
    Popx,
    /// Folders `<id>_<name>/` with `up.sql`, `down.sql` and `metadata.yaml` whose `parents:` order them
    /// (Sourcegraph's migrator); in a transaction unless `createIndexConcurrently: true`.
    Sourcegraph,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::Goose => "goose",
            Tool::Dbmate => "dbmate",
            Tool::Diesel => "diesel",
            Tool::Flyway => "flyway",
            Tool::Refinery => "refinery",
            Tool::Atlas => "atlas",
            Tool::Sqitch => "sqitch",
            Tool::Morph => "morph",
            Tool::Popx => "popx",
            Tool::Sourcegraph => "sourcegraph",
        }
    }
}

/// The dialect part of a popx file name, as popx normalises it (`pg`, `pgx`, `postgresql`: postgres).
pub(crate) fn popx_dialect(d: &str) -> &str {
    match d {
        "postgresql" | "pg" | "pgx" => "postgres",
        "cockroachdb" | "crdb" => "cockroach",
        other => other,
    }
}

/// The dialect names pop accepts (`pop.CanonicalDialect` and its aliases).
const POP_DIALECTS: [&str; 11] = [
    "postgres",
    "postgresql",
    "pg",
    "pgx",
    "cockroach",
    "cockroachdb",
    "crdb",
    "mysql",
    "sqlite",
    "sqlite3",
    "mssql",
];

/// A popx file name: (version, name, dialect, autocommit, is down). popx's pattern is
/// `^(\d+)_([^.]+)(\.[a-z0-9]+)?(\.autocommit)?\.(up|down)\.sql$`.
pub(crate) fn popx_name(file: &str) -> Option<(String, String, Option<String>, bool, bool)> {
    let stem = file.strip_suffix(".sql")?;
    let (stem, down) = match stem.strip_suffix(".up") {
        Some(s) => (s, false),
        None => (stem.strip_suffix(".down")?, true),
    };
    let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    // The dialect is one pop knows (a dot elsewhere, as in morph's `_v6.0.up.sql`, is not popx's).
    let (base, dialect) = match stem.rsplit_once('.') {
        Some((b, d)) if POP_DIALECTS.contains(&d) => (b, Some(popx_dialect(d).to_string())),
        Some(_) => return None,
        None => (stem, None),
    };
    let (version, name) = base.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((version.into(), name.into(), dialect, autocommit, down))
}

/// Flyway runs a script outside a transaction when one of its statements cannot run in one (its
/// PostgreSQL parser's list, `detectCanExecuteInTransaction`): `CREATE`/`DROP INDEX CONCURRENTLY`,
/// `CREATE`/`DROP DATABASE`, `TABLESPACE` or `SUBSCRIPTION`, `ALTER SYSTEM`, `REINDEX SCHEMA|DATABASE|
/// SYSTEM`, `VACUUM`, `DISCARD ALL`.
pub(crate) fn flyway_non_transactional(text: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .take(6)
            .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
            .collect()
    };
    statement_starts(text).any(|s| {
        let w = words(s);
        let w: Vec<&str> = w.iter().map(String::as_str).collect();
        matches!(
            w.as_slice(),
            ["CREATE" | "DROP", "INDEX", "CONCURRENTLY", ..]
                | ["CREATE" | "DROP", "UNIQUE", "INDEX", "CONCURRENTLY", ..]
                | [
                    "CREATE" | "DROP",
                    "DATABASE" | "TABLESPACE" | "SUBSCRIPTION",
                    ..
                ]
                | ["ALTER", "SYSTEM", ..]
                | ["REINDEX", "SCHEMA" | "DATABASE" | "SYSTEM", ..]
                | ["REINDEX", "VERBOSE", "SCHEMA" | "DATABASE" | "SYSTEM", ..]
                | ["VACUUM", ..]
                | ["DISCARD", "ALL", ..]
        )
    })
}

/// The text of each statement of a script from its start (comments skipped), split with the real
/// parser's splitter; a script that does not split gives its lines.
fn statement_starts(text: &str) -> impl Iterator<Item = &str> {
    dbarch_sql::split::split(text)
        .statements
        .into_iter()
        .filter_map(move |r| text.get(r.start..r.end))
        .map(strip_comments)
}

fn strip_comments(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popx_names() {
        assert_eq!(
            popx_name("20210410175418000000_identities.postgres.autocommit.up.sql"),
            Some((
                "20210410175418000000".into(),
                "identities".into(),
                Some("postgres".into()),
                true,
                false
            ))
        );
        assert_eq!(
            popx_name("1_x.down.sql"),
            Some(("1".into(), "x".into(), None, false, true))
        );
        assert_eq!(popx_name("1_x.sql"), None);
        // A dot that is not a dialect: morph's and golang-migrate's names may have one.
        assert_eq!(popx_name("000056_posts_v6.0.up.sql"), None);
        assert_eq!(popx_name("1_x.Bad.up.sql"), None);
    }

    #[test]
    fn flyway_detects_what_cannot_run_in_a_transaction() {
        assert!(flyway_non_transactional(
            "-- idx\nCREATE UNIQUE INDEX CONCURRENTLY i ON t (a);"
        ));
        assert!(flyway_non_transactional("select 1;\nVACUUM t;"));
        assert!(!flyway_non_transactional(
            "CREATE INDEX i ON t (a); -- CONCURRENTLY later"
        ));
    }
}
