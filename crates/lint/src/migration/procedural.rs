//! Statements that run other statements: DO blocks, and calls of routines the schema defines. What they
//! run (static SQL, and the EXECUTEs whose strings can be worked out, read by `dbarch_sql::plpgsql`) is
//! applied to the schema. A step that may or may not have run (under IF, in a loop, in a block with an
//! exception handler), or that the schema as modelled would refuse, makes the objects it touches
//! uncertain; a step that cannot be known at all (an EXECUTE of a string built at run time) makes the
//! whole schema uncertain. No claim that PostgreSQL refuses a statement is made about an uncertain object.

use std::collections::HashSet;

use dbarch_catalog::{Catalog, Origin, QualifiedName, Unsupported};
use dbarch_sql::Statement;
use dbarch_sql::change::{Lowered, ObjName, SchemaChange};
use dbarch_sql::plpgsql::{self, Bindings, Runs, Step, StepKind};

use super::context::Refusals;

/// What the model is not sure of.
#[derive(Debug, Default, Clone)]
pub(crate) struct Uncertainty {
    /// Anything: something changed the schema where the model cannot see.
    pub all: bool,
    /// These objects (tables, views, sequences, types, routines, indexes).
    pub objects: HashSet<QualifiedName>,
    /// A statement the model does not follow may have created relations it does not know of.
    pub relations_unknown: bool,
}

impl Uncertainty {
    /// Whether a statement names an uncertain object.
    pub fn touches(&self, catalog: &Catalog, lowered: &Lowered) -> bool {
        self.all
            || (!self.objects.is_empty()
                && targets(catalog, lowered)
                    .iter()
                    .any(|t| self.objects.contains(t)))
    }

    /// Whether the model knows every relation (a DROP of one it lacks is then refused).
    pub fn relations_known(&self, catalog: &Catalog) -> bool {
        !self.all
            && !self.relations_unknown
            && !catalog.extensions.keys().any(|e| !plain_extension(e))
    }

    /// Note what a statement the replay applied says about the model's knowledge of relations.
    pub fn note(&mut self, lowered: &Lowered) {
        if lowered
            .changes
            .iter()
            .any(|c| matches!(c, SchemaChange::Opaque { .. }))
        {
            self.relations_unknown = true;
        }
    }

    pub fn extend(&mut self, other: &Uncertainty) {
        self.all |= other.all;
        self.relations_unknown |= other.relations_unknown;
        self.objects.extend(other.objects.iter().cloned());
    }

    /// `catalog` without the uncertain objects (and the indexes and triggers of uncertain tables), to
    /// compare two schemas on what is known.
    pub fn strip(&self, catalog: &Catalog) -> Catalog {
        let mut c = catalog.clone();
        let o = &self.objects;
        c.tables.retain(|n, _| !o.contains(n));
        c.indexes
            .retain(|n, i| !o.contains(n) && !o.contains(&i.table));
        c.views.retain(|n, _| !o.contains(n));
        c.sequences.retain(|n, _| !o.contains(n));
        c.types.retain(|n, _| !o.contains(n));
        c.functions.retain(|f| !o.contains(&f.name));
        c.triggers.retain(|(t, _), _| !o.contains(t));
        c
    }
}

/// Extensions that create no tables or views of their own (others, such as PostGIS or
/// pg_stat_statements, do, and the model does not know them).
fn plain_extension(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "plpgsql"
            | "pgcrypto"
            | "uuid-ossp"
            | "citext"
            | "pg_trgm"
            | "btree_gin"
            | "btree_gist"
            | "hstore"
            | "ltree"
            | "unaccent"
            | "fuzzystrmatch"
            | "intarray"
            | "cube"
            | "earthdistance"
            | "tablefunc"
            | "isn"
    )
}

/// What running a DO block or a routine call did.
pub(crate) struct Ran {
    /// What it made uncertain.
    pub fresh: Uncertainty,
    /// The statements it ran that were applied to the schema.
    pub applied: Vec<Lowered>,
}

