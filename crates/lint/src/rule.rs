//! What a rule is: a code, a name, a default severity, its documentation, its fixtures and a check.

use std::collections::HashMap;

use dbarch_catalog::{Catalog, Column, Index, Origin, QualifiedName, Table, Trigger};
use dbarch_report::Severity;
use dbarch_sql::Span;

use crate::config::Options;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Migration,
    Queries,
    Keys,
    Indexes,
    Types,
    Normalization,
    Design,
    Naming,
    Security,
    /// A live database's health (vacuum, bloat, wraparound, connections, replication, settings).
    Health,
    /// What an EXPLAIN plan shows.
    Plans,
}

impl Category {
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Migration => "migration safety",
            Category::Queries => "queries",
            Category::Keys => "keys and constraints",
            Category::Indexes => "indexes",
            Category::Types => "types",
            Category::Normalization => "normalization",
            Category::Design => "design",
            Category::Naming => "naming",
            Category::Security => "security",
            Category::Health => "database health",
            Category::Plans => "query plans",
        }
    }
}

/// A rule's documentation, in the sections every rule has.
#[derive(Debug, serde::Serialize)]
pub struct Doc {
    pub what: &'static str,
    pub why: &'static str,
    pub example: &'static str,
    pub use_instead: &'static str,
    /// When the rule offers a fix: whether applying it is safe, and what to watch.
    pub fix_safety: Option<&'static str>,
    pub references: &'static [&'static str],
}

/// Two SQL files: one the rule must flag, one it must not.
#[derive(Debug, serde::Serialize)]
pub struct Fixtures {
    pub triggers: &'static str,
    pub clean: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: Doc,
    pub fixtures: Fixtures,
    #[serde(skip)]
    pub check: Check,
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// The finished schema (the catalog after every statement).
    Schema(fn(&Context, &mut Sink)),
    /// One statement of a migration, with the schema as it was before that statement.
    Migration(fn(&crate::migration::StatementContext, &mut Sink)),
    /// A migration's down script, replayed after its up script: it must restore the schema as it was.
    /// The migration runner does the replay and hands the differences to this function.
    Reversibility(fn(&crate::migration::DownContext, &mut Sink)),
    /// The history as a whole against the manifest of applied migrations.
    History(fn(&crate::migration::HistoryContext, &mut Sink)),
    /// One query of a workload, with the schema when one is given.
    Query(fn(&crate::query::QueryContext, &mut Sink)),
    /// A live database's statistics and catalogs: `dbarch inspect` (crates/live) gathers the evidence and
    /// reports findings under the rule's code; the registry holds what the rule is, its documentation and
    /// its configuration. Its fixtures are SQL run on a fresh database: one it must flag, one it must not
    /// (`crates/cli/tests/live_fixtures.rs`).
    Live,
    /// An EXPLAIN plan: `dbarch explain` (crates/advisor's `explain`) finds the tip and reports it under
    /// the rule's code. Its fixtures are plans (EXPLAIN JSON): one it must flag, one it must not.
    Plan,
}

impl Rule {
    pub fn is_query_rule(&self) -> bool {
        matches!(self.check, Check::Query(_))
    }

    pub fn is_live_rule(&self) -> bool {
        matches!(self.check, Check::Live)
    }

    pub fn is_plan_rule(&self) -> bool {
        matches!(self.check, Check::Plan)
    }

    pub fn is_migration_rule(&self) -> bool {
        matches!(
            self.check,
            Check::Migration(_) | Check::Reversibility(_) | Check::History(_)
        )
    }
}

