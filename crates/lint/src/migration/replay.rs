//! The replay of a history: each migration's statements judged against the schema before them, the
//! catalog moved on, locks recorded, and each down replayed after its up and compared.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::sync::Arc;

use dbarch_catalog::{Catalog, QualifiedName, Table};
use dbarch_sql::change::{AlterTable, Lowered, SchemaChange, Transaction};
use dbarch_sql::{SourceMap, Suppression};

use dbarch_report::{HeldLock, LockReport, MigrationLocks, StatementLock};

use crate::config::Config;
use crate::engine::LintOutput;
use crate::knowledge::Knowledge;
use crate::registry::all_rules;
use crate::rule::{Check, Sink};

use super::procedural::{self, Uncertainty};
use super::*;

/// Run the enabled migration rules over a history, in order. The catalog is replayed as it goes; it
/// starts from `base` (the schema before the first script).
/// What replaying a history produced: findings, the final schema, and the locks each statement takes.
pub struct MigrationRun {
    pub lint: LintOutput,
    pub catalog: Catalog,
    pub locks: LockReport,
}

/// Schema rules about a column's or key's own definition: run on the objects each migration creates.
const NEW_OBJECT_RULES: [&str; 9] = [
    "TYP001", "TYP002", "TYP003", "TYP004", "TYP005", "TYP006", "TYP007", "KEY006", "KEY007",
];

/// The reversibility rules on one down script.
fn run_down_rules(
    rules: &[&crate::rule::Rule],
    dcx: &DownContext,
    out: &mut LintOutput,
    sources: &SourceMap,
    suppressions: &[&Suppression],
    config: &Config,
) {
    for rule in rules {
        let Check::Reversibility(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(dcx, &mut sink);
        out.add(rule, sink.into_items(), sources, suppressions, config, None);
    }
}

/// A down replayed on the schema its up left: (the migration's position, what differs from the schema
/// before the up, the down's statements PostgreSQL would refuse and why, where its first statement is,
/// the findings on its statements).
type DownReplay = (
    usize,
    Vec<dbarch_catalog::Change>,
    Vec<(dbarch_sql::Span, String)>,
    Option<dbarch_sql::Span>,
    LintOutput,
);

/// The name an object a change creates is recorded under in `created_here`: tables, and routines,
/// types and schemas by name too (schemas with an empty name).
fn created_name(catalog: &Catalog, change: &SchemaChange) -> Option<QualifiedName> {
    let parts = |n: &dbarch_sql::change::ObjName| {
        qualified(
            catalog,
            &n.schema
                .iter()
                .cloned()
                .chain([n.name.clone()])
                .collect::<Vec<_>>(),
        )
    };
    Some(match change {
        SchemaChange::CreateTable(t) => catalog.resolve(&t.name),
        SchemaChange::CreateTableAs { name, .. } => catalog.resolve(name),
        SchemaChange::CreateFunction(f) => parts(&f.name),
        SchemaChange::CreateEnum { name, .. } | SchemaChange::CreateDomain { name, .. } => {
            parts(name)
        }
        SchemaChange::CreateSchema { name, .. } => QualifiedName::new(name.clone(), ""),
        // A view made here (not one CREATE OR REPLACE redefines).
        SchemaChange::CreateView { name, .. } => {
            let name = catalog.resolve(name);
            if catalog.views.contains_key(&name) {
                return None;
            }
            name
        }
        _ => return None,
    })
}

/// A down to check: the migration's position, the schema before its up and after it, what the model
/// is not sure of after the up, and what the up itself made uncertain.
struct PendingDown {
    at: usize,
    before: Arc<Catalog>,
    after: Arc<Catalog>,
    uncertainty: Uncertainty,
    fresh: Uncertainty,
    /// What the up created (a down that drops it undoes the migration, and nobody else used it yet).
    created: HashSet<QualifiedName>,
}

/// The migration rules not judged on a down's statements: the refusals, which the down check reports as
/// the down failing (MIG021), and the rules whose premise a rollback inverts — a down renames back and
/// drops the NOT NULL and defaults its up added for the code from before the up, which is what runs
/// after a rollback (MIG012, MIG024).
const NOT_JUDGED_ON_DOWNS: [&str; 4] = ["MIG032", "MIG033", "MIG012", "MIG024"];

/// How downs are judged: the rules run on each statement, and whether the result is compared with the
/// schema before the up (MIG021 enabled).
struct DownJudge<'a> {
    env: &'a Env<'a>,
    rules: &'a [&'a crate::rule::Rule],
    compare: bool,
}