/// Whether a statement is a DO block (whose own lowering is opaque: [`run`] stands for it).
pub(crate) fn is_do_block(lowered: &Lowered) -> bool {
    lowered.kind == "DoStmt"
}

/// Run a DO block, or the routines of the schema a statement calls, on `catalog`. `None` when the
/// statement is neither.
/// `judge` sees each statement it runs on the schema before it, before it is applied, and whether it
/// is guarded (it may not run).
pub(crate) fn run(
    catalog: &mut Catalog,
    stmt: &Statement,
    lowered: &Lowered,
    judge: &mut dyn FnMut(&Catalog, &Statement, &Lowered, bool),
) -> Option<Ran> {
    let mut state = Run {
        fresh: Uncertainty::default(),
        applied: vec![],
        reasons: vec![],
        at: stmt.span,
        top: stmt,
        judge,
    };
    let what = state.statement(catalog, stmt, lowered, false, &Bindings::new(), 0)?;
    // The call's own "no schema effect" note gives way to what the call did.
    if catalog
        .unsupported
        .last()
        .is_some_and(|u| u.origin.0 == Some(stmt.span) && u.reason == "no schema effect")
    {
        catalog.unsupported.pop();
    }
    let mut note = format!("{what}: ");
    if state.applied.is_empty() {
        note.push_str("no schema change applied");
    } else {
        note.push_str(&format!(
            "{} schema change{} applied",
            state.applied.len(),
            if state.applied.len() == 1 { "" } else { "s" }
        ));
    }
    if state.fresh.all {
        note.push_str("; the schema is uncertain from here");
    } else if !state.fresh.objects.is_empty() {
        let mut names: Vec<String> = state.fresh.objects.iter().map(|n| n.to_string()).collect();
        names.sort();
        note.push_str(&format!("; uncertain: {}", names.join(", ")));
    }
    if !state.reasons.is_empty() {
        note.push_str(&format!(" ({})", state.reasons.join("; ")));
    }
    catalog.unsupported.push(Unsupported {
        kind: lowered.kind.to_string(),
        reason: note,
        origin: Origin(Some(stmt.span)),
    });
    Some(Ran {
        fresh: state.fresh,
        applied: state.applied,
    })
}

struct Run<'j> {
    fresh: Uncertainty,
    applied: Vec<Lowered>,
    reasons: Vec<String>,
    at: dbarch_sql::Span,
    /// The statement of the migration (a DO block's steps are placed on their lines in its text).
    top: &'j Statement,
    judge: &'j mut dyn FnMut(&Catalog, &Statement, &Lowered, bool),
}

