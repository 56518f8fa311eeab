//! What a fix costs. Its statements are parsed and lowered to schema changes like any migration's, and
//! the lock knowledge table (`data/locks.toml`, through [`crate::migration::Locks`]) is asked what each
//! locks, rewrites and scans on the schema the finding is about; each statement is applied to that schema
//! before the next is judged (an index the fix builds exists for the constraint that uses it). With
//! statistics (`--stats`, `--db`) each locked table's rows and size come along.

use std::collections::HashSet;
use std::sync::Arc;

use dbarch_catalog::{Catalog, QualifiedName, Stats};
use dbarch_report::{Fix, FixLock, LockLevel};
use dbarch_sql::change::SchemaChange;

use crate::knowledge::Knowledge;
use crate::migration::Locks;

/// The schema a fix runs on, and what is known of it.
pub struct Costing<'a> {
    pub catalog: &'a Catalog,
    /// Tables nobody else uses yet (created earlier in the migration whose statement the fix replaces).
    pub created_here: &'a HashSet<QualifiedName>,
    pub pg_version: u32,
    pub knowledge: &'a Knowledge,
    pub stats: Option<&'a Stats>,
    /// A fix holding ACCESS EXCLUSIVE through a rewrite or scan of a table this large (rows) is not SQL.
    pub large_table_rows: u64,
}

impl Costing<'_> {
    /// `sql` as a fix ([`Costing::fix`]), or — when it would hold ACCESS EXCLUSIVE while it rewrites or
    /// scans a table the statistics call large — the words that say why it is not given as SQL and how to
    /// do the same online.
    pub fn offer(&self, sql: String, safety: Option<&str>) -> Result<Fix, String> {
        let (fix, refused) = self.judge(sql, safety);
        if let Some(words) = refused {
            return Err(words);
        }
        let blocking = fix.locks.iter().find(|l| {
            l.taken.lock == LockLevel::AccessExclusive.sql()
                && (l.taken.rewrite || l.taken.scan)
                && l.rows.is_some_and(|r| r >= self.large_table_rows)
        });
        let Some(l) = blocking else {
            return Ok(fix);
        };
        let online = self
            .knowledge
            .get(&l.taken.operation)
            .and_then(|o| o.online.as_deref())
            .unwrap_or(
                "Do it in steps that do not hold ACCESS EXCLUSIVE through the rewrite or scan.",
            );
        Err(format!(
            "No SQL fix: it would hold ACCESS EXCLUSIVE on {} ({} rows) while it {} the table, blocking \
             every read and write. Do it online: {online}",
            l.taken.table,
            dbarch_report::thousands(l.rows.unwrap_or(0)),
            if l.taken.rewrite { "rewrites" } else { "scans" },
        ))
    }

    /// Why PostgreSQL would refuse a fix's change on the schema it runs on, in words that say what to do
    /// instead: an index built CONCURRENTLY on a partitioned table (`cannot create index on partitioned
    /// table ... concurrently`).
    fn refusal(catalog: &Catalog, change: &SchemaChange) -> Option<String> {
        let SchemaChange::CreateIndex(i) = change else {
            return None;
        };
        let table = catalog.resolve(&i.table);
        (i.concurrently && catalog.table(&table).is_some_and(|t| t.partition_by.is_some())).then(|| {
            format!(
                "No SQL fix: {table} is partitioned, and PostgreSQL cannot build an index on it \
                 CONCURRENTLY. Create the index ON ONLY {table} (catalog only), build the same index \
                 CONCURRENTLY on each partition, and ALTER INDEX ... ATTACH PARTITION each one to it."
            )
        })
    }

    /// `sql`, with the rule's note on running it and what its statements lock, rewrite and scan.
    pub fn fix(&self, sql: String, safety: Option<&str>) -> Fix {
        self.judge(sql, safety).0
    }

    /// The fix with its cost, and why PostgreSQL would refuse one of its statements, if it would
    /// (each statement judged on the schema the previous ones left).
    fn judge(&self, sql: String, safety: Option<&str>) -> (Fix, Option<String>) {
        let mut fix = Fix::sql(sql);
        fix.safety = safety.map(String::from);
        // dbarch writes its fixes: one that does not parse is a defect the fix harness catches; its
        // cost is then simply not told.
        let Some(statements) = lowered_fix(&fix.sql) else {
            return (fix, None);
        };
        let mut refused = None;
        let mut changed: Option<Catalog> = None;
        let mut timezone_utc = false;
        let last = statements.len().saturating_sub(1);
        for (at, lowered) in statements.iter().enumerate() {
            for c in &lowered.changes {
                if let SchemaChange::SetSetting { name, value } = c
                    && name == "timezone"
                {
                    timezone_utc = value
                        .as_deref()
                        .is_some_and(|z| z.eq_ignore_ascii_case("utc"));
                }
            }
            let catalog = changed.as_ref().unwrap_or(self.catalog);
            if refused.is_none() {
                refused = lowered
                    .changes
                    .iter()
                    .find_map(|c| Self::refusal(catalog, c));
            }
            let locks = Locks {
                catalog,
                created_here: self.created_here,
                timezone_utc,
                pg_version: self.pg_version,
                knowledge: self.knowledge,
            };
            for (o, t) in locks.of(&lowered.changes) {
                let table = self.stats.and_then(|s| s.table(&t));
                fix.locks.push(FixLock {
                    taken: o.on(&t, self.pg_version),
                    rows: table.map(|s| s.rows.max(0.0).round() as u64),
                    bytes: table
                        .and_then(|s| s.pages)
                        .map(|p| (p.max(0.0) * 8192.0) as u64),
                });
            }
            if at < last {
                changed
                    .get_or_insert_with(|| self.catalog.clone())
                    .apply(lowered);
            }
        }
        fix.rewrites = fix.locks.iter().any(|l| l.taken.rewrite);
        fix.scans = fix.locks.iter().any(|l| l.taken.scan);
        fix.lock = fix
            .locks
            .iter()
            .filter_map(|l| LockLevel::parse(&l.taken.lock))
            .max()
            .map(|l| l.sql().to_string());
        (fix, refused)
    }
}

