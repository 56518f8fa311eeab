use crate::migration::StatementContext;
use crate::rules::prelude::*;
use dbarch_sql::change::{ObjectKind, SchemaChange};

pub static RULE: Rule = Rule {
    code: "MIG025",
    name: "drop-routine-type-or-schema",
    category: Category::Migration,
    severity: Severity::Warning,
    summary: "DROP FUNCTION, PROCEDURE, TYPE, DOMAIN or SCHEMA of an object that existed before the migration.",
    doc: Doc {
        what: "`DROP FUNCTION|PROCEDURE|ROUTINE|TYPE|DOMAIN|SCHEMA` of an object that existed before this migration \
               (objects created in the same migration are ignored).",
        why: "Running code that calls the function or casts to the type fails at once, and dependent objects \
              (defaults, triggers, views, columns of that type) block the drop or disappear with CASCADE. Remove \
              the uses first, and drop in a later release.",
        example: "CREATE FUNCTION slugify(t text) RETURNS text LANGUAGE sql AS $$ SELECT lower(t) $$;\n-- migration\nDROP FUNCTION slugify(text);",
        use_instead: "-- release 1: stop calling slugify(); release 2:\nDROP FUNCTION slugify(text);  -- dbarch:ignore MIG025 unused since release 41",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-dropfunction.html",
            "https://www.postgresql.org/docs/current/ddl-depend.html",
        ],
    },
    fixtures: fixtures!("MIG025"),
    check: Check::Migration(check),
};

fn check(cx: &StatementContext, out: &mut Sink) {
    for c in &cx.changes.changes {
        let SchemaChange::Drop(d) = c else { continue };
        let word = match d.kind {
            ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Routine => "routine",
            ObjectKind::Type | ObjectKind::Domain => "type",
            ObjectKind::Schema => "schema",
            _ => continue,
        };
        for o in &d.objects {
            let parts = &o.name;
            let Some(last) = parts.last() else { continue };
            let name = if word == "schema" {
                QualifiedName::new(last.clone(), "")
            } else {
                crate::migration::qualified(cx.catalog, parts)
            };
            if cx.created_here.contains(&name) {
                continue;
            }
            let existed = match word {
                "routine" => cx.catalog.functions.iter().any(|f| &f.name.name == last),
                "type" => cx.catalog.types.keys().any(|k| &k.name == last),
                _ => cx.catalog.schemas.contains_key(last),
            };
            if existed {
                out.push(
                    cx.stmt.span.into(),
                    format!("{word}:{}", parts.join(".")),
                    format!(
                        "dropping {word} {} breaks running code and objects that still use it",
                        parts.join(".")
                    ),
                    "Remove every use (and deploy that) before dropping it.",
                    None,
                );
            }
        }
    }
}
