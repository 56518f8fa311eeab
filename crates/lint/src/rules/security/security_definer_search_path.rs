use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "SEC005",
    name: "security-definer-search-path",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "A SECURITY DEFINER function does not set its search_path.",
    doc: Doc {
        what: "Functions and procedures declared SECURITY DEFINER without a `SET search_path` clause.",
        why: "A SECURITY DEFINER function runs with its owner's privileges but resolves unqualified names \
              through the caller's search_path. A caller who can create objects in any schema on that path can \
              shadow a table, function or operator the function uses and run code as the owner — often a superuser.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE FUNCTION delete_user(uid bigint) RETURNS void LANGUAGE sql SECURITY DEFINER\n    AS $$ DELETE FROM users WHERE id = uid $$;",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE FUNCTION delete_user(uid bigint) RETURNS void LANGUAGE sql SECURITY DEFINER\n    SET search_path = pg_catalog, public, pg_temp\n    AS $$ DELETE FROM users WHERE id = uid $$;",
        fix_safety: Some(
            "The fix pins search_path to pg_catalog, then the schemas that hold the objects the body names \
             without a schema (the function's own schema when it names none that the schema declares), then \
             pg_temp last, so the body resolves as it does today. Names the body builds at run time \
             (EXECUTE) are not seen: qualify them. A schema on the path that others can CREATE in is still \
             a way in: revoke CREATE on it.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/sql-createfunction.html#SQL-CREATEFUNCTION-SECURITY",
        ],
    },
    fixtures: fixtures!("SEC005"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for f in &cx.catalog.functions {
        if !f.security_definer || f.search_path.is_some() {
            continue;
        }
        let sig = format!("{}({})", f.name, f.arg_types.join(", "));
        out.push(
            f.origin,
            sig.clone(),
            format!(
                "SECURITY DEFINER {} {sig} does not set search_path",
                if f.is_procedure {
                    "procedure"
                } else {
                    "function"
                }
            ),
            "Pin the search_path so callers cannot shadow the objects it uses.",
            crate::rules::fix::sql(&[dbarch_sql::change::SchemaChange::AlterFunction {
                function: dbarch_sql::change::ObjectRef {
                    name: dbarch_catalog::make::parts(&f.name),
                    args: Some(f.arg_types.clone()),
                },
                procedure: f.is_procedure,
                security_definer: None,
                volatility: None,
                search_path: Some(Some(search_path_for(cx.catalog, f))),
            }]),
        );
    }
}

/// The path the fix pins: [`dbarch_catalog::names::definer_search_path`] over the schema's objects.
fn search_path_for(catalog: &dbarch_catalog::Catalog, f: &dbarch_catalog::Function) -> String {
    let objects = catalog
        .tables
        .keys()
        .chain(catalog.views.keys())
        .chain(catalog.sequences.keys())
        .chain(catalog.types.keys())
        .chain(catalog.functions.iter().map(|g| &g.name));
    dbarch_catalog::names::definer_search_path(
        f.body.as_deref().unwrap_or_default(),
        &f.name.schema,
        &catalog.search_path,
        objects,
    )
}

#[cfg(test)]
mod tests {
    /// The pinned path holds the schemas of what the body names, so the body resolves as it does now.
    #[test]
    fn the_path_holds_the_schemas_the_body_uses() {
        let sql = "CREATE SCHEMA app; CREATE SCHEMA audit;
                   CREATE TABLE app.users (id bigint PRIMARY KEY);
                   CREATE TABLE audit.log (at timestamptz);
                   CREATE FUNCTION public.purge(uid bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
                   BEGIN DELETE FROM users WHERE id = uid; INSERT INTO audit.log VALUES (now()); END $$;
                   CREATE FUNCTION public.noop() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;";
        let f = crate::lint_text("s.sql", sql, &crate::Config::only(&["SEC005"])).unwrap();
        let fix_of = |name: &str| {
            f.iter()
                .find(|x| x.message.contains(name))
                .and_then(|x| x.fix.as_ref().map(|f| f.sql.clone()))
                .unwrap_or_default()
        };
        assert!(
            fix_of("purge").contains("search_path TO pg_catalog, app, pg_temp"),
            "{f:?}"
        );
        assert!(
            fix_of("noop").contains("search_path TO pg_catalog, public, pg_temp"),
            "{f:?}"
        );
    }
}
