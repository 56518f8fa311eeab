use dbarch_sql::NodeEnum;
use pg_query::NodeRef;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY006",
    name: "order-by-random",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "ORDER BY random() reads and sorts the whole table to pick a few rows.",
    doc: Doc {
        what: "`ORDER BY random()` (in any SELECT block).",
        why: "Every row is read, given a random number and sorted, even with LIMIT 1: the cost grows with the \
              table, not with the number of rows wanted.",
        example: "SELECT id FROM quotes ORDER BY random() LIMIT 1;",
        use_instead: "SELECT id FROM quotes TABLESAMPLE SYSTEM_ROWS(1);  -- tsm_system_rows\n-- or pick a random key: WHERE id >= (SELECT floor(random() * max(id)) FROM quotes) ORDER BY id LIMIT 1",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/tsm-system-rows.html"],
    },
    fixtures: fixtures!("QRY006"),
    check: Check::Query(check),
};

fn check(cx: &QueryContext, out: &mut Sink) {
    for (node, ..) in cx.query.statement.node.nodes() {
        let NodeRef::SortBy(sb) = node else { continue };
        let Some(NodeEnum::FuncCall(f)) = sb.node.as_ref().and_then(|n| n.node.as_ref()) else {
            continue;
        };
        let name = dbarch_sql::expr::name_list(&f.funcname);
        if name
            .last()
            .is_some_and(|n| n.eq_ignore_ascii_case("random"))
            && f.args.is_empty()
        {
            out.push(
                cx.span_at(f.location.max(0) as usize).into(),
                format!("random:{}", cx.query.fingerprint),
                "ORDER BY random() reads and sorts every row to return a few",
                "Sample with TABLESAMPLE (tsm_system_rows), or pick a random key and read from an index.",
                None,
            );
        }
    }
}