impl Run<'_> {
    /// Run `stmt` if it is a DO block or calls routines of the schema: what it is, for the note.
    fn statement(
        &mut self,
        catalog: &mut Catalog,
        stmt: &Statement,
        lowered: &Lowered,
        guarded: bool,
        bindings: &Bindings,
        depth: usize,
    ) -> Option<String> {
        let calls = match plpgsql::runs(stmt, bindings) {
            Runs::DoBlock { language } => {
                match language.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("plpgsql") => match plpgsql::steps(&stmt.sql, &[]) {
                        Ok(steps) => {
                            let own = std::ptr::eq(stmt, self.top).then_some(stmt);
                            self.steps(catalog, &steps, guarded, depth, own)
                        }
                        Err(e) => self.unknown(format!("the DO block's body: {e}")),
                    },
                    Some(other) => self.unknown(format!("a DO block in {other}")),
                }
                return Some("a DO block".into());
            }
            Runs::Calls(calls) => calls,
        };
        let reads_only = lowered
            .changes
            .iter()
            .all(|c| matches!(c, SchemaChange::NoEffect | SchemaChange::WriteRows(_)));
        if !reads_only {
            return None;
        }
        let mut called = vec![];
        for call in calls {
            let Some(f) = routine(catalog, &call).cloned() else {
                continue;
            };
            let label = format!("{}({})", f.name, f.arg_types.join(", "));
            if depth >= plpgsql::MAX_DEPTH {
                self.unknown(format!("{label}: calls nested too deep to follow"));
                called.push(label);
                continue;
            }
            let steps = match (f.language.as_str(), f.definition.text(), f.body.as_deref()) {
                ("plpgsql", Some(def), _) => match plpgsql::steps(def, &call.args) {
                    Ok(steps) => steps,
                    Err(e) => {
                        self.unknown(format!("{label}: {e}"));
                        called.push(label);
                        continue;
                    }
                },
                ("sql", _, Some(body)) => plpgsql::sql_body_steps(body),
                // A routine in another language, or one the model has no text of: not followed.
                _ => continue,
            };
            self.steps(catalog, &steps, guarded, depth + 1, None);
            called.push(label);
        }
        if called.is_empty() {
            return None;
        }
        Some(format!("a call of {}", called.join(", ")))
    }

    fn unknown(&mut self, reason: String) {
        self.fresh.all = true;
        self.reasons.push(reason);
    }

    /// Run `steps`; `block`, the migration's DO statement they are the body of (each step is then
    /// placed on its line of it).
    fn steps(
        &mut self,
        catalog: &mut Catalog,
        steps: &[Step],
        guarded: bool,
        depth: usize,
        block: Option<&Statement>,
    ) {
        for step in steps {
            let guarded = guarded || step.guarded;
            let sql = match &step.kind {
                StepKind::Unknown(expr) => {
                    self.unknown(format!("EXECUTE {expr}: known only at run time"));
                    continue;
                }
                StepKind::Sql(sql) => sql,
            };
            let at = block
                .and_then(|b| {
                    let (start, end) = plpgsql::body_line(&b.sql, step.line)?;
                    Some(b.span_at(i32::try_from(start).ok()?, end - start))
                })
                .unwrap_or(self.at);
            let inner = match plpgsql::statements_of(sql, at) {
                Ok(inner) => inner,
                Err(e) => {
                    self.unknown(format!("`{sql}` does not parse: {e}"));
                    continue;
                }
            };
            for stmt in &inner {
                let lowered = dbarch_sql::change::lower(stmt);
                if self
                    .statement(catalog, stmt, &lowered, guarded, &Bindings::new(), depth)
                    .is_some()
                {
                    continue;
                }
                if lowered.changes.iter().all(|c| {
                    matches!(
                        c,
                        SchemaChange::NoEffect
                            | SchemaChange::WriteRows(_)
                            | SchemaChange::SetSetting { .. }
                            | SchemaChange::Transaction(_)
                            | SchemaChange::Maintain(_)
                    )
                }) {
                    continue;
                }
                if lowered
                    .changes
                    .iter()
                    .any(|c| matches!(c, SchemaChange::Opaque { .. }))
                {
                    self.unknown(format!("`{}`: not modelled", first_line(&stmt.sql)));
                    continue;
                }
                let refused = !Refusals::of(catalog, &lowered, false).is_empty();
                let touched = targets(catalog, &lowered);
                if !refused {
                    (self.judge)(catalog, stmt, &lowered, guarded);
                    catalog.apply(&lowered);
                    // What a statement creates is named after it runs.
                    self.applied.push(lowered.clone());
                }
                if guarded || refused {
                    let after = targets(catalog, &lowered);
                    self.fresh.objects.extend(touched.into_iter().chain(after));
                }
            }
        }
    }
}

fn first_line(sql: &str) -> String {
    sql.lines().next().unwrap_or("").chars().take(60).collect()
}

