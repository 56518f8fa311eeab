//! Default object names, as PostgreSQL makes them.

/// The longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1).
const MAX_NAME: usize = 63;

/// `s` cut to at most `n` bytes, at a character boundary.
fn clip(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, and when that is longer than 63 bytes the longer
/// of `name1` and `name2` is shortened, a byte at a time, until it fits.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = 0;
    if !label.is_empty() {
        overhead += label.len() + 1;
    }
    if name2.is_some() {
        overhead += 1;
    }
    let avail = MAX_NAME.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// The column part of a default name (`ChooseIndexNameAddition`, `ChooseForeignKeyConstraintNameAddition`):
/// the names joined with `_`, at most 63 bytes.
fn columns_part(columns: &[String]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(c);
        if out.len() >= MAX_NAME {
            break;
        }
    }
    clip(&out, MAX_NAME).to_string()
}

/// PostgreSQL's default name for a constraint, index or sequence: `table_col1_col2_suffix`, shortened as
/// `makeObjectName` shortens it.
pub fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let part = columns_part(columns);
    make_object_name(
        table,
        (!columns.is_empty()).then_some(part.as_str()),
        suffix,
    )
}

/// The default name PostgreSQL chooses when `taken` says a name is in use (`ChooseRelationName`,
/// `ChooseConstraintName`): the suffix becomes `suffix1`, `suffix2`, ... until the name is free.
pub fn choose_name(
    table: &str,
    columns: &[String],
    suffix: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let part = columns_part(columns);
    let name2 = (!columns.is_empty()).then_some(part.as_str());
    let mut label = suffix.to_string();
    let mut pass = 0u32;
    loop {
        let name = make_object_name(table, name2, &label);
        pass += 1;
        if !taken(&name) || pass > 10_000 {
            return name;
        }
        label = format!("{suffix}{pass}");
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
