//! Helpers shared by rules: name analysis, index coverage, fix text.

use dbarch_catalog::{Index, IndexSource, QualifiedName, Table};
use dbarch_sql::expr::quote_ident;

/// Lower-case words of an identifier: `userEmail_address2` -> user, email, address2.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = vec![];
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch == '_' || ch == ' ' || ch == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `ALTER TABLE t ALTER COLUMN c TYPE ty [USING ...];`, written by the emitter (`None` when `ty` is not a
/// type).
pub fn alter_type_fix(
    cx: &crate::rule::Context,
    t: &QualifiedName,
    col: &str,
    ty: &str,
    using: Option<&str>,
) -> Option<String> {
    if read_by_a_view(cx, t, col) || index_expression_refuses(cx, t, col, ty) {
        return None;
    }
    let data_type = dbarch_sql::change::type_of_text(ty)?;
    crate::rules::fix::sql(&[crate::rules::fix::alter(
        t,
        vec![dbarch_sql::change::AlterTable::AlterColumnType {
            column: col.to_string(),
            data_type,
            using: using.map(str::to_string),
        }],
    )])
}

/// Whether an expression index on the table uses the column in a way that is not immutable once the
/// column has type `ty` (`date(col)` is, of a timestamp; of a timestamptz it is not): PostgreSQL then
/// refuses the type change (`functions in index expression must be marked IMMUTABLE`), so a type fix is
/// not given as SQL.
pub fn index_expression_refuses(
    cx: &crate::rule::Context,
    t: &QualifiedName,
    col: &str,
    ty: &str,
) -> bool {
    let Some(table) = cx.catalog.table(t) else {
        return false;
    };
    let new = dbarch_sql::change::type_of_text(ty).map(|d| d.name);
    let type_of = |c: &str| {
        if c == col {
            new.clone()
        } else {
            table.column(c).map(|c| c.data_type.name.clone())
        }
    };
    cx.indexes_on(t).iter().any(|i| {
        let keys = i.keys.iter().filter_map(|k| match &k.expr {
            dbarch_sql::change::IndexKeyExpr::Expression { sql, columns }
                if columns.iter().any(|c| c == col) =>
            {
                Some(sql.as_str())
            }
            _ => None,
        });
        let predicate = i
            .predicate
            .as_deref()
            .filter(|_| i.predicate_columns.iter().any(|c| c == col));
        keys.chain(predicate)
            .any(|e| !dbarch_sql::immutable::index_expression_is_immutable(e, &type_of))
    })
}

/// Whether a view reads the column: PostgreSQL then refuses to change its type (`cannot alter type of a
/// column used by a view or rule`), so a type fix is not given as SQL.
pub fn read_by_a_view(cx: &crate::rule::Context, t: &QualifiedName, col: &str) -> bool {
    cx.catalog
        .views
        .values()
        .any(|v| v.depends_on.contains(t) && v.reads_column(cx.catalog, t, col))
}

/// The column list of an index as SQL.
pub fn column_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether some index (without a predicate, or one that leaves out only rows with a NULL in `cols`) has `cols` as its leading key columns, in any order.
pub fn leading_covered(indexes: &[Index], cols: &[String]) -> bool {
    indexes.iter().any(|i| {
        // A partial index serves the key's checks when its predicate only leaves out rows whose key is
        // NULL (`WHERE fk IS NOT NULL`): those rows reference nothing.
        let whole = match &i.predicate {
            None => true,
            Some(p) => {
                let terms = dbarch_sql::expr::not_null_terms(p);
                terms.only && terms.columns.iter().all(|c| cols.contains(c))
            }
        };
        let usable = whole
            && (i.method == "btree"
                || i.method == "gist"
                || (i.method == "hash" && cols.len() == 1));
        let lead = i.leading_columns();
        usable
            && lead.len() >= cols.len()
            && cols
                .iter()
                .all(|c| lead[..cols.len()].contains(&c.as_str()))
    })
}

/// The statement that removes an index, whether it was written as an index or implied by a constraint,
/// written by the emitter.
pub fn drop_index_sql(i: &Index) -> Option<String> {
    use dbarch_sql::change::AlterTable;
    let change = match &i.source {
        IndexSource::Constraint(n) => {
            crate::rules::fix::alter(&i.table, vec![AlterTable::DropConstraint(n.clone())])
        }
        IndexSource::CreateIndex => dbarch_catalog::make::drop_index_concurrently(&i.name),
    };
    crate::rules::fix::sql(&[change])
}

/// Whether a table name reads as plural English; `None` for mass nouns that read either way
/// (`inventory`, `audit_log`, `metadata`).
pub fn plurality(name: &str) -> Option<bool> {
    let last = name_words(name).pop().unwrap_or_default();
    const MASS: &[&str] = &[
        "data",
        "media",
        "feedback",
        "info",
        "metadata",
        "news",
        "series",
        "inventory",
        "stock",
        "history",
        "log",
        "audit",
        "staff",
        "equipment",
        "config",
        "configuration",
        "software",
        "information",
        "analytics",
        "queue",
        "cache",
    ];
    if MASS.contains(&last.as_str()) {
        return None;
    }
    if matches!(
        last.as_str(),
        "people" | "children" | "men" | "women" | "criteria"
    ) {
        return Some(true);
    }
    Some(
        last.ends_with('s')
            && !last.ends_with("ss")
            && !last.ends_with("us")
            && !last.ends_with("is")
            && last.len() > 2,
    )
}

/// Tables with a column of one of these names (case-insensitive).
pub fn has_column_named<'a>(t: &'a Table, names: &[&str]) -> Option<&'a dbarch_catalog::Column> {
    t.columns
        .iter()
        .find(|c| names.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
}

/// Tables frameworks and migration tools keep for their own bookkeeping (key/value, no key of their own,
/// by design); `bookkeeping-tables` in dbarch.toml adds to them.
const BOOKKEEPING: &[&str] = &[
    "ar_internal_metadata",
    "schema_migrations",
    "django_migrations",
    "flyway_schema_history",
    "__diesel_schema_migrations",
    "knex_migrations",
    "goose_db_version",
    "schema_version",
    "alembic_version",
    "doctrine_migration_versions",
    "_prisma_migrations",
    "seaql_migrations",
    "_sqlx_migrations",
];

/// Whether a table is a framework's or migration tool's own ([`BOOKKEEPING`], or the configuration's).
pub fn bookkeeping(cx: &crate::rule::Context, table: &str) -> bool {
    BOOKKEEPING.contains(&table) || cx.options.bookkeeping_tables.iter().any(|t| t == table)
}
