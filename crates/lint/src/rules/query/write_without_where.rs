use dbarch_sql::NodeEnum;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY002",
    name: "write-without-where",
    category: Category::Queries,
    severity: Severity::Error,
    summary: "UPDATE or DELETE without a WHERE clause changes every row of the table.",
    doc: Doc {
        what: "An `UPDATE` or `DELETE` with neither `WHERE` nor (for UPDATE/DELETE with a join) `FROM`/`USING`.",
        why: "Every row is changed or removed, in one transaction that holds row locks on the whole table and \
              writes a new version of each row (bloat, replication lag). In application code it is almost \
              always a bug: a forgotten filter.",
        example: "UPDATE accounts SET balance = 0;",
        use_instead: "UPDATE accounts SET balance = 0 WHERE id = $1;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-update.html"],
    },
    fixtures: fixtures!("QRY002"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let (what, table) = match &cx.query.statement.node {
        NodeEnum::UpdateStmt(u) if u.where_clause.is_none() && u.from_clause.is_empty() => {
            ("UPDATE", u.relation.as_ref().map(|r| r.relname.clone()))
        }
        NodeEnum::DeleteStmt(d) if d.where_clause.is_none() && d.using_clause.is_empty() => {
            ("DELETE", d.relation.as_ref().map(|r| r.relname.clone()))
        }
        _ => return,
    };
    let table = table.unwrap_or_default();
    out.push(
        cx.span().into(),
        format!("{what}:{table}"),
        format!("{what} of {table} without WHERE changes every row"),
        "Add the WHERE clause; for an intended whole-table change, work in batches of keys.",
        None,
    );
}
