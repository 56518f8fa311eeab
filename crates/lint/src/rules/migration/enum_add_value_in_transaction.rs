use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::NodeEnum;

pub static RULE: Rule = Rule {
    code: "MIG016",
    name: "enum-add-value-in-transaction",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "ALTER TYPE ... ADD VALUE inside a transaction block fails before PostgreSQL 12.",
    doc: Doc {
        what: "`ALTER TYPE ... ADD VALUE` in a migration that runs in a transaction, when the target version \
               (`--pg-version`) is before 12.",
        why: "Before PostgreSQL 12: `ALTER TYPE ... ADD cannot run inside a transaction block`. From 12 the \
              statement runs, but the new value cannot be used until the transaction commits: an INSERT or \
              UPDATE with it in the same migration fails with `unsafe use of new value`.",
        example: "-- pg-version: 11\nCREATE TYPE mood AS ENUM ('sad', 'ok');\n-- migration\nALTER TYPE mood ADD VALUE 'happy';",
        use_instead: "-- dbarch:no-transaction\nALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy';\n-- use 'happy' in a later migration",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertype.html#SQL-ALTERTYPE-NOTES",
        ],
    },
    fixtures: fixtures!("MIG016"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    let NodeEnum::AlterEnumStmt(e) = &cx.stmt.node else {
        return;
    };
    if !e.old_val.is_empty() || !cx.in_transaction || cx.pg_version >= 12 {
        return;
    }
    out.push(
        cx.stmt.span.into(),
        format!("enum:{}", e.new_val),
        format!("ALTER TYPE ... ADD VALUE '{}' cannot run inside a transaction block before PostgreSQL 12 (target is {})", e.new_val, cx.pg_version),
        "Run it in a migration without a transaction.",
        None,
    );
}
