use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY006",
    name: "integer-primary-key",
    category: Category::Keys,
    severity: Severity::Info,
    summary: "A growing table has an `integer` (or `smallint`) surrogate key.",
    doc: Doc {
        what: "A single-column primary key of type `integer`, `serial`, `smallint` or `smallserial` on a table \
               that is not a small lookup table (lookup tables: names like status, type, country, currency, or \
               three columns or fewer; with statistics, an `integer` key's table of fewer than 10,000 rows). \
               With statistics the finding says how much of the key's range the table uses; without, it says \
               the size is unknown.",
        why: "`integer` stops at 2,147,483,647. Tables of orders, events or logs reach it, and the fix then is a \
              rewrite of the table and of every referencing column under an exclusive lock, in an emergency. \
              `bigint` costs 4 more bytes a row.",
        example: "CREATE TABLE events (\n    id serial PRIMARY KEY,\n    kind text NOT NULL,\n    payload jsonb,\n    created_at timestamptz NOT NULL\n);",
        use_instead: "CREATE TABLE events (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    kind text NOT NULL,\n    payload jsonb,\n    created_at timestamptz NOT NULL\n);",
        fix_safety: Some(
            "ALTER COLUMN ... TYPE bigint rewrites the table and its indexes under an ACCESS EXCLUSIVE \
                          lock; on a large table add a new bigint column, backfill it in batches and swap.",
        ),
        references: &["https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_serial"],
    },
    fixtures: fixtures!("KEY006"),
    check: Check::Schema(check),
};

const LOOKUP_WORDS: &[&str] = &[
    "status",
    "statuses",
    "type",
    "types",
    "kind",
    "kinds",
    "country",
    "countries",
    "currency",
    "currencies",
    "language",
    "languages",
    "locale",
    "locales",
    "role",
    "roles",
    "setting",
    "settings",
    "lookup",
    "state",
    "states",
    "category",
    "categories",
    "unit",
    "units",
    "permission",
    "permissions",
    "tax_rate",
    "tax_rates",
];

/// A table with fewer rows than this (by statistics) is a lookup table for an `integer` key.
const SMALL_ROWS: f64 = 10_000.0;

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let Some([pk]) = t.primary_key_columns() else {
            continue;
        };
        let Some(c) = t.column(pk) else { continue };
        // A key that is also a foreign key takes its values from the parent: the parent's key is the one
        // to widen (a one-to-one extension table of a settings row, say).
        if t.foreign_keys().any(|(_, fk)| fk.columns == [pk.clone()]) {
            continue;
        }
        if !matches!(c.data_type.name.as_str(), "integer" | "smallint") || c.data_type.is_array() {
            continue;
        }
        let words = name_words(&t.name.name);
        let lookup = t.columns.len() <= 3
            || words
                .last()
                .is_some_and(|w| LOOKUP_WORDS.contains(&w.as_str()));
        if lookup {
            continue;
        }
        // With statistics, the rows the table has weigh in: a table of a few thousand rows is a lookup
        // table whatever its name, and the share of the key's range used so far is said.
        let max = if c.data_type.name == "integer" {
            2_147_483_647.0
        } else {
            32_767.0
        };
        let rows = cx.stats.and_then(|s| s.table(&t.name)).map(|s| s.rows);
        let size = match rows {
            Some(r) if r < SMALL_ROWS && c.data_type.name == "integer" => continue,
            Some(r) => format!(
                " ({} rows today, {:.2}% of the key's range)",
                dbarch_report::thousands(r.max(0.0) as u64),
                100.0 * r.max(0.0) / max
            ),
            None => " (no statistics: judged by the table's name and width; --stats or --db weighs its rows)"
                .to_string(),
        };
        out.column_or_words(
            t,
            c,
            format!(
                "{}.{} is {} {} key; the table can outgrow it{size}",
                t.name,
                c.name,
                if c.data_type.name == "integer" {
                    "an"
                } else {
                    "a"
                },
                c.data_type
            ),
            "Use bigint for surrogate keys of tables that grow; referencing columns must follow.",
            alter_type_fix(cx, &t.name, &c.name, "bigint", None),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn messages(stats: Option<&str>) -> Vec<String> {
        let sql = "CREATE TABLE events (id integer PRIMARY KEY, kind text, payload jsonb, at timestamptz);";
        let mut sources = dbarch_sql::SourceMap::new();
        let file = sources.add("schema.sql", sql.to_string());
        let files = vec![dbarch_sql::parse_file(&file).unwrap()];
        let catalog = dbarch_catalog::Catalog::from_files(&files);
        let stats = stats.map(|j| dbarch_catalog::Stats::from_json("stats.json", j).unwrap());
        let config = Config::only(&["KEY006"]);
        crate::run(&crate::LintInput {
            catalog: &catalog,
            files: &files,
            sources: &sources,
            config: &config,
            pg_version: 16,
            stats: stats.as_ref(),
        })
        .findings
        .into_iter()
        .map(|f| f.message)
        .collect()
    }

    #[test]
    fn statistics_weigh_the_rows_the_table_has() {
        assert!(messages(None)[0].contains("no statistics"));
        assert!(messages(Some(r#"{"tables": {"events": {"rows": 2000}}}"#)).is_empty());
        let big = messages(Some(r#"{"tables": {"events": {"rows": 1073741824}}}"#));
        assert!(
            big[0].contains("1,073,741,824 rows today, 50.00% of the key's range"),
            "{big:?}"
        );
    }
}
