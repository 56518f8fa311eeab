//! Loops in a server log, found while it is read: one session running the same query again and again,
//! each execution within a gap of the previous, right after another query (the parent whose rows the loop
//! walks). The log is never held: each session keeps its open runs (one per query it is repeating) and the
//! last two queries it ran, so memory follows the sessions and queries in flight, not the log's length.
//! What makes a loop an N+1 finding (QRY021) is decided here, with the thresholds the rule is configured
//! with ([`LoopOptions`]); the rule reports the loops.

use std::collections::{HashMap, HashSet};

use dbarch_sql::Span;

/// When a run of one query in one session is a loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopOptions {
    /// At least this many executions (QRY021's `n-plus-one-min`).
    pub min: usize,
    /// Each within this many milliseconds of the previous (`n-plus-one-gap-ms`).
    pub gap_ms: u64,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            min: 10,
            gap_ms: 1000,
        }
    }
}

/// One loop: `count` executions of query `query` in one session, after an execution of `parent`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Loop {
    /// Index of the repeated query in [`crate::Workload::queries`].
    pub query: usize,
    /// Index of the query the session ran last before the loop.
    pub parent: usize,
    /// The backend that ran it (the `[pid]` of the line prefix).
    pub session: String,
    pub count: usize,
    /// Total duration of its executions, in milliseconds.
    pub duration_ms: f64,
    /// Where its first execution is, and on which line and column.
    #[serde(skip)]
    pub first: Span,
    pub line: usize,
    pub column: usize,
    /// The position of its first execution in the log (orders loops as they began).
    #[serde(skip)]
    pub sequence: u64,
}

/// At most this many distinct values are remembered per run: past it, a run counts as "mostly different
/// values" whatever follows (a loop over more than 65,536 different rows is a loop).
pub const VALUES_KEPT: usize = 1 << 16;

/// How far back (in executions of the whole log) the parent of a loop is looked for.
const PARENT_WINDOW: u64 = 10_000;

/// After this many executions, runs that can no longer grow are closed and idle sessions forgotten.
const SWEEP_EVERY: u64 = 1 << 16;

/// One execution as the log reader hands it on.
#[derive(Debug, Clone, Copy)]
pub struct Execution {
    pub query: usize,
    /// Seconds since 1970, when the line prefix has a timestamp.
    pub at: Option<f64>,
    pub duration_ms: Option<f64>,
    /// A hash of the values it ran with (the statement as written, and its `DETAIL: parameters:`).
    pub values: u64,
    pub span: Span,
    /// The line and column `span` starts at.
    pub line: usize,
    pub column: usize,
}

struct Run {
    first: (Span, usize, usize),
    sequence: u64,
    count: usize,
    values: HashSet<u64>,
    last_at: f64,
    duration_ms: f64,
    parent: Option<usize>,
}

#[derive(Default)]
struct Session {
    /// The last execution, held until the next entry of the session (a `DETAIL: parameters:` line may
    /// still change its values).
    pending: Option<(Execution, u64)>,
    /// The last query run and where, and the last other query before it.
    last: Option<(usize, u64)>,
    before_last: Option<(usize, u64)>,
    runs: HashMap<usize, Run>,
}

/// Finds loops in the executions of a log handed on in order.
pub struct Detector {
    options: LoopOptions,
    sequence: u64,
    latest_at: f64,
    sessions: HashMap<String, Session>,
    pub(crate) loops: Vec<Loop>,
}

impl Detector {
    pub fn new(options: LoopOptions) -> Self {
        Detector {
            options,
            sequence: 0,
            latest_at: f64::MIN,
            sessions: HashMap::new(),
            loops: vec![],
        }
    }

    /// An execution of `session` (executions without a session are in no loop).
    pub fn execution(&mut self, session: &str, e: Execution) {
        let sequence = self.sequence;
        self.sequence += 1;
        if let Some(at) = e.at {
            self.latest_at = self.latest_at.max(at);
        }
        let (options, loops) = (self.options, &mut self.loops);
        let s = match self.sessions.get_mut(session) {
            Some(s) => s,
            None => self.sessions.entry(session.to_string()).or_default(),
        };
        if let Some((p, at)) = s.pending.take() {
            commit(session, s, p, at, options, loops);
        }
        s.pending = Some((e, sequence));
        if self.sequence.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
    }