/// A copy of the schema to compare a down against, without the notes of what was not modelled (they
/// grow with the history, and a comparison does not read them).
fn snapshot_of(catalog: &mut Catalog) -> Catalog {
    let notes = std::mem::take(&mut catalog.unsupported);
    let copy = catalog.clone();
    catalog.unsupported = notes;
    copy
}

/// How many migrations' downs are checked together (in parallel); bounds the copies of the schema held.
const DOWN_BATCH: usize = 64;

/// Apply each down to the schema its up left, judging its statements, and compare with the schema
/// before the up.
fn revert_and_compare<S: ScriptHandle>(
    scripts: &[S],
    batch: Vec<PendingDown>,
    judge_with: &DownJudge,
) -> Vec<DownReplay> {
    use rayon::prelude::*;
    batch
        .into_par_iter()
        .map(|p| {
            let PendingDown {
                at,
                before,
                after,
                mut uncertainty,
                mut fresh,
                created,
            } = p;
            let script: &MigrationScript = scripts[at].borrow();
            let suppressions = suppressions_of(script);
            let mut reverted = Catalog::clone(&after);
            let mut failures = vec![];
            let mut out = LintOutput::default();
            let statements = script.down.as_ref().map_or(&[][..], |d| &d.statements[..]);
            let all = script.down_lowered();
            let mut state = ScriptState::new(
                script.transaction,
                statements.len(),
                created,
                Some(script.file.file.id),
            );
            for (i, (stmt, lowered)) in statements.iter().zip(all.iter()).enumerate() {
                let judged = judge(
                    judge_with.env,
                    &mut state,
                    &mut reverted,
                    &mut uncertainty,
                    &mut fresh,
                    stmt,
                    lowered,
                    &all[i + 1..],
                    judge_with.rules,
                    &suppressions,
                    &mut out,
                );
                let refusals = judged.refusals;
                let all = refusals.views.into_iter().chain(refusals.schema);
                failures.extend(all.map(|b| (stmt.span, b.message)));
            }
            // What the up or the down changed where the model cannot see is not compared.
            let differences = if !judge_with.compare || fresh.all {
                vec![]
            } else if fresh.objects.is_empty() {
                dbarch_catalog::differences(&before, &reverted)
            } else {
                dbarch_catalog::differences(&fresh.strip(&before), &fresh.strip(&reverted))
            };
            let first = statements.first().map(|s| s.span);
            (at, differences, failures, first, out)
        })
        .collect()
}

/// The inline suppressions of a migration (its up and its down).
fn suppressions_of(script: &MigrationScript) -> Vec<&Suppression> {
    script
        .file
        .suppressions
        .iter()
        .chain(script.down.iter().flat_map(|d| &d.suppressions))
        .collect()
}

use dbarch_migrate::Transaction as Mode;

/// The transaction block a statement runs in: the tool's or the script's explicit one, the implicit one
/// of a multi-statement query, or none.
#[derive(Clone, Copy, PartialEq)]
enum Block {
    None,
    Implicit,
    Explicit,
}

/// What the statements of one script so far leave for the next: the open block, the session's
/// settings, the locks the open transaction holds, what the script created.
struct ScriptState {
    mode: Mode,
    block: Block,
    lock_timeout: bool,
    timezone_utc: bool,
    access_exclusive: bool,
    not_valid: HashSet<(QualifiedName, String)>,
    locked: HashSet<QualifiedName>,
    created: HashSet<QualifiedName>,
    /// The up script a down undoes (see `StatementContext::undoing`).
    undoing: Option<dbarch_sql::FileId>,
}

impl ScriptState {
    /// Remember the constraints a statement adds NOT VALID (validating one later is the safe pattern).
    fn note_not_valid(&mut self, catalog: &Catalog, lowered: &Lowered) {
        for (table, commands) in crate::rules::migration::alter_tables(lowered) {
            for c in commands {
                if let AlterTable::AddConstraint(k) = c
                    && k.not_valid
                    && let Some(name) = &k.name
                {
                    self.not_valid
                        .insert((catalog.resolve(table), name.clone()));
                }
            }
        }
    }

