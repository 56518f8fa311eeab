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

/// `ALTER TABLE t ALTER COLUMN c TYPE ty [USING ...];`, written by the emitter; or, when PostgreSQL
/// would refuse the change as it stands, the words saying why and what to do instead (empty when `ty` is
/// not a type).
pub fn alter_type_fix(
    cx: &crate::rule::Context,
    t: &QualifiedName,
    col: &str,
    ty: &str,
    using: Option<&str>,
) -> Result<String, String> {
    if let Some(words) = type_change_refused(cx, t, col, ty) {
        return Err(words);
    }
    let data_type = dbarch_sql::change::type_of_text(ty).ok_or_else(String::new)?;
    crate::rules::fix::sql(&[crate::rules::fix::alter(
        t,
        vec![dbarch_sql::change::AlterTable::AlterColumnType {
            column: col.to_string(),
            data_type,
            using: using.map(str::to_string),
        }],
    )])
    .ok_or_else(String::new)
}

/// Why PostgreSQL would refuse to change the column to `ty` as a lone `ALTER COLUMN ... TYPE`, in words
/// that say what to do instead: a view reads the column, or an index expression on it would no longer be
/// immutable.
pub fn type_change_refused(
    cx: &crate::rule::Context,
    t: &QualifiedName,
    col: &str,
    ty: &str,
) -> Option<String> {
    let views = views_reading(cx, t, col);
    if !views.is_empty() {
        let names = views
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!(
            "No SQL fix: {} {names} {} this column, and PostgreSQL refuses to change the type of a column \
             a view reads. In one transaction drop {}, change the type, and create {} again with {} grants \
             and comments.",
            if views.len() == 1 { "view" } else { "views" },
            if views.len() == 1 { "reads" } else { "read" },
            if views.len() == 1 {
                "the view"
            } else {
                "the views (dependents first)"
            },
            if views.len() == 1 { "it" } else { "them" },
            if views.len() == 1 { "its" } else { "their" },
        ));
    }
    if let Some(index) = index_expression_refusing(cx, t, col, ty) {
        return Some(format!(
            "No SQL fix: index {index} uses this column in an expression that is not immutable for {ty}, \
             and PostgreSQL refuses the type change (`functions in index expression must be marked \
             IMMUTABLE`). Write an immutable form of the expression for {ty} (for a date of a timestamptz: \
             `(col AT TIME ZONE 'UTC')::date`), build that index CONCURRENTLY and drop the old one before \
             changing the type."
        ));
    }
    None
}

/// An expression index on the table that uses the column in a way that is not immutable once the
/// column has type `ty` (`date(col)` is, of a timestamp; of a timestamptz it is not): PostgreSQL then
/// refuses the type change (`functions in index expression must be marked IMMUTABLE`).
fn index_expression_refusing(
    cx: &crate::rule::Context,
    t: &QualifiedName,
    col: &str,
    ty: &str,
) -> Option<String> {
    let table = cx.catalog.table(t)?;
    let new = dbarch_sql::change::type_of_text(ty).map(|d| d.name);
    let type_of = |c: &str| {
        if c == col {
            new.clone()
        } else {
            table.column(c).map(|c| c.data_type.name.clone())
        }
    };
    cx.indexes_on(t).iter().find_map(|i| {
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
            .then(|| i.name.to_string())
    })
}

/// The views that read the column: PostgreSQL refuses to change its type under them (`cannot alter type
/// of a column used by a view or rule`).
pub fn views_reading<'a>(
    cx: &crate::rule::Context<'a>,
    t: &QualifiedName,
    col: &str,
) -> Vec<&'a QualifiedName> {
    let catalog = cx.catalog;
    let mut names: Vec<_> = catalog
        .views
        .values()
        .filter(|v| v.depends_on.contains(t) && v.reads_column(catalog, t, col))
        .map(|v| &v.name)
        .collect();
    names.sort();
    names
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
/// (`inventory`, `audit_log`, `metadata`). The noun judged is the head of the name: its last word, or in
/// a compound with a preposition the word before it (`bill_of_materials` is one bill, `terms_of_service`
/// several terms). Inflection is the Inflector crate's (irregular and uncountable words included).
pub fn plurality(name: &str) -> Option<bool> {
    use inflector::string::{pluralize::to_plural, singularize::to_singular};
    let words = name_words(name);
    const PREPOSITIONS: &[&str] = &["of", "for", "per", "by", "in", "on", "to", "from", "with"];
    let head = match words
        .iter()
        .position(|w| PREPOSITIONS.contains(&w.as_str()))
    {
        Some(at) if at > 0 => words[at - 1].clone(),
        _ => words.last().cloned().unwrap_or_default(),
    };
    // Words of the trade that read either way, beyond the dictionary's uncountables.
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
        "settings",
        "preferences",
        "permissions",
    ];
    if head.len() < 3 || head.chars().any(|c| c.is_ascii_digit()) || MASS.contains(&head.as_str()) {
        return None;
    }
    // Irregular forms the crate's rules miss.
    if matches!(
        head.as_str(),
        "people" | "children" | "men" | "women" | "criteria" | "mice" | "geese" | "feet" | "teeth"
    ) {
        return Some(true);
    }
    if matches!(
        head.as_str(),
        "person" | "child" | "man" | "woman" | "criterion" | "mouse" | "goose"
    ) {
        return Some(false);
    }
    let singular = to_singular(&head);
    let plural = to_plural(&head);
    match (singular == head, plural == head) {
        // Uncountable: the same either way.
        (true, true) => None,
        (false, _) => Some(true),
        (true, false) => Some(false),
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn plurality_reads_the_head_noun() {
        use super::plurality;
        for plural in [
            "users",
            "order_items",
            "people",
            "categories",
            "addresses",
            "terms_of_service",
            "children",
            "statuses",
            "boxes",
        ] {
            assert_eq!(plurality(plural), Some(true), "{plural}");
        }
        for singular in [
            "user",
            "order_item",
            "person",
            "category",
            "address",
            "bill_of_materials",
            "status",
            "analysis",
            "bus",
            "process",
            "point_of_sale",
            "child",
        ] {
            assert_eq!(plurality(singular), Some(false), "{singular}");
        }
        for either in [
            "metadata",
            "audit_log",
            "equipment",
            "news",
            "series",
            "sheep",
            "user_settings",
        ] {
            assert_eq!(plurality(either), None, "{either}");
        }
    }

    /// A type fix PostgreSQL would refuse is given in words that name what refuses it.
    #[test]
    fn a_refused_type_change_is_words_naming_the_view_or_index() {
        let sql = "CREATE TABLE t (id bigint PRIMARY KEY, code char(3), at timestamp, n integer);
                   CREATE VIEW v AS SELECT id, code FROM t;
                   CREATE INDEX t_day ON t (date(at));";
        let f = crate::lint_text(
            "schema.sql",
            sql,
            &crate::Config::only(&["TYP001", "TYP005", "TYP007"]),
        )
        .unwrap();
        let of = |col: &str| {
            f.iter()
                .find(|x| x.message.starts_with(&format!("t.{col} ")))
                .map(|x| (x.fix.is_some(), x.help.clone()))
        };
        let (fixed, help) = of("code").unwrap();
        assert!(
            !fixed && help.contains("view v reads this column"),
            "{help}"
        );
        let (fixed, help) = of("at").unwrap();
        assert!(!fixed && help.contains("index t_day uses"), "{help}");
    }
}
