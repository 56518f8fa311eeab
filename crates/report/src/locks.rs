//! The lock report of `dbarch migrate lint --locks`: per migration, each statement with the lock it takes,
//! what that blocks, whether it rewrites or scans, and the longest-held lock of each transaction.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// PostgreSQL's table lock levels, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LockLevel {
    #[serde(rename = "access share")]
    AccessShare,
    #[serde(rename = "row share")]
    RowShare,
    #[serde(rename = "row exclusive")]
    RowExclusive,
    #[serde(rename = "share update exclusive")]
    ShareUpdateExclusive,
    #[serde(rename = "share")]
    Share,
    #[serde(rename = "share row exclusive")]
    ShareRowExclusive,
    #[serde(rename = "exclusive")]
    Exclusive,
    #[serde(rename = "access exclusive")]
    AccessExclusive,
}

impl LockLevel {
    pub fn sql(&self) -> &'static str {
        match self {
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Every level, weakest first.
    pub const ALL: [LockLevel; 8] = [
        LockLevel::AccessShare,
        LockLevel::RowShare,
        LockLevel::RowExclusive,
        LockLevel::ShareUpdateExclusive,
        LockLevel::Share,
        LockLevel::ShareRowExclusive,
        LockLevel::Exclusive,
        LockLevel::AccessExclusive,
    ];

    /// From the SQL spelling (`ACCESS EXCLUSIVE`, any case) or pg_locks' (`AccessExclusiveLock`).
    pub fn parse(mode: &str) -> Option<Self> {
        let squashed: String = mode
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let squashed = squashed.strip_suffix("lock").unwrap_or(&squashed);
        Self::ALL
            .into_iter()
            .find(|l| l.sql().replace(' ', "").eq_ignore_ascii_case(squashed))
    }

    /// Whether plain SELECTs (ACCESS SHARE) wait for this lock.
    pub fn blocks_reads(&self) -> bool {
        *self == LockLevel::AccessExclusive
    }

    /// Whether INSERT/UPDATE/DELETE (ROW EXCLUSIVE) wait for this lock.
    pub fn blocks_writes(&self) -> bool {
        *self >= LockLevel::Share
    }

    /// What waits for this lock: "reads and writes", "writes", or which other locks (PostgreSQL's
    /// conflict table, explicit-locking.html table 13.2).
    pub fn blocks(&self) -> &'static str {
        match self {
            _ if self.blocks_reads() => "reads and writes",
            _ if self.blocks_writes() => "writes",
            LockLevel::ShareUpdateExclusive => "schema changes and VACUUM only",
            LockLevel::RowExclusive => "index builds and schema changes only",
            LockLevel::RowShare => "EXCLUSIVE and ACCESS EXCLUSIVE only",
            _ => "ACCESS EXCLUSIVE only (DROP, most ALTER TABLE, VACUUM FULL)",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockReport {
    pub pg_version: u32,
    pub migrations: Vec<MigrationLocks>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationLocks {
    pub file: String,
    /// `wrapped` (the tool runs the file in one transaction) or `per-statement`.
    pub transaction: String,
    pub statements: Vec<StatementLock>,
    /// Per transaction of the file, the lock held longest (strongest first, then earliest taken).
    pub longest_held: Vec<HeldLock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLock {
    pub line: usize,
    pub column: usize,
    /// The statement's first line.
    pub statement: String,
    #[serde(flatten)]
    pub taken: TableLock,
    pub in_transaction: bool,
}

/// A lock a statement (or a down step, or a fix) takes on a table, as the knowledge table says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLock {
    pub table: String,
    /// The knowledge-table operation id (e.g. `set-not-null`).
    pub operation: String,
    pub lock: String,
    /// What the lock blocks.
    pub blocks: String,
    pub rewrite: bool,
    pub scan: bool,
}

impl TableLock {
    /// "takes ACCESS EXCLUSIVE on t (blocks reads and writes), rewrites the table".
    pub fn describe(&self) -> String {
        format!(
            "takes {} on {} (blocks {}){}",
            self.lock,
            self.table,
            self.blocks,
            if self.rewrite {
                ", rewrites the table"
            } else if self.scan {
                ", scans the table"
            } else {
                ""
            }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    pub table: String,
    pub lock: String,
    pub taken_at_line: usize,
    /// How many statements run while it is held (it is released at COMMIT).
    pub held_through_statements: usize,
}

pub fn render_locks_human(r: &LockReport) -> String {
    let mut out = format!(
        "Locks taken on existing tables (PostgreSQL {}):\n",
        r.pg_version
    );
    for m in r.migrations.iter().filter(|m| !m.statements.is_empty()) {
        let _ = writeln!(out, "\n{} ({})", m.file, m.transaction);
        for s in &m.statements {
            let (line, statement, s) = (s.line, &s.statement, &s.taken);
            let mut effects = vec![];
            if s.rewrite {
                effects.push("rewrites");
            } else if s.scan {
                effects.push("scans");
            }
            let _ = writeln!(
                out,
                "  {:>5}  {:<24} {:<22} blocks {:<30} {} {}",
                line,
                s.table,
                s.lock,
                s.blocks,
                effects.join(","),
                statement
            );
        }
        for h in &m.longest_held {
            let _ = writeln!(
                out,
                "  longest held: {} on {} from line {} through {} statement(s)",
                h.lock, h.table, h.taken_at_line, h.held_through_statements
            );
        }
    }
    out
}
