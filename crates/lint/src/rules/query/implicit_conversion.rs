use dbarch_workload::PredicateKind;

use super::QueryContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "QRY017",
    name: "implicit-type-conversion",
    category: Category::Queries,
    severity: Severity::Warning,
    summary: "Operands of different types: a conversion per row, and an index that cannot be used.",
    doc: Doc {
        what: "A join condition between columns of different type groups (integer vs numeric, integer vs text, \
               uuid vs text, ...), and a column compared with a literal or cast of another group \
               (`int_col = 1.0`, `int_col = $1::numeric`, `text_col = 42`). Needs the schema.",
        why: "PostgreSQL compares values of one type: it converts the column side to the wider type, row by row, \
              and an index on the column's own type no longer matches the operator — `orders.customer_id = \
              c.legacy_id::numeric` reads every order. Comparing text with a number does not even run. The \
              usual root cause is the same key stored with two types in two tables.",
        example: "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE payments (id bigint PRIMARY KEY, customer_ref text);\nCREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);\nSELECT p.id FROM customers c JOIN payments p ON p.customer_ref = c.id;\nSELECT id FROM orders WHERE customer_id = 42.0;",
        use_instead: "-- store the key with one type (ALTER payments.customer_ref TYPE bigint), then:\nSELECT p.id FROM customers c JOIN payments p ON p.customer_id = c.id;\nSELECT id FROM orders WHERE customer_id = 42;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/typeconv-oper.html"],
    },
    fixtures: fixtures!("QRY017"),
    check: Check::Query(check),
};

use dbarch_sql::change::{comparison_group as group, comparison_refused};

fn check(cx: &QueryContext, out: &mut Sink) {
    if cx.catalog.is_none() {
        return;
    }
    for shape in &cx.shapes {
        for edge in &shape.joins {
            let (Some((lt, lc)), Some((rt, rc))) = (
                cx.column(shape, Some(edge.left.0), &edge.left.1),
                cx.column(shape, Some(edge.right.0), &edge.right.1),
            ) else {
                continue;
            };
            if lc.data_type.is_array() || rc.data_type.is_array() {
                continue;
            }
            let (Some(a), Some(b)) = (group(&lc.data_type.name), group(&rc.data_type.name)) else {
                continue;
            };
            if a != b {
                let what = if comparison_refused(a, b) {
                    format!(
                        "PostgreSQL refuses the query: there is no = operator between {} and {}",
                        lc.data_type, rc.data_type
                    )
                } else {
                    "one side is converted row by row and its index cannot serve the join"
                        .to_string()
                };
                out.push(
                    cx.span().into(),
                    format!("conversion:{}.{}:{}.{}", lt.name, lc.name, rt.name, rc.name),
                    format!(
                        "join compares {}.{} ({}) with {}.{} ({}): {what}",
                        lt.name.name, lc.name, lc.data_type, rt.name.name, rc.name, rc.data_type
                    ),
                    "Store the key with one type in both tables (ALTER COLUMN ... TYPE, as a migration), so the join compares like with like.",
                    None,
                );
            }
        }
        for p in shape.all_predicates() {
            if p.expression.is_some()
                || !matches!(
                    p.kind,
                    PredicateKind::Equal | PredicateKind::In(_) | PredicateKind::Range
                )
            {
                continue;
            }
            let (Some(operand), Some((t, c))) =
                (&p.operand_type, cx.column(shape, p.relation, &p.column))
            else {
                continue;
            };
            if c.data_type.is_array() {
                continue;
            }
            let (Some(column_group), Some(operand_group)) =
                (group(&c.data_type.name), group(operand))
            else {
                continue;
            };
            let mismatch = match (column_group, operand_group) {
                // A number literal with a decimal point, or a cast to numeric, on an integer column.
                ("integer", "numeric") => true,
                ("text", "integer" | "numeric") | ("integer" | "numeric", "text") => true,
                ("uuid", "text") | ("text", "uuid") => true,
                _ => false,
            };
            if mismatch {
                let what = if comparison_refused(column_group, operand_group) {
                    format!(
                        "PostgreSQL refuses the query (operator does not exist: {} = {operand})",
                        c.data_type.name
                    )
                } else {
                    "the column is converted for every row and its index is not used".to_string()
                };
                out.push(
                    cx.span_at(p.location).into(),
                    format!("conversion:{}.{}:{operand}", t.name, c.name),
                    format!(
                        "{}.{} ({}) compared with a {operand} value: {what}",
                        t.name.name, c.name, c.data_type
                    ),
                    format!("Pass the value as {}: write the literal in the column's type or cast the parameter, not the column.", c.data_type),
                    None,
                );
            }
        }
    }
}
