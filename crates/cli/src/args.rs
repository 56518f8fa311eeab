use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "dbarch", version, about = "A database architect in one binary: schema review, rules, and more.", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Configuration file (default: ./dbarch.toml, else dbarch.toml in the first input directory).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Target PostgreSQL major version (overrides the configuration; default 16).
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(9..=18))]
    pub pg_version: Option<u32>,
    /// Exit with 1 when a finding at or above this severity is reported.
    #[arg(long, global = true, value_enum, default_value_t = Threshold::Warning)]
    pub severity: Threshold,
    /// Also list what was skipped or not modelled (psql meta-commands, unsupported statements).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Hide the findings this baseline file holds (written by --write-baseline): only what is new is
    /// reported, and only it sets the exit code.
    #[arg(long, global = true, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,
    /// Write every finding of this run to FILE as the baseline (file and fingerprint per line), then
    /// report as if it were given with --baseline.
    #[arg(long, global = true, value_name = "FILE")]
    pub write_baseline: Option<std::path::PathBuf>,
    /// Largest input file accepted, in megabytes (1 to 1048576).
    #[arg(long, global = true, default_value_t = dbarch_sql::read::DEFAULT_MAX_MB,
          value_parser = clap::value_parser!(u64).range(1..=dbarch_sql::read::LARGEST_MAX_MB))]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    Error,
    Warning,
    Info,
    /// Never fail on findings.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Review a schema: DDL files, a schema directory, or a migrations folder replayed in order.
    Review {
        /// Files or directories.
        #[arg(required_unless_present = "db")]
        paths: Vec<PathBuf>,
        /// Review a live database instead (or as well): `postgres://user@host:port/db`, or the PG*
        /// environment variables and ~/.pgpass with `--db ''`. Read-only; its pg_stat_statements, when
        /// installed, is judged by the query rules.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Table statistics of the production database (JSON, as for advise): the fixes' costs name
        /// the rows and bytes of the tables they lock, and a fix that would block a large table is
        /// given in words. Default: a `stats.json` among the inputs.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
    },
    /// Run the rules only (for CI): same inputs and output as review, without the overview.
    Lint {
        #[arg(required_unless_present = "db")]
        paths: Vec<PathBuf>,
        /// A live database, as for review.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Table statistics of the production database (JSON, as for advise): the fixes' costs name
        /// the rows and bytes of the tables they lock, and a fix that would block a large table is
        /// given in words. Default: a `stats.json` among the inputs.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
    },
    /// Analyse a query workload: SQL files (`-- calls: N` before a statement gives its frequency),
    /// pg_stat_statements exports (.csv, .json) and PostgreSQL server logs (stderr format).
    Analyze {
        /// Workload files, or directories of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The schema the queries run against (DDL files, a schema directory or a migrations folder):
        /// rules that need it (nullable columns, existing indexes) say nothing without it.
        #[arg(long, value_name = "PATH")]
        schema: Vec<PathBuf>,
        /// Table statistics (JSON: `{"tables": {"t": {"rows": N, "columns": {"c": {"n_distinct": ..,
        /// "null_frac": .., "avg_width": .., "correlation": ..}}}}}`), for rules that weigh table sizes.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
    },
    /// Recommend indexes for a workload under a storage budget (and existing indexes to drop).
    Advise {
        /// Workload files, or directories of them (as for analyze).
        #[arg(required_unless_present = "db")]
        paths: Vec<PathBuf>,
        /// The schema (DDL files, a schema directory or a migrations folder).
        #[arg(long, value_name = "PATH", required_unless_present = "db")]
        schema: Vec<PathBuf>,
        /// Table statistics (JSON, see docs/advisor.md); without them every table is assumed to have
        /// 10,000 rows and 200 distinct values per column.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// Storage for the new indexes together: 500MB, 1.5GB, 0.5x or 25% (of the data size).
        /// Default: no limit (each index must still pay for its upkeep).
        #[arg(long, value_name = "SIZE")]
        budget: Option<String>,
        /// Pick by plain greedy instead of Extend (the baseline the benchmark compares with).
        #[arg(long)]
        greedy: bool,
        /// Read the schema, the statistics and (when no workload files are given) the pg_stat_statements
        /// workload from a live database, read-only.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// The health of a live database: indexes (duplicate, unused, invalid, missing on foreign keys), keys,
    /// vacuum and bloat, wraparound, sequences, cache, sessions and locks, connections, slow queries,
    /// replication slots, security (RLS, roles, passwords, SSL, grants, SECURITY DEFINER) and settings.
    Inspect {
        /// `postgres://user@host:port/db`, a libpq `key=value` string, or '' for the PG* variables.
        #[arg(long, value_name = "URL")]
        db: String,
    },
    /// Read an EXPLAIN (FORMAT JSON) plan: the tree with each node's own time and share, and the tips,
    /// ranked by the time at stake (slow nodes, misestimates, missing indexes, spills, loops, heap
    /// fetches, lossy bitmaps, parallel workers, JIT).
    Explain {
        /// A plan file (EXPLAIN (FORMAT JSON[, ANALYZE, BUFFERS]) output, or an auto_explain JSON entry).
        #[arg(required_unless_present = "db")]
        plan: Option<PathBuf>,
        /// Plan a query on a live database instead (read-only session).
        #[arg(long, value_name = "URL", requires = "query")]
        db: Option<String>,
        /// The query to plan with --db; with a plan file, the query it is of (else its `Query Text`), so
        /// the index advisor can name the index a sequential scan is missing.
        #[arg(long, value_name = "SQL")]
        query: Option<String>,
        /// With a plan file: the schema (DDL files, a schema directory or a migrations folder), so the index
        /// advisor names the index a sequential scan is missing, knowing the indexes that exist.
        #[arg(long, value_name = "PATH")]
        schema: Vec<PathBuf>,
        /// With a plan file and --schema: table statistics (JSON) for the advisor.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// With --db: run the query (EXPLAIN ANALYZE, BUFFERS) for real times; writes are refused by the
        /// read-only session.
        #[arg(long)]
        analyze: bool,
    },
    /// Migration histories.
    Migrate {
        #[command(subcommand)]
        action: MigrateCommand,
    },
    /// List the rules.
    Rules {
        /// Write one Markdown page per rule (and an index) into this directory.
        #[arg(long, value_name = "DIR")]
        write_docs: Option<PathBuf>,
    },
    /// Show one rule's documentation.
    Rule {
        /// Code (KEY002) or name (fk-without-index).
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Lint a migrations folder for production safety: each statement is judged against the schema the
    /// earlier migrations built (locks, rewrites, transactions), per --pg-version.
    Lint {
        /// Migrations folders (plain numbered files, up/down pairs, diesel, Flyway, dbmate).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the lock report instead of the findings: per statement, the lock it takes on an existing
        /// table, what that blocks, whether it rewrites or scans; and the longest-held lock per migration.
        #[arg(long)]
        locks: bool,
        /// Manifest of applied migrations (`VERSION SHA256` lines, as `dbarch migrate manifest` writes):
        /// report applied migrations that were edited or removed, and new ones that sort before them.
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
        /// Table statistics of the production database (JSON, as for advise): the fixes' costs name
        /// the rows and bytes of the tables they lock, and a fix that would block a large table is
        /// given in words.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// Report only migrations added since this git revision (a branch, tag or commit): the
        /// earlier ones are replayed to build the schema, not reported.
        #[arg(long, value_name = "GIT_REF")]
        since: Option<String>,
    },
    /// Run the migrations on a real PostgreSQL and record what each statement actually locks, rewrites and
    /// scans, beside what the static lock report predicts. Without --db, dbarch starts a throwaway cluster
    /// (initdb in a temporary directory), traces each migration in a rolled-back transaction, applies it,
    /// goes on, and removes the cluster at the end.
    Trace {
        /// Migrations folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Trace on this database instead (postgres://user@host/db, password from ~/.pgpass or the URL):
        /// all migrations run in one transaction that is rolled back, under lock_timeout 3s and
        /// statement_timeout 120s. The database must hold the schema the first migration expects.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Propose a down migration for an up script: each statement reversed from the schema as it was before
    /// it (the earlier migrations of its folder are replayed), data-losing steps marked IRREVERSIBLE, and the
    /// result checked by replaying up then down.
    DownGen {
        /// The up script (a file in a migrations folder, or a lone .sql file).
        file: PathBuf,
    },
    /// Print the manifest of a migrations folder (`VERSION SHA256` per migration), to record what is applied.
    Manifest {
        /// The migrations folder.
        path: PathBuf,
    },
}
