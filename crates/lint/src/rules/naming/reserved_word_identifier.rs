use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "NAM004",
    name: "reserved-word-identifier",
    category: Category::Naming,
    severity: Severity::Warning,
    summary: "A table or column is named with a reserved SQL keyword.",
    doc: Doc {
        what: "Table and column names that are reserved keywords in PostgreSQL's grammar (`user`, `order`, \
               `group`, `check`, `default`, `desc`, `limit`, `table`, ...), as the real parser classifies them.",
        why: "They must be double-quoted in every statement: `SELECT * FROM user` reads the session's user name, \
              not your table, and `ORDER BY order` is a syntax error. Every tool and hand-written query trips on them.",
        example: "CREATE TABLE \"user\" (id bigint PRIMARY KEY, \"order\" integer);",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY, sort_order integer);",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/sql-keywords-appendix.html"],
    },
    fixtures: fixtures!("NAM004"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    use dbarch_sql::expr::is_reserved_keyword;
    for t in cx.tables() {
        if is_reserved_keyword(&t.name.name) {
            out.push(
                t.origin,
                t.name.to_string(),
                format!("table name \"{}\" is a reserved keyword", t.name.name),
                "Rename it (for example to a plural noun) so it never needs quoting.",
                None,
            );
        }
        for c in t.columns.iter().filter(|c| is_reserved_keyword(&c.name)) {
            out.column(
                t,
                c,
                format!("column name \"{}\" on {} is a reserved keyword", c.name, t.name),
                "Rename it to something more specific (order -> sort_order, user -> user_id, desc -> description).",
                None,
            );
        }
    }
}
