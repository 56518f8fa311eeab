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
        example: "CREATE FUNCTION delete_user(uid bigint) RETURNS void LANGUAGE sql SECURITY DEFINER\n    AS $$ DELETE FROM users WHERE id = uid $$;",
        use_instead: "CREATE FUNCTION delete_user(uid bigint) RETURNS void LANGUAGE sql SECURITY DEFINER\n    SET search_path = pg_catalog, pg_temp\n    AS $$ DELETE FROM public.users WHERE id = uid $$;",
        fix_safety: Some(
            "With a fixed search_path, unqualified names in the body resolve only in the listed schemas; \
                          qualify the names the function uses.",
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
                search_path: Some(Some(format!("pg_catalog, {}, pg_temp", f.name.schema))),
            }]),
        );
    }
}
