use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY001",
    name: "table-without-primary-key",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A table has no primary key.",
    doc: Doc {
        what: "A table (not a partition, not temporary) without a PRIMARY KEY constraint.",
        why: "Without a primary key, rows cannot be addressed reliably: duplicates creep in, updates and deletes \
              from tools and ORMs hit the wrong rows, logical replication cannot replicate UPDATE and DELETE \
              (no replica identity), and foreign keys have nothing to point at.",
        example: "CREATE TABLE audit_log (\n    table_name text,\n    changed_at timestamptz\n);",
        use_instead: "CREATE TABLE audit_log (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    table_name text NOT NULL,\n    changed_at timestamptz NOT NULL\n);",
        fix_safety: Some(
            "Adding a primary key builds a unique index and takes an ACCESS EXCLUSIVE lock; on a large \
                          table build the index CONCURRENTLY first and add the key `USING INDEX`. It fails if the \
                          column has duplicates or NULLs.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-PRIMARY-KEYS",
        ],
    },
    fixtures: fixtures!("KEY001"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        if t.primary_key().is_some() || t.columns.is_empty() {
            continue;
        }
        let id = t.column("id");
        let fix = id.and_then(|_| {
            crate::rules::fix::sql(&[crate::rules::fix::alter(
                &t.name,
                vec![dbarch_sql::change::AlterTable::AddConstraint(
                    crate::rules::fix::constraint(
                        None,
                        dbarch_sql::change::ConstraintDefKind::PrimaryKey {
                            columns: vec!["id".into()],
                            include: vec![],
                        },
                        false,
                    ),
                )],
            )])
        });
        let unique_not_null = t
            .unique_column_sets()
            .any(|cols| cols.iter().all(|c| t.column(c).is_some_and(|c| c.not_null)));
        let help = if unique_not_null {
            "A unique NOT NULL column set exists: promote it to the primary key, or add a surrogate identity key."
        } else {
            "Add a primary key: a natural key if one is stable and unique, else `id bigint GENERATED ALWAYS AS IDENTITY`."
        };
        out.push(
            t.origin,
            t.name.to_string(),
            format!("table {} has no primary key", t.name),
            help,
            fix,
        );
    }
}