    /// The state before the first of a script's `statements` statements, run in `mode`; `created`, what
    /// counts as created in the same migration already (a down's up created it).
    fn new(
        mode: Mode,
        statements: usize,
        created: HashSet<QualifiedName>,
        undoing: Option<dbarch_sql::FileId>,
    ) -> Self {
        ScriptState {
            mode,
            block: match mode {
                Mode::Wrapped => Block::Explicit,
                // A query of one statement is no block at all.
                Mode::Implicit if statements > 1 => Block::Implicit,
                Mode::Implicit | Mode::PerStatement => Block::None,
            },
            lock_timeout: false,
            timezone_utc: false,
            access_exclusive: false,
            not_valid: HashSet::new(),
            locked: HashSet::new(),
            created,
            undoing,
        }
    }

    /// Moves the block and the settings on through a statement's transaction control and SETs.
    fn enter(&mut self, lowered: &Lowered) {
        for change in &lowered.changes {
            match change {
                SchemaChange::Transaction(t) => {
                    let ended = match (t, self.block) {
                        (Transaction::Begin, _) => {
                            self.block = Block::Explicit;
                            false
                        }
                        // COMMIT / ROLLBACK end the block; in a multi-statement query the rest of it runs
                        // in a new implicit block (a COMMIT there commits, with a warning).
                        (Transaction::End, Block::None) => false,
                        (Transaction::End, _) => {
                            self.block = if self.mode == Mode::Implicit {
                                Block::Implicit
                            } else {
                                Block::None
                            };
                            true
                        }
                        // AND CHAIN ends the block and opens the next (outside an explicit block
                        // PostgreSQL refuses it, MIG028 says so, and nothing changes).
                        (Transaction::Chain, Block::Explicit) => true,
                        (Transaction::Chain, _) | (Transaction::Savepoint, _) => false,
                    };
                    if ended {
                        self.locked.clear();
                        self.not_valid.clear();
                    }
                }
                SchemaChange::SetSetting { name, .. } if name == "lock_timeout" => {
                    self.lock_timeout = true
                }
                SchemaChange::SetSetting { name, value } if name == "timezone" => {
                    self.timezone_utc = value.as_ref().is_some_and(|z| {
                        matches!(
                            z.to_ascii_uppercase().as_str(),
                            "UTC" | "ETC/UTC" | "GMT" | "Z" | "UCT"
                        )
                    });
                }
                _ => {}
            }
        }
    }
}

/// What a replay judges statements with: the rules' inputs that stay the same for the whole history.
struct Env<'a> {
    sources: &'a SourceMap,
    config: &'a Config,
    pg_version: u32,
    knowledge: &'static Knowledge,
    stats: Option<&'a dbarch_catalog::Stats>,
}

/// A lock a statement takes, with, for a statement a DO block runs, that statement (where it is and its
/// text).
type JudgedLock = (
    crate::knowledge::LockLevel,
    dbarch_report::TableLock,
    Option<(dbarch_sql::Span, String)>,
);

/// What judging a statement found besides its findings: the locks it takes on tables that existed
/// before the migration (for the lock report, so an up's only), whether a transaction block was open,
/// and why PostgreSQL would refuse it.
struct Judged {
    operations: Vec<JudgedLock>,
    in_transaction: bool,
    refusals: Refusals,
}

