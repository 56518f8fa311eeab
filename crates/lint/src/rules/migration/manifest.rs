//! History rules: the migrations on disk against the manifest of those already applied.

use crate::migration::HistoryContext;
use crate::rules::prelude::*;
use dbarch_sql::Span;

pub static EDITED: Rule = Rule {
    code: "MIG022",
    name: "applied-migration-edited",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A migration that was already applied has been edited or removed.",
    doc: Doc {
        what: "With `--manifest FILE` (lines `VERSION SHA256` of the migrations already applied, as \
               `dbarch migrate manifest` writes them): an applied migration whose up script's checksum changed, \
               or that is no longer on disk.",
        why: "Applied migrations never run again: the edit reaches new environments (a fresh CI database, a new \
              developer) but not production, and the schemas silently diverge. Migration tools that store \
              checksums (Flyway, sqlx, refinery) refuse to start; others do not notice.",
        example: "-- manifest: 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n-- migration\n-- (migration 1, edited after it was applied)\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);",
        use_instead: "-- leave 001 as it was applied, and write the change as a new migration\n-- 002_users_email_not_null.up.sql\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/ddl-alter.html"],
    },
    fixtures: fixtures!("MIG022"),
    check: Check::History(check_edited),
};

pub static OUT_OF_ORDER: Rule = Rule {
    code: "MIG023",
    name: "migration-out-of-order",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A new migration sorts before one that was already applied.",
    doc: Doc {
        what: "With `--manifest FILE`: a migration not yet applied whose version sorts before the newest applied \
               version (typically a branch merged after a later migration was deployed).",
        why: "Tools either skip it forever (it is older than the schema's version) or run it after newer ones, in \
              an order nobody tested: the schema in production differs from the one built from scratch.",
        example: "-- manifest: 2 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n-- migration\n-- (migration 1 is new, but 2 is already applied)\nCREATE TABLE users (id bigint PRIMARY KEY);",
        use_instead: "-- rename the new migration so it sorts after every applied one: 004_add_index.up.sql",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/ddl-alter.html"],
    },
    fixtures: fixtures!("MIG023"),
    check: Check::History(check_out_of_order),
};

fn norm(v: &str) -> String {
    v.replace('-', "")
}

fn file_start(s: &crate::migration::MigrationScript) -> Span {
    Span::new(s.file.file.id, 0, 0)
}

fn check_edited(cx: &HistoryContext, out: &mut Sink) {
    for a in cx.manifest {
        match cx
            .scripts
            .iter()
            .find(|s| norm(&s.version) == norm(&a.version))
        {
            Some(s) if s.checksum() != a.checksum => out.push(
                file_start(s).into(),
                format!("edited:{}", a.version),
                format!(
                    "migration {} was applied with checksum {}… but the file now has {}…",
                    a.version,
                    &a.checksum[..12],
                    &s.checksum()[..12]
                ),
                "Restore the applied text, and make the change in a new migration.",
                None,
            ),
            Some(_) => {}
            None => {
                let span = cx.manifest_file.map(|f| {
                    let start = f.line_start(a.line);
                    Span::new(f.id, start, start + f.line_text(a.line).len())
                });
                out.push(
                    dbarch_catalog::Origin(span),
                    format!("removed:{}", a.version),
                    format!(
                        "migration {} was applied but is no longer among the migration files",
                        a.version
                    ),
                    "Restore the file: environments built from scratch would miss what it did.",
                    None,
                );
            }
        }
    }
}

fn check_out_of_order(cx: &HistoryContext, out: &mut Sink) {
    let Some(newest) = cx
        .manifest
        .iter()
        .map(|a| norm(&a.version))
        .max_by(|a, b| dbarch_migrate::natural_cmp(a, b))
    else {
        return;
    };
    for s in cx.scripts {
        let v = norm(&s.version);
        let applied = cx.manifest.iter().any(|a| norm(&a.version) == v);
        if !applied && dbarch_migrate::natural_cmp(&v, &newest).is_lt() {
            out.push(
                file_start(s).into(),
                format!("order:{}", s.version),
                format!(
                    "migration {} is not applied yet but sorts before {newest}, which is",
                    s.version
                ),
                "Give it a version after every applied migration.",
                None,
            );
        }
    }
}
