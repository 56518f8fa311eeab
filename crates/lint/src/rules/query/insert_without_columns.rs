use dbarch_sql::NodeEnum;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY003",
    name: "insert-without-column-list",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "INSERT without a column list depends on the table's column order.",
    doc: Doc {
        what: "`INSERT INTO t VALUES (...)` or `INSERT INTO t SELECT ...` without naming the target columns.",
        why: "Values are matched to columns by position. Adding a column, or a table rebuilt in another order \
              on another environment, silently puts values in the wrong columns or breaks the statement.",
        example: "INSERT INTO users VALUES (1, 'ann@example.com', now());",
        use_instead: "INSERT INTO users (id, email, created_at) VALUES (1, 'ann@example.com', now());",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-insert.html"],
    },
    fixtures: fixtures!("QRY003"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    let NodeEnum::InsertStmt(i) = &cx.query.statement.node else {
        return;
    };
    // INSERT ... DEFAULT VALUES has no select and needs no list.
    if !i.cols.is_empty() || i.select_stmt.is_none() {
        return;
    }
    let table = i
        .relation
        .as_ref()
        .map(|r| r.relname.clone())
        .unwrap_or_default();
    out.push(
        cx.span().into(),
        format!("insert:{table}"),
        format!("INSERT INTO {table} without a column list depends on the order of its columns"),
        "Name the target columns.",
        None,
    );
}