/// Judge one statement of a script with `rules` on the schema before it, then move the schema on (a
/// statement PostgreSQL would refuse leaves it as it was). Up and down scripts are judged alike.
#[allow(clippy::too_many_arguments)]
fn judge(
    env: &Env,
    state: &mut ScriptState,
    catalog: &mut Catalog,
    uncertainty: &mut Uncertainty,
    fresh: &mut Uncertainty,
    stmt: &dbarch_sql::Statement,
    lowered: &Lowered,
    rest: &[Lowered],
    rules: &[&crate::rule::Rule],
    suppressions: &[&Suppression],
    out: &mut LintOutput,
) -> Judged {
    let explicit_before = state.block == Block::Explicit;
    state.enter(lowered);
    let in_tx = state.block != Block::None;
    let mut cx = StatementContext {
        catalog,
        stmt,
        changes: lowered,
        rest,
        tool_wraps: state.mode == Mode::Wrapped,
        mode: state.mode,
        in_transaction: in_tx,
        open_before: explicit_before,
        created_here: &state.created,
        lock_timeout_set: state.lock_timeout,
        timezone_utc: state.timezone_utc,
        access_exclusive_before: state.access_exclusive,
        locked_exclusive: &state.locked,
        added_not_valid: &state.not_valid,
        pg_version: env.pg_version,
        options: &env.config.options,
        knowledge: env.knowledge,
        undoing: state.undoing,
        in_routine: false,
        operations: Vec::new(),
        refusals: if uncertainty.touches(catalog, lowered) {
            Refusals::default()
        } else {
            Refusals::of(catalog, lowered, uncertainty.relations_known(catalog))
        },
    };
    cx.operations = cx.classify();
    // A fix replaces the flagged statement: its cost is judged where that statement runs.
    let costing = crate::cost::Costing {
        catalog,
        created_here: &state.created,
        pg_version: env.pg_version,
        knowledge: env.knowledge,
        stats: env.stats,
        large_table_rows: env.config.options.large_table_rows,
    };
    for rule in rules {
        let Check::Migration(check) = rule.check else {
            continue;
        };
        let mut sink = Sink::default();
        check(&cx, &mut sink);
        out.add(
            rule,
            sink.into_items(),
            env.sources,
            suppressions,
            env.config,
            Some(&costing),
        );
    }
    uncertainty.note(lowered);
    // The lock report is of up scripts: a down's locks are judged by the rules, not listed.
    let operations: Vec<_> = if state.undoing.is_none() {
        cx.operations
            .iter()
            .map(|(o, t)| (o.lock, o.on(t, env.pg_version), None))
            .collect()
    } else {
        vec![]
    };
    let exclusive: Vec<QualifiedName> = cx
        .operations
        .iter()
        .filter(|(o, _)| o.lock == crate::knowledge::LockLevel::AccessExclusive)
        .map(|(_, t)| t.clone())
        .collect();
    let refusals = std::mem::take(&mut cx.refusals);
    if !exclusive.is_empty() {
        state.access_exclusive = true;
        if in_tx {
            state.locked.extend(exclusive);
        }
    }
    state.note_not_valid(catalog, lowered);
    let mut judged = Judged {
        operations,
        in_transaction: in_tx,
        refusals,
    };
    // A statement PostgreSQL would refuse (MIG032, MIG033 report it) leaves the schema as it was.
    if !judged.refusals.is_empty() {
        return judged;
    }
    for change in &lowered.changes {
        if let Some(name) = created_name(catalog, change) {
            state.created.insert(name);
        }
    }
    if !procedural::is_do_block(lowered) {
        catalog.apply(lowered);
    }
    // A DO block, or a call of the schema's own routines: what they run, each statement judged by the
    // rules where the block is (its locks are the block's).
    let mut inner = |before: &Catalog, s: &dbarch_sql::Statement, l: &Lowered, guarded: bool| {
        let ops = judge_inner(
            env,
            state,
            in_tx,
            guarded,
            before,
            s,
            l,
            rules,
            suppressions,
            out,
        );
        let at = (s.span != stmt.span).then(|| (s.span, s.sql.clone()));
        judged
            .operations
            .extend(ops.into_iter().map(|(l, t)| (l, t, at.clone())));
    };
    if let Some(ran) = procedural::run(catalog, stmt, lowered, &mut inner) {
        for change in ran.applied.iter().flat_map(|l| &l.changes) {
            if let Some(name) = created_name(catalog, change) {
                state.created.insert(name);
            }
        }
        uncertainty.extend(&ran.fresh);
        fresh.extend(&ran.fresh);
    }
    judged
}

