//! Default object names, as PostgreSQL makes them.

/// PostgreSQL's default name for a constraint or index: `table_col1_col2_suffix`, truncated to 63 bytes.
pub fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut parts = vec![table.to_string()];
    parts.extend(columns.iter().cloned());
    let mut base = parts.join("_");
    let max = 63 - suffix.len() - 1;
    if base.len() > max {
        let mut cut = max;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base.truncate(cut);
    }
    if suffix.is_empty() {
        base
    } else {
        format!("{base}_{suffix}")
    }
}

/// The `search_path` to pin on a SECURITY DEFINER function so its body resolves as it does now:
/// `pg_catalog`, the schemas holding the `objects` (relations, functions, sequences, types) the body names
/// without a schema — in the order of `search_path`, then by name; the function's own `schema` when it
/// names none of them — then `pg_temp` last, so a caller cannot shadow a name with a temporary object.
/// Names the body builds at run time (EXECUTE) are not seen.
pub fn definer_search_path<'a>(
    body: &str,
    schema: &str,
    search_path: &[String],
    objects: impl Iterator<Item = &'a crate::QualifiedName>,
) -> String {
    use dbarch_sql::lex::{Kind, tokens};
    let toks: Vec<_> = tokens(body).collect();
    let mut names = std::collections::BTreeSet::new();
    for (i, t) in toks.iter().enumerate() {
        let dotted = |j: Option<usize>| {
            j.and_then(|j| toks.get(j))
                .is_some_and(|x| x.kind == Kind::Punct && x.text == ".")
        };
        // A name with a schema before it, or a schema before a name: resolved without the path.
        if dotted(i.checked_sub(1)) || dotted(Some(i + 1)) {
            continue;
        }
        match t.kind {
            Kind::Word => {
                names.insert(t.text.to_lowercase());
            }
            Kind::Quoted => {
                names.insert(t.text.replace("\"\"", "\""));
            }
            Kind::Punct => {}
        }
    }
    let mut schemas: std::collections::BTreeSet<String> = objects
        .filter(|q| names.contains(&q.name) && q.schema != "pg_catalog")
        .map(|q| q.schema.clone())
        .collect();
    if schemas.is_empty() {
        schemas.insert(schema.to_string());
    }
    let mut ordered: Vec<String> = search_path
        .iter()
        .filter(|s| schemas.contains(*s))
        .cloned()
        .collect();
    let rest: Vec<String> = schemas
        .into_iter()
        .filter(|s| !ordered.contains(s))
        .collect();
    ordered.extend(rest);
    let mut path = vec!["pg_catalog".to_string()];
    path.extend(ordered.iter().map(|s| dbarch_sql::expr::quote_ident(s)));
    path.push("pg_temp".into());
    path.join(", ")
}