/// The routine of the schema a call names: by name (and schema, when written) and argument count; `None`
/// when none, or several, fit (a built-in function, an ambiguous overload).
fn routine<'c>(
    catalog: &'c Catalog,
    call: &plpgsql::Call,
) -> Option<&'c std::sync::Arc<dbarch_catalog::Function>> {
    let (schema, name) = match call.name.as_slice() {
        [n] => (None, n),
        [s, n] => (Some(s), n),
        _ => return None,
    };
    let named: Vec<_> = catalog
        .functions
        .iter()
        .filter(|f| {
            f.name.name.eq_ignore_ascii_case(name)
                && schema.is_none_or(|s| f.name.schema.eq_ignore_ascii_case(s))
        })
        .collect();
    let exact: Vec<_> = named
        .iter()
        .filter(|f| f.arg_types.len() == call.args.len())
        .collect();
    match (exact.as_slice(), named.as_slice()) {
        ([f], _) => Some(f),
        ([], [f]) => Some(f),
        _ => None,
    }
}

/// The objects a statement names: relations it creates, alters, drops, renames, reads into a view or
/// writes rows of; routines and types it creates or drops.
pub(crate) fn targets(catalog: &Catalog, lowered: &Lowered) -> Vec<QualifiedName> {
    let mut out = vec![];
    for c in &lowered.changes {
        change_targets(catalog, c, &mut out);
    }
    out
}

fn change_targets(catalog: &Catalog, change: &SchemaChange, out: &mut Vec<QualifiedName>) {
    let rel = |n: &ObjName| catalog.resolve(n);
    let parts = |p: &[String]| match p {
        [s, n] => QualifiedName::new(s.clone(), n.clone()),
        [.., n] => catalog.resolve(&ObjName::new(None, n)),
        [] => QualifiedName::new("", ""),
    };
    match change {
        SchemaChange::CreateSchema { elements, .. } => {
            for e in elements {
                change_targets(catalog, e, out);
            }
        }
        SchemaChange::CreateTable(t) => out.push(rel(&t.name)),
        SchemaChange::CreateTableAs { name, .. }
        | SchemaChange::CreateSequence { name, .. }
        | SchemaChange::AlterSequence { name, .. }
        | SchemaChange::CreateEnum { name, .. }
        | SchemaChange::AlterEnum { name, .. }
        | SchemaChange::CreateDomain { name, .. }
        | SchemaChange::CreateCompositeType { name, .. }
        | SchemaChange::AlterDomain { name, .. }
        | SchemaChange::AlterTable { name, .. } => out.push(rel(name)),
        SchemaChange::SetSchema { table, .. }
        | SchemaChange::CreateTrigger { table, .. }
        | SchemaChange::CreatePolicy { table, .. }
        | SchemaChange::AlterPolicy { table, .. } => out.push(rel(table)),
        SchemaChange::CreateIndex(i) => {
            let table = rel(&i.table);
            if let Some(n) = &i.name {
                out.push(QualifiedName::new(table.schema.clone(), n.clone()));
            }
            out.push(table);
        }
        SchemaChange::CreateView { name, reads, .. } => {
            out.push(rel(name));
            out.extend(reads.iter().map(rel));
        }
        SchemaChange::CreateFunction(f) => out.push(rel(&f.name)),
        SchemaChange::AlterFunction { function, .. } => out.push(parts(&function.name)),
        SchemaChange::Drop(d) => out.extend(d.objects.iter().map(|o| parts(&o.name))),
        SchemaChange::Rename(r) => {
            if let Some(n) = &r.relation {
                let old = rel(n);
                // A renamed relation is also known by its new name (for a column, a harmless extra).
                out.push(QualifiedName::new(old.schema.clone(), r.new.clone()));
                out.push(old);
            }
            if !r.object.is_empty() {
                out.push(parts(&r.object));
            }
        }
        SchemaChange::WriteRows(w) => out.push(rel(&w.table)),
        SchemaChange::Comment {
            on:
                dbarch_sql::change::CommentOn::Table(t)
                | dbarch_sql::change::CommentOn::Column { table: t, .. },
            ..
        } => out.push(rel(t)),
        _ => {}
    }
}