/// Judge a statement a DO block (or a routine the migration calls) runs, on the schema before it: the
/// same rules, in the block's transaction (a DO block is one statement, atomic even outside a block).
/// Its fixes are not given as SQL (but a session setting to make before the block) — the statement is
/// inside the block's text, and a routine can neither build an index CONCURRENTLY nor control
/// transactions — and no refusal is claimed (what they may touch is uncertain); a guarded one (under IF,
/// in a loop or a block with a handler) may not run, so no error-severity rule speaks of it. Gives its
/// locks for the report.
#[allow(clippy::too_many_arguments)]
fn judge_inner(
    env: &Env,
    state: &mut ScriptState,
    in_tx: bool,
    guarded: bool,
    catalog: &Catalog,
    stmt: &dbarch_sql::Statement,
    lowered: &Lowered,
    rules: &[&crate::rule::Rule],
    suppressions: &[&Suppression],
    out: &mut LintOutput,
) -> Vec<(crate::knowledge::LockLevel, dbarch_report::TableLock)> {
    let mut cx = StatementContext {
        catalog,
        stmt,
        changes: lowered,
        rest: &[],
        tool_wraps: state.mode == Mode::Wrapped,
        mode: state.mode,
        in_transaction: true,
        open_before: state.block == Block::Explicit,
        created_here: &state.created,
        lock_timeout_set: state.lock_timeout,
        timezone_utc: state.timezone_utc,
        access_exclusive_before: state.access_exclusive,
        locked_exclusive: &state.locked,
        added_not_valid: &state.not_valid,
        pg_version: env.pg_version,
        options: &env.config.options,
        knowledge: env.knowledge,
        undoing: state.undoing,
        in_routine: true,
        operations: Vec::new(),
        refusals: Refusals::default(),
    };
    cx.operations = cx.classify();
    for rule in rules {
        let Check::Migration(check) = rule.check else {
            continue;
        };
        if guarded && rule.severity == dbarch_report::Severity::Error {
            continue;
        }
        let mut sink = Sink::default();
        check(&cx, &mut sink);
        let mut items = sink.into_items();
        for d in &mut items {
            // A session setting set before the block still holds inside it; any other fix would
            // rewrite the statement, which is the block's text.
            let setting = d.fix.as_deref().is_some_and(|f| {
                f.lines()
                    .all(|l| l.trim_start().to_ascii_uppercase().starts_with("SET "))
            });
            let note = if setting || d.fix.take().is_none() {
                "It runs inside a DO block or a routine the migration calls."
            } else {
                "It runs inside a DO block or a routine the migration calls: take it out of the \
                 block to change it this way."
            };
            d.help = format!("{} {note}", d.help).trim().to_string();
        }
        out.add(rule, items, env.sources, suppressions, env.config, None);
    }
    let operations = if state.undoing.is_none() {
        cx.operations
            .iter()
            .map(|(o, t)| (o.lock, o.on(t, env.pg_version)))
            .collect()
    } else {
        vec![]
    };
    let exclusive: Vec<QualifiedName> = cx
        .operations
        .iter()
        .filter(|(o, _)| o.lock == crate::knowledge::LockLevel::AccessExclusive)
        .map(|(_, t)| t.clone())
        .collect();
    if !exclusive.is_empty() {
        state.access_exclusive = true;
        if in_tx {
            state.locked.extend(exclusive);
        }
    }
    state.note_not_valid(catalog, lowered);
    operations
}

pub fn run_migrations(
    base: Catalog,
    scripts: &[MigrationScript],
    sources: &SourceMap,
    config: &Config,
    pg_version: u32,
) -> MigrationRun {
    run_migrations_from(base, scripts.iter(), sources, config, pg_version, None).0
}

/// A migration script as `run_migrations_from` holds it: borrowed, or owned (then its up script's parse
/// trees are dropped once the migration has been judged, which keeps a long history's memory small).
pub trait ScriptHandle: Borrow<MigrationScript> + Sync {
    fn release_up_trees(&mut self) {}
    fn release_down_trees(&mut self) {}
}

impl ScriptHandle for &MigrationScript {}

impl ScriptHandle for MigrationScript {
    fn release_up_trees(&mut self) {
        self.file.statements = Vec::new();
        self.lowered = Vec::new();
    }

    fn release_down_trees(&mut self) {
        if let Some(d) = &mut self.down {
            d.statements = Vec::new();
        }
        self.down_lowered = Vec::new();
    }
}

/// Check a batch of downs, then drop their parse trees (owned scripts): what the report needs of them
/// is in the result.
fn check_downs<S: ScriptHandle>(
    scripts: &mut [S],
    batch: Vec<PendingDown>,
    judge_with: &DownJudge,
) -> Vec<DownReplay> {
    let done = revert_and_compare(scripts, batch, judge_with);
    for (at, ..) in &done {
        scripts[*at].release_down_trees();
    }
    done
}