impl Rule {
    /// The rule's documentation as Markdown (the source of `docs/rules/CODE.md` and `dbarch rule CODE`).
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# {} `{}`\n\n{}\n\n**Category:** {} · **Default severity:** {}\n\n## What it flags\n\n{}\n\n## Why it matters\n\n{}\n\n## Example\n\n```sql\n{}\n```\n\n## Use instead\n\n```sql\n{}\n```\n",
            self.code,
            self.name,
            self.summary,
            self.category.as_str(),
            self.severity,
            self.doc.what.trim(),
            self.doc.why.trim(),
            self.doc.example.trim(),
            self.doc.use_instead.trim()
        );
        if let Some(f) = self.doc.fix_safety {
            s.push_str(&format!("\n## Fix safety\n\n{}\n", f.trim()));
        }
        if !self.doc.references.is_empty() {
            s.push_str("\n## References\n\n");
            for r in self.doc.references {
                s.push_str(&format!("- <{r}>\n"));
            }
        }
        s
    }
}

/// What a rule sees.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub options: &'a Options,
    pub pg_version: u32,
    /// Table statistics (`--stats`, `--db`), when given.
    pub stats: Option<&'a dbarch_catalog::Stats>,
    indexes: HashMap<&'a QualifiedName, Vec<Index>>,
    triggers: HashMap<&'a QualifiedName, Vec<&'a Trigger>>,
}

impl<'a> Context<'a> {
    pub fn new(catalog: &'a Catalog, options: &'a Options, pg_version: u32) -> Self {
        // Per-table lookups are built once: rules ask for them table by table.
        let indexes = catalog.indexes_by_table();
        let mut triggers: HashMap<&QualifiedName, Vec<&Trigger>> = HashMap::new();
        for t in catalog.triggers.values() {
            triggers.entry(&t.table).or_default().push(t);
        }
        Context {
            catalog,
            options,
            pg_version,
            stats: None,
            indexes,
            triggers,
        }
    }

    /// Every index on a table, those implied by constraints included.
    pub fn indexes_on(&self, table: &QualifiedName) -> &[Index] {
        self.indexes.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn triggers_on(&self, table: &QualifiedName) -> &[&'a Trigger] {
        self.triggers.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Ordinary tables: not partitions (their parent is judged), not temporary.
    pub fn tables(&self) -> impl Iterator<Item = &'a Table> + 'a {
        self.catalog
            .tables
            .values()
            .map(|t| &**t)
            .filter(|t| !t.is_partition() && !t.temporary)
    }
}

/// One problem a rule found.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub span: Option<Span>,
    /// Identity of the object the finding is about (for fingerprints), e.g. `public.orders.user_id`.
    pub object: String,
    pub message: String,
    pub help: String,
    pub fix: Option<String>,
}

/// Where rules put their diagnostics.
#[derive(Default)]
pub struct Sink {
    pub(crate) items: Vec<Diagnostic>,
}

impl Sink {
    pub fn push(
        &mut self,
        origin: Origin,
        object: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
        fix: Option<String>,
    ) {
        self.items.push(Diagnostic {
            span: origin.span(),
            object: object.into(),
            message: message.into(),
            help: help.into(),
            fix,
        });
    }

    pub fn column(
        &mut self,
        t: &Table,
        c: &Column,
        message: impl Into<String>,
        help: impl Into<String>,
        fix: Option<String>,
    ) {
        self.push(
            c.origin,
            format!("{}.{}", t.name, c.name),
            message,
            help,
            fix,
        );
    }

    /// A finding about a column with a fix that is either SQL or, when no SQL can be given, words that
    /// say why and what to do instead (added to the help).
    pub fn column_or_words(
        &mut self,
        t: &Table,
        c: &Column,
        message: impl Into<String>,
        help: impl Into<String>,
        fix: Result<String, String>,
    ) {
        let help = help.into();
        let (help, fix) = match fix {
            Ok(sql) => (help, Some(sql)),
            Err(words) if words.is_empty() => (help, None),
            Err(words) => (format!("{help} {words}"), None),
        };
        self.column(t, c, message, help, fix);
    }

    pub fn into_items(self) -> Vec<Diagnostic> {
        self.items
    }
}
