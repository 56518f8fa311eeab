use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "KEY009",
    name: "soft-delete-unique",
    category: Category::Keys,
    severity: Severity::Warning,
    summary: "A soft-deleted table's unique constraint counts deleted rows.",
    doc: Doc {
        what: "A table with a soft-delete column (`deleted_at`, `is_deleted`, `archived_at`, ...) whose UNIQUE \
               constraints or unique indexes (other than the primary key) neither include that column nor are \
               partial on it.",
        why: "A deleted row still holds its unique value: a user who deletes their account cannot sign up again \
              with the same email, and a re-created product cannot reuse its SKU. The application then works \
              around it with renames like `email || '-deleted-42'`.",
        example: "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL UNIQUE,\n    deleted_at timestamptz\n);",
        use_instead: "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL,\n    deleted_at timestamptz\n);\nCREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL;",
        fix_safety: Some(
            "Build the partial unique index CONCURRENTLY before dropping the old constraint, so \
                          uniqueness is never unenforced.",
        ),
        references: &["https://www.postgresql.org/docs/current/indexes-partial.html"],
    },
    fixtures: fixtures!("KEY009"),
    check: Check::Schema(check),
};

const SOFT_DELETE: &[&str] = &[
    "deleted_at",
    "deleted_on",
    "is_deleted",
    "deleted",
    "archived_at",
    "removed_at",
    "discarded_at",
];

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        let Some(flag) = has_column_named(t, SOFT_DELETE) else {
            continue;
        };
        let live = if flag.data_type.name == "boolean" {
            format!("NOT {}", quote_ident(&flag.name))
        } else {
            format!("{} IS NULL", quote_ident(&flag.name))
        };
        for i in cx.indexes_on(&t.name) {
            // An identifier (an id, a uuid, a URL, a digest) stays unique after its row is deleted:
            // it must not be handed out again. Names and addresses people choose are what a deleted
            // row should give back.
            let identifiers = i.key_columns().iter().all(|c| {
                matches!(
                    name_words(c).last().map(String::as_str),
                    Some(
                        "id" | "uuid"
                            | "guid"
                            | "url"
                            | "uri"
                            | "digest"
                            | "hash"
                            | "sha256"
                            | "fingerprint"
                    )
                )
            });
            if !i.unique
                || i.primary
                || i.predicate.is_some()
                || identifiers
                || i.all_columns().contains(&flag.name.as_str())
            {
                continue;
            }
            let cols: Vec<String> = i.keys.iter().map(|k| k.sql()).collect();
            let new_name = format!(
                "{}_live_key",
                i.name
                    .name
                    .trim_end_matches("_key")
                    .trim_end_matches("_idx")
            );
            // The partial index first, then the full one goes.
            let fix = {
                use dbarch_sql::change::{CreateIndex, SchemaChange};
                let create = SchemaChange::CreateIndex(CreateIndex {
                    table: crate::rules::fix::name(&t.name),
                    name: Some(new_name.clone()),
                    if_not_exists: false,
                    unique: true,
                    primary: false,
                    concurrently: true,
                    method: i.method.clone(),
                    keys: i.keys.clone(),
                    include: i.include.clone(),
                    predicate: Some(live.clone()),
                    predicate_columns: vec![flag.name.clone()],
                    nulls_not_distinct: i.nulls_not_distinct,
                    only: false,
                });
                crate::rules::fix::sql(&[create])
                    .zip(drop_index_sql(i))
                    .map(|(c, d)| format!("{c}\n{d}"))
            };
            out.push(
                i.origin,
                i.name.to_string(),
                format!(
                    "unique ({}) on {} also counts soft-deleted rows ({} is ignored)",
                    cols.join(", "),
                    t.name,
                    flag.name
                ),
                "Enforce uniqueness on live rows only, with a partial unique index.",
                fix,
            );
        }
    }
}