/// `run_migrations` over scripts that arrive in order (from a parser still at work on the later ones);
/// gives the scripts back (owned ones without their up scripts' parse trees; `statement_count` stays).
/// `stats`, the production tables' statistics (`--stats`), size the tables a fix locks: its cost names
/// their rows and bytes, and a fix that would block a large one is given in words.
pub fn run_migrations_from<S: ScriptHandle>(
    base: Catalog,
    incoming: impl Iterator<Item = S>,
    sources: &SourceMap,
    config: &Config,
    pg_version: u32,
    stats: Option<&dbarch_catalog::Stats>,
) -> (MigrationRun, Vec<S>) {
    let mut scripts: Vec<S> = vec![];
    let knowledge = Knowledge::shared();
    let rules: Vec<&crate::rule::Rule> = all_rules()
        .iter()
        .copied()
        .filter(|r| r.is_migration_rule() && config.enabled(r))
        .collect();
    let mut out = LintOutput::default();
    let mut locks = LockReport {
        pg_version,
        migrations: vec![],
    };
    let mut catalog = base;
    // The schema rules about a column's own definition, run on what each migration creates (as a reviewer
    // of that migration would), within the user's selection.
    let mut new_object_config = config.clone();
    new_object_config.select = NEW_OBJECT_RULES
        .iter()
        .filter(|code| crate::registry::find_rule(code).is_some_and(|r| config.enabled(r)))
        .map(|c| c.to_string())
        .collect();
    let down_rules: Vec<_> = rules
        .iter()
        .filter(|r| matches!(r.check, Check::Reversibility(_)))
        .copied()
        .collect();
    // A down runs in production on a rollback: its statements are judged by the same rules as an up's,
    // but for the refusals, which the down check reports as the down failing (MIG021).
    let down_statement_rules: Vec<&crate::rule::Rule> = rules
        .iter()
        .filter(|r| {
            config.migrations.lints_downs()
                && matches!(r.check, Check::Migration(_))
                && !NOT_JUDGED_ON_DOWNS.contains(&r.code)
        })
        .copied()
        .collect();
    let env = Env {
        sources,
        config,
        pg_version,
        knowledge,
        stats,
    };
    let down_judge = DownJudge {
        env: &env,
        rules: &down_statement_rules,
        compare: !down_rules.is_empty(),
    };
    let mut pending_downs = vec![];
    // Once a statement changed the schema in ways the model does not see, what the model says is missing
    // or present is no longer certain (of the objects it touched, or of all): no claim that PostgreSQL
    // refuses a statement (MIG032, MIG033, a down that fails) is made about them after it, and the
    // migration it is in is not compared on them (MIG021).
    let mut uncertainty = Uncertainty::default();
    let mut compared = vec![];
    // The schema as the last up left it, shared with that migration's pending down check: it is also
    // the schema before the next migration, so one copy a migration is enough.
    let mut snapshot: Option<Arc<Catalog>> = None;
    for incoming_script in incoming {
        let position = scripts.len();
        scripts.push(incoming_script);
        let script: &MigrationScript = scripts[position].borrow();
        let suppressions = suppressions_of(script);
        let current = snapshot.take();
        let before = (script.down.is_some()
            && !(down_rules.is_empty() && down_statement_rules.is_empty()))
        .then(|| current.unwrap_or_else(|| Arc::new(snapshot_of(&mut catalog))));
        let mut taken: Vec<(StatementLock, crate::knowledge::LockLevel, usize)> = vec![];
        let mode = script.transaction;
        let mut state = ScriptState::new(mode, script.file.statements.len(), HashSet::new(), None);
        let mut fresh_here = Uncertainty::default();
        let all = script.up_lowered();
        for (at, (stmt, lowered)) in script.file.statements.iter().zip(all.iter()).enumerate() {
            let judged = judge(
                &env,
                &mut state,
                &mut catalog,
                &mut uncertainty,
                &mut fresh_here,
                stmt,
                lowered,
                &all[at + 1..],
                &rules,
                &suppressions,
                &mut out,
            );
            for (lock, taken_lock, inner) in judged.operations {
                // A statement a DO block runs is listed at its own line.
                let (span, sql) = inner
                    .as_ref()
                    .map_or((stmt.span, stmt.sql.as_str()), |(s, t)| (*s, t.as_str()));
                let lc = script.file.file.line_col(span.start);
                let entry = StatementLock {
                    line: lc.line,
                    column: lc.column,
                    statement: sql.lines().next().unwrap_or("").chars().take(80).collect(),
                    taken: taken_lock,
                    in_transaction: judged.in_transaction,
                };
                taken.push((entry, lock, at));
            }
        }
        if let Some(before) = before {
            // The down is checked later, in parallel with others, on a copy (cheap: copies share the
            // objects neither script touched).
            let after = Arc::new(snapshot_of(&mut catalog));
            pending_downs.push(PendingDown {
                at: position,
                before,
                after: after.clone(),
                uncertainty: uncertainty.clone(),
                fresh: std::mem::take(&mut fresh_here),
                created: std::mem::take(&mut state.created),
            });
            snapshot = Some(after);
            if pending_downs.len() >= DOWN_BATCH {
                compared.extend(check_downs(
                    &mut scripts,
                    std::mem::take(&mut pending_downs),
                    &down_judge,
                ));
            }
        }
        let script: &MigrationScript = scripts[position].borrow();
        let suppressions = suppressions_of(script);
        if let Some((file, message)) = &script.down_error {
            let dcx = DownContext {
                up: &script.file,
                down_file: *file,
                at: dbarch_sql::Span::new(*file, 0, 0),
                differences: &[],
                failures: &[],
                parse_error: Some(message),
            };
            run_down_rules(&down_rules, &dcx, &mut out, sources, &suppressions, config);
        }
        // The longest-held lock: in a wrapped script every lock lasts to the end; otherwise a lock taken
        // inside BEGIN ... COMMIT lasts to the end of that block (approximated by the end of the script).
        let total = script.file.statements.len();
        let longest = taken
            .iter()
            .filter(|(e, _, _)| e.in_transaction)
            .max_by_key(|(_, level, at)| (*level, total - at))
            .map(|(e, _, at)| HeldLock {
                table: e.taken.table.clone(),
                lock: e.taken.lock.clone(),
                taken_at_line: e.line,
                held_through_statements: total - at,
            });
        // Only the tables with a column this migration defined are judged (a small catalog keeps this
        // cheap on long histories).
        let file_id = script.file.file.id;
        let touched: std::collections::BTreeMap<QualifiedName, std::sync::Arc<Table>> = catalog
            .tables
            .iter()
            .filter(|(_, t)| {
                t.columns
                    .iter()
                    .any(|c| c.origin.span().is_some_and(|sp| sp.file == file_id))
            })
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        if !new_object_config.select.is_empty() && !touched.is_empty() {
            let here = script.file.file.path.display().to_string();
            let mut small = Catalog::new();
            small.tables = touched;
            small.types = catalog.types.clone();
            small.search_path = catalog.search_path.clone();
            let judged = crate::engine::run(&crate::engine::LintInput {
                catalog: &small,
                files: std::slice::from_ref(&script.file),
                sources,
                config: &new_object_config,
                pg_version,
                stats: None,
            });
            out.findings
                .extend(judged.findings.into_iter().filter(|f| f.file == here));
            out.suppressed += judged.suppressed;
        }
        locks.migrations.push(MigrationLocks {
            file: script.file.file.path.display().to_string(),
            transaction: match mode {
                Mode::Wrapped => "wrapped".into(),
                Mode::Implicit => "implicit".into(),
                Mode::PerStatement => "per-statement".into(),
            },
            statements: taken.into_iter().map(|(e, _, _)| e).collect(),
            longest_held: longest.into_iter().collect(),
        });
        scripts[position].release_up_trees();
    }
    compared.extend(check_downs(&mut scripts, pending_downs, &down_judge));
    for (at, differences, failures, first, judged) in compared {
        out.merge(judged);
        let script: &MigrationScript = scripts[at].borrow();
        let suppressions = suppressions_of(script);
        let Some(down) = &script.down else { continue };
        let at = first.unwrap_or(dbarch_sql::Span::new(down.file.id, 0, 0));
        let dcx = DownContext {
            up: &script.file,
            down_file: down.file.id,
            at,
            differences: &differences,
            failures: &failures,
            parse_error: None,
        };
        run_down_rules(&down_rules, &dcx, &mut out, sources, &suppressions, config);
    }
    (
        MigrationRun {
            lint: out,
            catalog,
            locks,
        },
        scripts,
    )
}
