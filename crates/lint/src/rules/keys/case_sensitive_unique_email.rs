use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY011",
    name: "case-sensitive-unique-email",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "An email column is unique as written, so `Ann@x.com` and `ann@x.com` are two accounts.",
    doc: Doc {
        what: "A unique constraint or unique index on a `text` / `varchar` column named like an email address \
               (`email`, `*_email`, `email_address`), with no unique index on `lower(col)` beside it and the \
               column not of type `citext`.",
        why: "Mail systems treat the address's domain, and in practice its local part, without regard to case. \
              A case-sensitive unique key lets one person register twice (`Ann@x.com`, `ann@x.com`), makes a \
              login by email miss the account, and lets a password reset reach a look-alike account.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE UNIQUE INDEX users_lower_email_key ON users (lower(email));\n-- and look users up by lower(email) = lower($1)",
        fix_safety: Some(
            "The unique index on lower(email) is built CONCURRENTLY beside the existing key (outside a \
             transaction block: reads and writes go on), so uniqueness is enforced throughout; the existing \
             key can be dropped later. The build fails, leaving an invalid index to drop, when addresses \
             already repeat in another case: the fix's first line finds them. Queries must then compare \
             lower(email) to use the index.",
        ),
        references: &[
            "https://www.postgresql.org/docs/current/indexes-expressional.html",
            "https://www.postgresql.org/docs/current/citext.html",
        ],
    },
    fixtures: fixtures!("KEY011"),
    check: Check::Schema(check),
};

/// Whether a column name reads as an email address.
fn emailish(name: &str) -> bool {
    let words = name_words(name);
    matches!(words.last().map(String::as_str), Some("email" | "mail")) && words.len() <= 3
        || words.len() >= 2
            && words[words.len() - 2] == "email"
            && words[words.len() - 1] == "address"
}

/// Whether an index key is `lower(col)` (or `upper(col)`), as written or as the server prints it.
fn case_folded(key: &dbarch_sql::change::IndexKey, col: &str) -> bool {
    match &key.expr {
        dbarch_sql::change::IndexKeyExpr::Expression { sql, columns } => {
            let s = sql.to_ascii_lowercase();
            columns.len() == 1
                && columns[0] == col
                && (s.starts_with("lower(") || s.starts_with("upper("))
        }
        _ => false,
    }
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let indexes = cx.indexes_on(&t.name);
        for i in indexes
            .iter()
            .filter(|i| i.unique && i.predicate.is_none() && i.keys.len() == 1)
        {
            let Some(col) = i.keys[0].column_name() else {
                continue;
            };
            let Some(c) = t.column(col) else { continue };
            if !emailish(col)
                || !matches!(c.data_type.name.as_str(), "text" | "varchar")
                || c.data_type.is_array()
                || c.collation.is_some()
            {
                continue;
            }
            let folded = indexes.iter().any(|j| {
                j.unique
                    && j.predicate.is_none()
                    && j.keys.len() == 1
                    && case_folded(&j.keys[0], col)
            });
            if folded {
                continue;
            }
            out.push(
                i.origin,
                format!("{}", i.name),
                format!(
                    "unique ({col}) on {} is case-sensitive: `Ann@x.com` and `ann@x.com` are both accepted",
                    t.name
                ),
                "Make the address unique without regard to case: a unique index on lower(email) (look users \
                 up by lower(email) = lower($1)), or the citext type.",
                fold_fix(&t.name, col),
            );
        }
    }
}

/// A unique index on `lower(col)`, built CONCURRENTLY beside the existing key, after a query for the
/// addresses that already repeat in another case.
fn fold_fix(table: &QualifiedName, col: &str) -> Option<String> {
    use dbarch_sql::change::{CreateIndex, IndexKey, IndexKeyExpr, SchemaChange};
    let name = dbarch_catalog::default_name(&table.name, &[format!("lower_{col}")], "key");
    let q = quote_ident(col);
    let mut index = CreateIndex::on_columns(dbarch_catalog::make::name(table), Some(name), &[]);
    index.unique = true;
    index.concurrently = true;
    index.keys = vec![IndexKey {
        expr: IndexKeyExpr::Expression {
            sql: format!("lower({q})"),
            columns: vec![col.to_string()],
        },
        ..IndexKey::column(col)
    }];
    let build = crate::rules::fix::sql(&[SchemaChange::CreateIndex(index)])?;
    Some(format!(
        "-- addresses that already repeat in another case (the build fails on them): SELECT lower({q}), count(*) FROM {table} GROUP BY lower({q}) HAVING count(*) > 1;\n{build}"
    ))
}
