use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{RowVerb, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG019",
    name: "backfill-in-ddl-transaction",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "A whole-table UPDATE or DELETE runs in the same transaction as an ACCESS EXCLUSIVE DDL.",
    doc: Doc {
        what: "`UPDATE` or `DELETE` without a WHERE clause on an existing table, in a transaction in which an earlier \
               statement took an ACCESS EXCLUSIVE lock (ALTER TABLE, ...).",
        why: "The exclusive lock is held until COMMIT, so the table is unreadable and unwritable for the whole \
              backfill — every row updated, with the WAL and bloat that brings. Backfills belong in batches, \
              outside the DDL's transaction.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE users ADD COLUMN locale text;\nUPDATE users SET locale = 'en';",
        use_instead: "ALTER TABLE users ADD COLUMN locale text;  -- migration 1\n-- then, outside a transaction, in batches:\nUPDATE users SET locale = 'en' WHERE id >= $1 AND id < $2 AND locale IS NULL;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/explicit-locking.html"],
    },
    fixtures: fixtures!("MIG019"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    if !cx.in_transaction || cx.locked_exclusive.is_empty() {
        return;
    }
    for c in &cx.changes.changes {
        let SchemaChange::WriteRows(w) = c else {
            continue;
        };
        if w.filtered || w.verb == RowVerb::Insert {
            continue;
        }
        let Some(t) = cx.existing(&w.table) else {
            continue;
        };
        let verb = w.verb.keyword();
        out.push(
            cx.stmt.span.into(),
            format!("{verb}:{}", t.name),
            format!("whole-table {verb} of {} runs while this transaction holds an ACCESS EXCLUSIVE lock from earlier DDL", t.name),
            "Commit the DDL first, then backfill in batches outside the transaction.",
            None,
        );
    }
}