/// A fix's statements, lowered (remembered per thread: many findings get the same fix); `None` when it
/// does not parse.
fn lowered_fix(sql: &str) -> Option<Arc<Vec<dbarch_sql::change::Lowered>>> {
    thread_local! {
        static LOWERED: dbarch_sql::memo::Memo<String, Option<Arc<Vec<dbarch_sql::change::Lowered>>>> =
            dbarch_sql::memo::Memo::new();
    }
    LOWERED.with(|m| {
        m.get_or(sql.to_string(), || {
            let file = Arc::new(dbarch_sql::SourceFile::new(
                dbarch_sql::FileId(0),
                "fix",
                sql.to_string(),
            ));
            let parsed = dbarch_sql::parse_file(&file).ok()?;
            Some(Arc::new(
                parsed
                    .statements
                    .iter()
                    .map(dbarch_sql::change::lower)
                    .collect(),
            ))
        })
    })
}

/// The cost of a fix on tables known only by name (a plan's tips name the tables the plan reads, not
/// their columns): each table an index is built on or altered is taken to exist, and nothing else.
pub fn on_named_tables(sql: String, safety: Option<&str>, pg_version: u32) -> Fix {
    let mut catalog = Catalog::new();
    let file = Arc::new(dbarch_sql::SourceFile::new(
        dbarch_sql::FileId(0),
        "fix",
        sql.clone(),
    ));
    if let Ok(parsed) = dbarch_sql::parse_file(&file) {
        for stmt in &parsed.statements {
            for c in dbarch_sql::change::lower(stmt).changes {
                let named = match &c {
                    SchemaChange::CreateIndex(i) => &i.table,
                    SchemaChange::AlterTable { name, .. } => name,
                    _ => continue,
                };
                let name = catalog.resolve(named);
                catalog
                    .tables
                    .entry(name.clone())
                    .or_insert_with(|| Arc::new(dbarch_catalog::Table::new(name)));
            }
        }
    }
    let knowledge = Knowledge::shared();
    let nobody = HashSet::new();
    Costing {
        catalog: &catalog,
        created_here: &nobody,
        pg_version,
        knowledge,
        stats: None,
        large_table_rows: u64::MAX,
    }
    .fix(sql, safety)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costing_of(schema: &str, sql: &str, stats: Option<&Stats>) -> Fix {
        let mut sources = dbarch_sql::SourceMap::new();
        let file = sources.add("schema.sql", schema.to_string());
        let parsed = dbarch_sql::parse_file(&file).unwrap();
        let catalog = Catalog::from_files([&parsed]);
        let knowledge = Knowledge::shared();
        let nobody = HashSet::new();
        Costing {
            catalog: &catalog,
            created_here: &nobody,
            pg_version: 16,
            knowledge,
            stats,
            large_table_rows: 100_000,
        }
        .fix(sql.to_string(), Some("watch it"))
    }

    #[test]
    fn a_concurrent_index_scans_without_blocking_writes() {
        let stats = Stats::from_json(
            "stats.json",
            r#"{"tables": {"orders": {"rows": 1200000, "pages": 10240}}}"#,
        )
        .unwrap();
        let f = costing_of(
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);",
            "CREATE INDEX CONCURRENTLY orders_user_id_idx ON public.orders USING btree (user_id);",
            Some(&stats),
        );
        assert_eq!(f.lock.as_deref(), Some("SHARE UPDATE EXCLUSIVE"));
        assert!(f.scans && !f.rewrites);
        assert_eq!(f.safety.as_deref(), Some("watch it"));
        assert_eq!(
            f.cost().unwrap(),
            "takes SHARE UPDATE EXCLUSIVE on orders (blocks schema changes and VACUUM only), scans the \
             table (1,200,000 rows, 80.0 MB)"
        );
    }

    #[test]
    fn each_statement_is_judged_on_the_schema_the_previous_ones_made() {
        let f = costing_of(
            "CREATE TABLE t (id bigint NOT NULL, created timestamp);",
            "SET timezone = 'UTC';\nALTER TABLE public.t ALTER COLUMN created TYPE timestamptz;\n\
             CREATE UNIQUE INDEX CONCURRENTLY t_pkey ON public.t (id);\n\
             ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey;",
            None,
        );
        assert_eq!(f.lock.as_deref(), Some("ACCESS EXCLUSIVE"));
        assert!(!f.rewrites, "{:?}", f.locks);
        let ops: Vec<&str> = f.locks.iter().map(|l| l.taken.operation.as_str()).collect();
        assert_eq!(
            ops,
            [
                "alter-column-type-timestamptz",
                "create-index-concurrently",
                "add-constraint-using-index"
            ]
        );
    }

    #[test]
    fn a_primary_key_using_an_index_on_a_nullable_column_scans() {
        let f = costing_of(
            "CREATE TABLE t (id bigint, code text NOT NULL);\nCREATE UNIQUE INDEX t_id ON t (id);\n\
             CREATE UNIQUE INDEX t_code ON t (code);",
            "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id;",
            None,
        );
        assert!(f.scans, "{:?}", f.locks);
        let g = costing_of(
            "CREATE TABLE t (id bigint, code text NOT NULL);\nCREATE UNIQUE INDEX t_code ON t (code);",
            "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_code;",
            None,
        );
        assert!(!g.scans, "{:?}", g.locks);
    }

    #[test]
    fn a_rewrite_of_a_large_table_under_access_exclusive_is_not_offered_as_sql() {
        let schema = "CREATE TABLE events (id integer PRIMARY KEY, payload json);";
        let sql = "ALTER TABLE public.events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;";
        let mut sources = dbarch_sql::SourceMap::new();
        let file = sources.add("schema.sql", schema.to_string());
        let catalog = Catalog::from_files([&dbarch_sql::parse_file(&file).unwrap()]);
        let knowledge = Knowledge::shared();
        let nobody = HashSet::new();
        let offer = |rows: u64| {
            let stats = Stats::from_json(
                "stats.json",
                &format!(r#"{{"tables": {{"events": {{"rows": {rows}}}}}}}"#),
            )
            .unwrap();
            Costing {
                catalog: &catalog,
                created_here: &nobody,
                pg_version: 16,
                knowledge,
                stats: Some(&stats),
                large_table_rows: 100_000,
            }
            .offer(sql.to_string(), None)
        };
        assert!(offer(5_000).is_ok_and(|f| f.rewrites));
        let words = offer(2_000_000).unwrap_err();
        assert!(
            words.contains("events (2,000,000 rows) while it rewrites")
                && words.contains("backfill it in batches"),
            "{words}"
        );
    }

    #[test]
    fn a_fix_on_no_table_takes_no_table_lock() {
        let f = costing_of(
            "CREATE SCHEMA app;",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            None,
        );
        assert!(f.locks.is_empty() && f.lock.is_none() && f.cost().is_none());
    }
}
