use crate::migration::StatementContext;
use crate::rules::prelude::*;

/// PostgreSQL's NAMEDATALEN - 1.
const MAX: usize = 63;

pub static RULE: Rule = Rule {
    code: "MIG026",
    name: "identifier-too-long",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "An identifier longer than 63 bytes, which PostgreSQL silently truncates.",
    doc: Doc {
        what: "An identifier (quoted or not) longer than 63 bytes anywhere in a migration statement.",
        why: "PostgreSQL keeps the first 63 bytes of a name and only raises a NOTICE. The object gets a name \
              other than the one written, so code and later migrations that use the full name may find another \
              object or nothing, and two long names that share their first 63 bytes collide. dbarch reads \
              the tokens before the parser truncates them.",
        example: "CREATE TABLE subscriptions (account_id bigint, plan_id bigint, created_at timestamptz);\n-- migration\nCREATE INDEX index_subscriptions_on_account_id_and_plan_id_and_created_at_desc ON subscriptions (account_id);",
        use_instead: "CREATE INDEX subscriptions_account_plan_created_idx ON subscriptions (account_id);",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS",
        ],
    },
    fixtures: fixtures!("MIG026"),
    check: Check::Migration(check),
};

/// Whether the text has a run of more than 63 bytes that could be one identifier (letters, digits, `_`,
/// `$`, non-ASCII, or anything inside double quotes): only then is the statement worth scanning.
fn may_hold_long_identifier(sql: &str) -> bool {
    let mut run = 0usize;
    let mut quoted = false;
    for b in sql.bytes() {
        if b == b'"' {
            quoted = !quoted;
            run += 1;
        } else if quoted || b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
            run += 1;
        } else {
            run = 0;
        }
        if run > MAX {
            return true;
        }
    }
    false
}

fn check(cx: &StatementContext, out: &mut Sink) {
    if !may_hold_long_identifier(&cx.stmt.sql) {
        return;
    }
    for dbarch_sql::postgres::Identifier { start, end, name } in
        dbarch_sql::postgres::identifiers(&cx.stmt.sql)
    {
        if name.len() <= MAX {
            continue;
        }
        let mut cut = MAX;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(
            cx.stmt
                .span_at(i32::try_from(start).unwrap_or(-1), end - start)
                .into(),
            format!("ident:{name}"),
            format!(
                "identifier is {} bytes long; PostgreSQL truncates it to 63: `{}`",
                name.len(),
                &name[..cut]
            ),
            "Use a name of at most 63 bytes.",
            None,
        );
    }
}
