use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{AlterTable, ConstraintDefKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG014",
    name: "add-unique-without-index",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "ADD UNIQUE / PRIMARY KEY on an existing table builds its index under an ACCESS EXCLUSIVE lock.",
    doc: Doc {
        what: "`ALTER TABLE ... ADD [CONSTRAINT ...] UNIQUE (...)` or `PRIMARY KEY (...)` on a table that existed \
               before this migration, without `USING INDEX`.",
        why: "The unique index is built while ACCESS EXCLUSIVE is held: no reads or writes for the whole build. \
              Building the index CONCURRENTLY first and attaching it with USING INDEX makes the constraint a \
              catalog change.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migration\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        use_instead: "-- dbarch:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
        fix_safety: Some(
            "The concurrent build fails on duplicates and leaves an INVALID index to drop; CONCURRENTLY \
                          cannot run in a transaction block.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX",
        ],
    },
    fixtures: fixtures!("MIG014"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for change in &cx.changes.changes {
        let SchemaChange::AlterTable { name, commands, .. } = change else {
            continue;
        };
        let Some(t) = cx.existing(name) else {
            continue;
        };
        for k in commands.iter().filter_map(|c| match c {
            AlterTable::AddConstraint(k) if k.using_index.is_none() => Some(k),
            _ => None,
        }) {
            add_unique(cx, t, k, out);
        }
    }
}

fn add_unique(
    cx: &StatementContext,
    t: &dbarch_catalog::Table,
    k: &dbarch_sql::change::ConstraintDef,
    out: &mut Sink,
) {
    let (primary, cols) = match &k.kind {
        ConstraintDefKind::PrimaryKey { columns, .. } => (true, columns.clone()),
        ConstraintDefKind::Unique { columns, .. } => (false, columns.clone()),
        _ => return,
    };
    let name = match &k.name {
        Some(n) => n.clone(),
        None => format!(
            "{}_{}",
            t.name.name,
            if primary {
                "pkey".to_string()
            } else {
                format!("{}_key", cols.join("_"))
            }
        ),
    };
    let fix = {
        use crate::rules::fix::{alter, constraint, index_concurrently, sql};
        let kind = if primary {
            ConstraintDefKind::PrimaryKey {
                columns: vec![],
                include: vec![],
            }
        } else {
            ConstraintDefKind::Unique {
                columns: vec![],
                include: vec![],
                nulls_not_distinct: false,
            }
        };
        let mut k = constraint(Some(&name), kind, false);
        k.using_index = Some(name.clone());
        sql(&[
            index_concurrently(&name, &t.name, &cols, true, None),
            alter(&t.name, vec![AlterTable::AddConstraint(k)]),
        ])
    };
    out.push(
        k.at.into(),
        format!("{}:{name}", t.name),
        format!(
            "adding {} ({}) to {} {}",
            if primary { "PRIMARY KEY" } else { "UNIQUE" },
            cols.join(", "),
            t.name,
            cx.knowledge.describe("add-unique", cx.pg_version)
        ),
        "Build the unique index CONCURRENTLY first, then attach it with USING INDEX.",
        fix,
    );
}
