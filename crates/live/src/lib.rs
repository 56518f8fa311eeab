//! Live PostgreSQL: connections to users' databases (read-only sessions), introspection of their schema
//! (as DDL the catalog replays), statistics and pg_stat_statements; throwaway clusters and the migration
//! tracer. Later: EXPLAIN and HypoPG.

pub mod cluster;
pub mod connect;
pub mod conninfo;
pub mod hypopg;
pub mod inspect;
pub mod introspect;
pub mod tls;
pub mod trace;

pub use cluster::{ClusterError, TempCluster};
pub use connect::{ConnectError, Target, connect_read_only, target};
pub use hypopg::HypoPg;
pub use inspect::{Limits, inspect};
pub use introspect::{IntrospectError, pg_stat_statements_csv, schema_ddl, statistics};
pub use trace::{
    ObservedLock, Outcome, Script, ScriptStatement, ScriptTrace, StatementTrace, TraceMode, Tracer,
    lock_requested_when_blocked, trace_scripts,
};

/// An identifier quoted for SQL: always in double quotes, embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A connection string (URL or `key=value`) with its passwords replaced, for messages.
pub fn redact_url(url: &str) -> String {
    conninfo::redact(url)
}

/// The comment every catalog query dbarch sends starts with, so that pg_stat_statements shows which
/// statements are dbarch's and a workload read from it leaves them out.
pub const MARK: &str = "/* dbarch */";

/// `sql` with [`MARK`] in front.
pub fn marked(sql: &str) -> String {
    format!("{MARK} {sql}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers() {
        // (Redaction is tested beside it, in conninfo.)
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
