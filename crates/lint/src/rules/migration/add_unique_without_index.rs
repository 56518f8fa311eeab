use super::{alter_existing, is};
use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{AlterTableType, ConstrType};

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
    let Some((t, cmds)) = alter_existing(cx) else {
        return;
    };
    for c in cmds
        .into_iter()
        .filter(|c| is(c, AlterTableType::AtAddConstraint))
    {
        let Some(NodeEnum::Constraint(k)) = c.def.as_ref().and_then(|d| d.node.as_ref()) else {
            continue;
        };
        let primary = k.contype == ConstrType::ConstrPrimary as i32;
        if !(primary || k.contype == ConstrType::ConstrUnique as i32) || !k.indexname.is_empty() {
            continue;
        }
        let cols: Vec<String> = k
            .keys
            .iter()
            .filter_map(dbarch_sql::expr::string_value)
            .map(String::from)
            .collect();
        let name = if k.conname.is_empty() {
            format!(
                "{}_{}",
                t.name.name,
                if primary {
                    "pkey".to_string()
                } else {
                    format!("{}_key", cols.join("_"))
                }
            )
        } else {
            k.conname.clone()
        };
        let fix = {
            use crate::rules::fix::{alter, constraint, index_concurrently, sql};
            use dbarch_sql::change::{AlterTable, ConstraintDefKind};
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
            cx.stmt.span_at(k.location, 1).into(),
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
}
