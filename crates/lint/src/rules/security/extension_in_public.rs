use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "SEC006",
    name: "extension-in-public-schema",
    category: Category::Security,
    severity: Severity::Info,
    summary: "An extension is installed in schema public, beside the application's objects.",
    doc: Doc {
        what: "`CREATE EXTENSION` into schema `public` (named, or the default when the search path starts with \
               it), for every extension but plpgsql.",
        why: "The extension's functions and operators then share a schema with the application's, where \
              every role that may create in `public` (PUBLIC could, before PostgreSQL 15) can define a \
              function of the same name and argument types that a query or a SECURITY DEFINER function picks \
              up instead (CVE-2018-1058). A schema of its own keeps them apart, and dumps, grants and \
              upgrades of the extension simpler.",
        example: "CREATE EXTENSION pg_trgm;",
        use_instead: "CREATE SCHEMA extensions;\nCREATE EXTENSION pg_trgm SCHEMA extensions;\n-- and extensions in the search_path of the roles that use it",
        fix_safety: None,
        references: &[
            "https://www.postgresql.org/docs/current/sql-createextension.html",
            "https://wiki.postgresql.org/wiki/A_Guide_to_CVE-2018-1058:_Protect_Your_Search_Path",
        ],
    },
    fixtures: fixtures!("SEC006"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    let default = cx.catalog.creation_schema();
    for e in cx.catalog.extensions.values() {
        let schema = e.schema.as_deref().unwrap_or(&default);
        if schema != "public" || e.name == "plpgsql" {
            continue;
        }
        out.push(
            e.origin,
            format!("extension:{}", e.name),
            format!("extension {} is installed in schema public", e.name),
            format!(
                "Keep extensions in a schema of their own: CREATE SCHEMA extensions; ALTER EXTENSION {} SET SCHEMA \
                 extensions (when the extension is relocatable); then add extensions to the search_path of the \
                 roles and functions that call it unqualified (ALTER ROLE ... SET search_path), or qualify the calls. \
                 No SQL fix: queries that name its functions unqualified break until the search path follows.",
                quote_ident(&e.name)
            ),
            None,
        );
    }
}
