use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::SchemaChange;

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
    if !cx.in_transaction || cx.pg_version >= 12 {
        return;
    }
    for c in &cx.changes.changes {
        let SchemaChange::AlterEnum {
            old_value: None,
            value,
            ..
        } = c
        else {
            continue;
        };
        out.push(
            cx.stmt.span.into(),
            format!("enum:{value}"),
            format!("ALTER TYPE ... ADD VALUE '{value}' cannot run inside a transaction block before PostgreSQL 12 (target is {})", cx.pg_version),
            "Run it in a migration without a transaction.",
            None,
        );
    }
}
