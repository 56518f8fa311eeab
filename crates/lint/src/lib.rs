//! The rule engine: a registry of rules with stable codes, their configuration, inline suppressions and
//! fixes. Rules are small pure functions over the catalog; they never print and never connect.

pub mod config;
pub mod cost;
mod engine;
pub mod judge;
pub mod knowledge;
pub mod migration;
pub mod query;
pub mod registry;
mod rule;
pub mod rules;

pub use config::{Config, ConfigError};
pub use engine::{LintInput, LintOutput, lint_text, run};
pub use migration::{
    DownContext, HistoryContext, MigrationRun, MigrationScript, ScriptHandle, StatementContext,
    lint_migration_text, run_history, run_migrations, run_migrations_from,
};
pub use query::{QueryContext, lint_workload_text, run_queries};
pub use registry::{all_rules, find_rule};
pub use rule::{Category, Check, Context, Diagnostic, Doc, Fixtures, Rule, Sink};
