use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY012",
    name: "id-column-without-foreign-key",
    category: Category::Keys,
    severity: Severity::Info,
    summary: "A `<name>_id` column references nothing while a table of that name exists.",
    doc: Doc {
        what: "A column named `<name>_id` of the type of the single-column primary key of a table named \
               `<name>` or its plural in the same schema, with no foreign key on it. Polymorphic pairs \
               (`<name>_id` beside `<name>_type`) are left alone.",
        why: "Without the foreign key nothing stops a row from pointing at a row that does not exist, or from \
              keeping a pointer to a deleted one: the orphans surface later as missing joins and wrong \
              counts. The key also documents the relationship for every tool that reads the schema.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE reviews (id bigint PRIMARY KEY, user_id bigint NOT NULL);",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE reviews (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));\nCREATE INDEX reviews_user_id_idx ON reviews (user_id);",
        fix_safety: Some(
            "The index is built CONCURRENTLY (outside a transaction block) and the key is added NOT VALID (a \
             brief SHARE ROW EXCLUSIVE lock on both tables): new rows are checked from then on. The rows \
             already there are checked by VALIDATE (without blocking writes), the fix's last line, to run \
             once the query of its first line finds no row pointing at nothing (VALIDATE fails on those).",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
        ],
    },
    fixtures: fixtures!("KEY012"),
    check: Check::Schema(check),
};

/// The names a table referenced as `stem` may have: the stem and its plural forms.
fn table_names(stem: &str) -> Vec<String> {
    let mut names = vec![stem.to_string(), format!("{stem}s"), format!("{stem}es")];
    if let Some(base) = stem.strip_suffix('y') {
        names.push(format!("{base}ies"));
    }
    names
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for c in &t.columns {
            let Some(stem) = c.name.strip_suffix("_id").filter(|s| !s.is_empty()) else {
                continue;
            };
            let has_fk = t
                .foreign_keys()
                .any(|(_, fk)| fk.columns.iter().any(|x| x == &c.name));
            let polymorphic = t.column(&format!("{stem}_type")).is_some();
            if has_fk
                || polymorphic
                || t.primary_key_columns() == Some(std::slice::from_ref(&c.name))
            {
                continue;
            }
            let Some(target) = table_names(stem).into_iter().find_map(|n| {
                cx.catalog
                    .table(&QualifiedName::new(t.name.schema.clone(), n))
                    .filter(|r| !r.is_partition())
            }) else {
                continue;
            };
            let Some([key]) = target.primary_key_columns() else {
                continue;
            };
            let Some(key_column) = target.column(key) else {
                continue;
            };
            if key_column.data_type.family() != c.data_type.family()
                || key_column.data_type.is_array() != c.data_type.is_array()
            {
                continue;
            }
            let fix = reference(cx, t, &c.name, &target.name, key);
            out.column(
                t,
                c,
                format!(
                    "{}.{} references nothing, while {} exists: add the foreign key to {}({key})",
                    t.name, c.name, target.name, target.name
                ),
                format!(
                    "If {}.{} holds {}'s keys, declare it: nothing else stops it from pointing at rows that do not exist.",
                    t.name, c.name, target.name
                ),
                fix,
            );
        }
    }
}

/// The foreign key added without blocking: the index CONCURRENTLY when none serves the column, the key
/// NOT VALID, then VALIDATE; first a query for the rows that point at nothing.
fn reference(
    cx: &Context,
    t: &Table,
    col: &str,
    target: &QualifiedName,
    key: &str,
) -> Option<String> {
    use crate::rules::fix::{alter, constraint, index_concurrently, sql};
    use dbarch_sql::change::{AlterTable, ConstraintDefKind, ReferentialAction};
    let cols = vec![col.to_string()];
    let name = dbarch_catalog::default_name(&t.name.name, &cols, "fkey");
    let mut changes = vec![];
    if !crate::rules::util::leading_covered(cx.indexes_on(&t.name), &cols) {
        changes.push(index_concurrently(
            &dbarch_catalog::default_name(&t.name.name, &cols, "idx"),
            &t.name,
            &cols,
            false,
            None,
        ));
    }
    changes.push(alter(
        &t.name,
        vec![AlterTable::AddConstraint(constraint(
            Some(&name),
            ConstraintDefKind::ForeignKey {
                columns: cols.clone(),
                ref_table: Some(crate::rules::fix::name(target)),
                ref_columns: vec![key.to_string()],
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
                match_full: false,
            },
            true,
        ))],
    ));
    let validate = sql(&[alter(&t.name, vec![AlterTable::ValidateConstraint(name)])])?;
    let (c, k) = (quote_ident(col), quote_ident(key));
    Some(format!(
        "-- rows that point at nothing (VALIDATE fails on them): SELECT x.{c}, count(*) FROM {} x WHERE x.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.{k} = x.{c}) GROUP BY x.{c};\n{}\n-- once that query returns nothing: {validate}",
        t.name,
        sql(&changes)?
    ))
}
