use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DSN001",
    name: "updated-at-not-maintained",
    category: Category::Design,
    severity: Severity::Warning,
    summary: "An `updated_at` column has no trigger keeping it current.",
    doc: Doc {
        what: "A table with an `updated_at` / `modified_at` / `last_modified` column and no BEFORE UPDATE row \
               trigger on it (any trigger function counts when its body cannot be seen; a visible body must \
               assign the column).",
        why: "A default sets the column on INSERT only. Every UPDATE path (the application, an admin fix in psql, \
              a backfill) must then remember to set it, and the ones that forget make the column lie: caches and \
              incremental exports that trust it miss changes.",
        example: "CREATE TABLE products (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n    updated_at timestamptz NOT NULL DEFAULT now()\n);",
        use_instead: "CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND $$;\nCREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products\n    FOR EACH ROW EXECUTE FUNCTION set_updated_at();",
        fix_safety: Some(
            "The fix creates `set_<column>()` (it sets the column to now()) unless the schema defines it — \
             CREATE OR REPLACE, so the same function written by the fix of another table is not an error — \
             and the BEFORE UPDATE trigger that runs it.",
        ),
        references: &["https://www.postgresql.org/docs/current/plpgsql-trigger.html"],
    },
    fixtures: fixtures!("DSN001"),
    check: Check::Schema(check),
};

const NAMES: &[&str] = &[
    "updated_at",
    "modified_at",
    "last_modified",
    "last_modified_at",
    "updated_on",
    "modified_on",
    "date_modified",
    "last_updated",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let Some(c) = has_column_named(t, NAMES) else {
            continue;
        };
        let maintained = cx.triggers_on(&t.name).iter().any(|tr| {
            tr.timing == "BEFORE" && tr.for_each_row && tr.events.iter().any(|e| e == "UPDATE") && {
                match cx
                    .catalog
                    .function_named(&tr.function)
                    .and_then(|f| f.body.as_deref())
                {
                    // moddatetime(col) and functions defined elsewhere are trusted.
                    None => true,
                    Some(body) => body
                        .to_ascii_lowercase()
                        .contains(&c.name.to_ascii_lowercase()),
                }
            }
        });
        if maintained {
            continue;
        }

        out.column(
            t,
            c,
            format!("{}.{} is not maintained by a trigger", t.name, c.name),
            format!(
                "Add a BEFORE UPDATE trigger that sets {} so every update path keeps it true.",
                c.name
            ),
            maintain(cx, &t.name, &c.name),
        );
    }
}

/// The trigger that keeps `column` current, and the function it runs (`set_<column>()`, created unless
/// the schema has it): `NEW.<column> := now()` before every UPDATE.
fn maintain(cx: &Context, table: &QualifiedName, column: &str) -> Option<String> {
    use dbarch_sql::change::{CreateFunction, ObjName, SchemaChange};
    let function = format!("set_{column}");
    let defined = cx
        .catalog
        .functions
        .iter()
        .any(|f| f.name.name == function && f.arg_types.is_empty());
    let mut changes = vec![];
    if !defined {
        // OR REPLACE: every such fix writes the same function for the same column, so a user who runs
        // the fixes of several tables one after another gets it once, not an error.
        changes.push(SchemaChange::CreateFunction(CreateFunction {
            name: ObjName::new(None, &function),
            or_replace: true,
            definition: Default::default(),
            arg_types: vec![],
            returns: Some("trigger".into()),
            language: "plpgsql".into(),
            body: Some(format!(
                "BEGIN NEW.{} := now(); RETURN NEW; END",
                quote_ident(column)
            )),
            security_definer: false,
            volatility: "volatile".into(),
            search_path: None,
            is_procedure: false,
        }));
    }
    changes.push(SchemaChange::CreateTrigger {
        table: crate::rules::fix::name(table),
        name: format!("{}_set_{column}", table.name),
        function: ObjName::new(None, &function),
        timing: "BEFORE",
        events: vec!["UPDATE"],
        update_of: vec![],
        for_each_row: true,
        when: None,
        args: vec![],
    });
    crate::rules::fix::sql(&changes)
}
