//! What dbarch may send to a user's database on the user's behalf: a query to plan (`explain --query`,
//! a plan's Query Text, workload statements costed through HypoPG). The text is parsed first; it must be
//! exactly one statement of a kind EXPLAIN only plans, and the statement's own text (no trailing
//! semicolon, no comment after it) is what is sent, with the extended query protocol, so nothing can ride
//! along.

use pg_query::protobuf::node::Node as NodeEnum;
use pg_query::protobuf::{SelectStmt, WithClause};

use crate::raw;

/// How the statement will be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Planned only (`EXPLAIN` without ANALYZE, HypoPG's what-if costs, `PREPARE`): INSERT, UPDATE,
    /// DELETE and MERGE are planned without being run, so they are allowed beside queries.
    Plan,
    /// Run (`EXPLAIN ANALYZE`): queries only, and inside a transaction that is rolled back.
    Run,
}

/// The text to send for `sql`, or why it is refused.
pub fn sendable(sql: &str, how: Use) -> Result<String, String> {
    let parsed = raw::parse(sql).map_err(|e| format!("the query does not parse: {}", e.message))?;
    let mut stmts = parsed.stmts.iter().filter(|s| s.stmt.is_some());
    let (Some(stmt), None) = (stmts.next(), stmts.next()) else {
        return Err(if parsed.stmts.is_empty() {
            "the query is empty".to_string()
        } else {
            "give exactly one statement: more than one would run".to_string()
        });
    };
    let Some(node) = stmt.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
        return Err("the query is empty".to_string());
    };
    allowed(node, how)?;
    let start = usize::try_from(stmt.stmt_location)
        .unwrap_or(0)
        .min(sql.len());
    let end = match usize::try_from(stmt.stmt_len) {
        Ok(0) | Err(_) => sql.len(),
        Ok(len) => (start + len).min(sql.len()),
    };
    let text = sql.get(start..end).unwrap_or(sql).trim();
    Ok(text.trim_end_matches(';').trim_end().to_string())
}

fn allowed(node: &NodeEnum, how: Use) -> Result<(), String> {
    let kind = crate::postgres::node_kind(node);
    match node {
        NodeEnum::SelectStmt(s) => select_allowed(s, how),
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
            if how == Use::Plan =>
        {
            Ok(())
        }
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_) => Err(format!(
            "{kind} writes: with --analyze it would run; dbarch runs queries only (SELECT, VALUES, \
             TABLE, WITH), or plans this one without --analyze"
        )),
        NodeEnum::ExplainStmt(_) => {
            Err("give the query without EXPLAIN: dbarch adds it".to_string())
        }
        _ => Err(format!(
            "{kind} is not a query: dbarch plans SELECT, VALUES, TABLE and WITH queries (and, without \
             --analyze, INSERT, UPDATE, DELETE and MERGE)"
        )),
    }
}

fn select_allowed(s: &SelectStmt, how: Use) -> Result<(), String> {
    if s.into_clause.is_some() {
        return Err("SELECT ... INTO creates a table: dbarch does not send it".to_string());
    }
    if let Some(with) = &s.with_clause {
        with_allowed(with, how)?;
    }
    for side in [&s.larg, &s.rarg].into_iter().flatten() {
        select_allowed(side, how)?;
    }
    Ok(())
}

/// A WITH clause that writes (a data-modifying CTE) runs its write even under a query that reads: only
/// planned, never run.
fn with_allowed(with: &WithClause, how: Use) -> Result<(), String> {
    for cte in &with.ctes {
        let Some(NodeEnum::CommonTableExpr(cte)) = &cte.node else {
            continue;
        };
        match cte.ctequery.as_deref().and_then(|n| n.node.as_ref()) {
            Some(NodeEnum::SelectStmt(s)) => select_allowed(s, how)?,
            Some(
                NodeEnum::InsertStmt(_)
                | NodeEnum::UpdateStmt(_)
                | NodeEnum::DeleteStmt(_)
                | NodeEnum::MergeStmt(_),
            ) if how == Use::Run => {
                return Err(format!(
                    "the WITH query {} writes: with --analyze it would run",
                    cte.ctename
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_is_sent_as_written() {
        assert_eq!(
            sendable("  SELECT 1 ; ", Use::Run).unwrap(),
            "SELECT 1",
            "no trailing semicolon"
        );
        assert_eq!(
            sendable("SELECT 1 -- note\n; -- more", Use::Plan).unwrap(),
            "SELECT 1 -- note",
            "nothing after the statement"
        );
        for q in [
            "VALUES (1), (2)",
            "TABLE t",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "SELECT 1 UNION SELECT 2",
            "SELECT * FROM t FOR UPDATE",
        ] {
            assert!(sendable(q, Use::Run).is_ok(), "{q}");
        }
    }

    #[test]
    fn more_than_one_statement_is_refused() {
        let e = sendable(
            "SELECT 1; COMMIT; BEGIN READ WRITE; DROP TABLE victim; COMMIT",
            Use::Plan,
        )
        .unwrap_err();
        assert!(e.contains("exactly one statement"), "{e}");
        assert!(sendable("", Use::Plan).is_err());
        assert!(sendable("-- only a comment", Use::Plan).is_err());
        assert!(sendable(";;", Use::Plan).is_err());
    }

    #[test]
    fn writes_are_planned_never_run() {
        for q in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
        ] {
            assert!(sendable(q, Use::Plan).is_ok(), "{q}");
            assert!(sendable(q, Use::Run).is_err(), "{q}");
        }
        let e = sendable(
            "SELECT 1 UNION (WITH d AS (DELETE FROM t RETURNING 1) SELECT 1)",
            Use::Run,
        );
        assert!(e.is_err(), "a write in a set operation's branch");
    }

    #[test]
    fn what_creates_or_changes_is_refused() {
        for q in [
            "CREATE TABLE x AS SELECT 1",
            "SELECT 1 INTO x",
            "CREATE MATERIALIZED VIEW m AS SELECT 1",
            "DROP TABLE victim",
            "COMMIT",
            "SET default_transaction_read_only = off",
            "EXPLAIN SELECT 1",
            "EXECUTE p",
            "DO $$ BEGIN DROP TABLE t; END $$",
            "CALL p()",
            "COPY t TO STDOUT",
        ] {
            assert!(sendable(q, Use::Plan).is_err(), "{q}");
        }
    }
}