    /// `DETAIL: parameters: ...` of `session`'s last execution.
    pub fn parameters(&mut self, session: &str, detail: &str) {
        if let Some(s) = self.sessions.get_mut(session)
            && let Some((e, _)) = &mut s.pending
        {
            e.values = crate::log::hash(&(e.values, detail));
        }
    }

    /// Close every run: the log has ended. The loops found, in the order of their sessions' names and
    /// then as they began.
    pub fn finish(&mut self) -> Vec<Loop> {
        let (options, loops) = (self.options, &mut self.loops);
        for (name, s) in self.sessions.iter_mut() {
            if let Some((p, at)) = s.pending.take() {
                commit(name, s, p, at, options, loops);
            }
            for (query, run) in s.runs.drain() {
                close(name, query, run, options, loops);
            }
        }
        self.sessions.clear();
        let mut found = std::mem::take(&mut self.loops);
        found.sort_by(|a, b| (&a.session, a.sequence).cmp(&(&b.session, b.sequence)));
        found
    }

    /// Close runs that no execution can extend any more (the log has moved on past their gap) and forget
    /// sessions with nothing open and no execution within the parent window.
    fn sweep(&mut self) {
        let gap = self.options.gap_ms as f64 / 1000.0;
        let (options, loops, latest, now) =
            (self.options, &mut self.loops, self.latest_at, self.sequence);
        self.sessions.retain(|name, s| {
            let ended: Vec<usize> = s
                .runs
                .iter()
                .filter(|(_, r)| latest - r.last_at > gap)
                .map(|(q, _)| *q)
                .collect();
            for q in ended {
                if let Some(run) = s.runs.remove(&q) {
                    close(name, q, run, options, loops);
                }
            }
            !(s.runs.is_empty()
                && s.pending.is_none()
                && s.last.is_none_or(|(_, at)| at + PARENT_WINDOW < now))
        });
    }
}

/// Fold an execution into its session: its run (closing the one it is too late for), then the session's
/// last queries.
fn commit(
    name: &str,
    s: &mut Session,
    e: Execution,
    sequence: u64,
    options: LoopOptions,
    loops: &mut Vec<Loop>,
) {
    if let Some(at) = e.at {
        let gap = options.gap_ms as f64 / 1000.0;
        // The parent: the last other query this session ran, not too long ago.
        let parent = match s.last {
            Some((q, seq)) if q != e.query => Some((q, seq)),
            _ => s.before_last,
        }
        .filter(|(_, seq)| seq + PARENT_WINDOW >= sequence)
        .map(|(q, _)| q);
        let fresh = || Run {
            first: (e.span, e.line, e.column),
            sequence,
            count: 0,
            values: HashSet::new(),
            last_at: at,
            duration_ms: 0.0,
            parent,
        };
        let run = s.runs.entry(e.query).or_insert_with(fresh);
        if at - run.last_at > gap {
            let ended = std::mem::replace(run, fresh());
            close(name, e.query, ended, options, loops);
        }
        run.count += 1;
        if run.values.len() < VALUES_KEPT {
            run.values.insert(e.values);
        }
        run.last_at = at;
        run.duration_ms += e.duration_ms.unwrap_or(0.0);
    }
    match s.last {
        Some((q, _)) if q == e.query => s.last = Some((q, sequence)),
        _ => {
            s.before_last = s.last;
            s.last = Some((e.query, sequence));
        }
    }
}

/// A run that has ended is a loop when it is long enough, mostly ran with different values (a walk over
/// the parent's rows, not one row re-read) and came after another query (without one there are no rows
/// being walked: a polling loop, say).
fn close(name: &str, query: usize, run: Run, options: LoopOptions, loops: &mut Vec<Loop>) {
    let distinct = run.values.len();
    let mostly_different = distinct >= VALUES_KEPT || distinct * 2 > run.count;
    if run.count >= options.min.max(2)
        && mostly_different
        && let Some(parent) = run.parent
    {
        loops.push(Loop {
            query,
            parent,
            session: name.to_string(),
            count: run.count,
            duration_ms: run.duration_ms,
            first: run.first.0,
            line: run.first.1,
            column: run.first.2,
            sequence: run.sequence,
        });
    }
}
