//! The PostgreSQL front end: a file becomes statements parsed by libpg_query, each with its span.

use std::sync::Arc;

use pg_query::protobuf::node::Node as NodeEnum;
use rayon::prelude::*;

use crate::outline::{self, Outline};
use crate::raw;
use crate::source::{SourceFile, Span};
use crate::split::{self, SkippedKind};
use crate::suppress::{self, Suppression};

/// One parsed statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub span: Span,
    /// The statement's text as the parser saw it (meta-commands blanked); node locations are relative to it.
    pub sql: String,
    pub node: NodeEnum,
    /// Set when the statement was read as an outline ([`ParseOptions::view_outlines`]): the node is a
    /// ViewStmt without its query, and this says what the query reads.
    pub outline: Option<Outline>,
}

impl Statement {
    /// A span inside this statement from a parser location (byte offset in [`Statement::sql`]).
    pub fn span_at(&self, location: i32, len: usize) -> Span {
        if location < 0 {
            return self.span;
        }
        let start = (self.span.start + location as usize).min(self.span.end);
        Span::new(self.span.file, start, (start + len).min(self.span.end))
    }

    /// A span covering the identifier that starts at `location` (quoted or not).
    pub fn ident_span_at(&self, location: i32) -> Span {
        if location < 0 || location as usize >= self.sql.len() {
            return self.span;
        }
        let rest = &self.sql.as_bytes()[location as usize..];
        let len = if rest.first() == Some(&b'"') {
            rest[1..]
                .iter()
                .position(|&c| c == b'"')
                .map_or(1, |p| p + 2)
        } else {
            rest.iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80))
                .unwrap_or(rest.len())
        };
        self.span_at(location, len.max(1))
    }

    /// A short label for the kind of statement, e.g. `CreateStmt`.
    pub fn kind(&self) -> &'static str {
        node_kind(&self.node)
    }
}

/// Something the front end skipped or could not model, to show with `--verbose`.
#[derive(Debug, Clone)]
pub struct Note {
    pub span: Span,
    pub message: String,
}

/// A parsed file.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub file: Arc<SourceFile>,
    pub statements: Vec<Statement>,
    /// How many statements the file has (also when they were not kept).
    pub statement_count: usize,
    pub suppressions: Vec<Suppression>,
    pub notes: Vec<Note>,
    /// Statements refused on their own (nested past [`crate::raw::MAX_DEPTH`]): the rest of the file was
    /// still parsed. They are also recorded for [`take_refused`].
    pub refused: Vec<SyntaxError>,
}

impl ParsedFile {
    /// The same file without its parse trees (for the schema rules, which read the catalog only).
    pub fn without_statements(&self) -> ParsedFile {
        ParsedFile {
            file: self.file.clone(),
            statements: Vec::new(),
            statement_count: self.statement_count,
            suppressions: self.suppressions.clone(),
            notes: self.notes.clone(),
            refused: self.refused.clone(),
        }
    }
}

/// A syntax error at a position in a file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct SyntaxError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// How much of each statement becomes a tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Read plain `CREATE [OR REPLACE] VIEW` statements as outlines: the whole statement is checked by
    /// the parser, but the node has no query and [`Statement::outline`] lists the relations the query
    /// reads. For analyses that need a view's name and dependencies only (the catalog, the migration
    /// rules); the queries of views are most of the parse cost of a long history.
    pub view_outlines: bool,
    /// Cut long lists of constants short before parsing ([`crate::shorten`]): for analyses of queries,
    /// which read a list's shape, not each of a million values.
    pub shorten_lists: bool,
}

impl ParseOptions {
    /// Every statement as a whole tree.
    pub const FULL: ParseOptions = ParseOptions {
        view_outlines: false,
        shorten_lists: false,
    };
    /// What the schema model needs: views as outlines.
    pub const SCHEMA: ParseOptions = ParseOptions {
        view_outlines: true,
        shorten_lists: false,
    };
    /// What a workload's analysis needs: whole trees, long constant lists cut short.
    pub const WORKLOAD: ParseOptions = ParseOptions {
        view_outlines: false,
        shorten_lists: true,
    };
}

/// Parse a whole file statement by statement, keeping every statement as a whole tree.
pub fn parse_file(file: &Arc<SourceFile>) -> Result<ParsedFile, SyntaxError> {
    parse_file_opts(file, ParseOptions::FULL)
}

/// [`parse_file`] with options.
pub fn parse_file_opts(
    file: &Arc<SourceFile>,
    options: ParseOptions,
) -> Result<ParsedFile, SyntaxError> {
    let mut statements = Vec::new();
    let mut parsed = parse_file_with(file, options, |s| statements.push(s))?;
    parsed.statements = statements;
    Ok(parsed)
}

/// Parse a file statement by statement, handing each statement to `each` as soon as it is parsed, so a
/// caller that does not keep them never holds more than one parse tree. The returned file has no
/// statements; [`ParsedFile::statement_count`] says how many there were.
pub fn parse_file_with(
    file: &Arc<SourceFile>,
    options: ParseOptions,
    mut each: impl FnMut(Statement),
) -> Result<ParsedFile, SyntaxError> {
    let text = file.text.as_str();
    let err_at = |offset: usize, message: String| {
        let lc = file.line_col(offset);
        SyntaxError {
            path: file.path.display().to_string(),
            line: lc.line,
            column: lc.column,
            message,
        }
    };
    if text.contains('\0') {
        let at = text.find('\0').unwrap_or(0);
        return Err(err_at(
            at,
            "NUL byte in SQL text (is this a binary file?)".into(),
        ));
    }
    let split = split::split(text);
    if let Some((at, what)) = split.unterminated {
        return Err(err_at(at, format!("unterminated {what}")));
    }
    let masked = split.masked_text(text);
    let body = masked.as_deref().unwrap_or(text);
    let mut notes: Vec<Note> = split
        .skipped
        .iter()
        .map(|s| Note {
            span: Span::new(file.id, s.start, s.end),
            message: match s.what {
                SkippedKind::MetaCommand => format!(
                    "skipped psql meta-command `{}`",
                    text[s.start..s.end].trim()
                ),
                SkippedKind::CopyData => "skipped COPY data block".to_string(),
            },
        })
        .collect();

    let mut count = 0;
    let mut failure = None;
    let mut refused = vec![];
    let mut hand_on = |parsed: Vec<Result<Vec<Statement>, PieceError>>| -> bool {
        for piece in parsed {
            match piece {
                Err(e) if e.refused => refused.push(err_at(e.at, e.message)),
                Err(e) => {
                    failure = Some(e);
                    return false;
                }
                Ok(stmts) => {
                    for stmt in stmts {
                        if let NodeEnum::CopyStmt(_) = &stmt.node {
                            notes.push(Note {
                                span: stmt.span,
                                message: "COPY statement: data load, not modelled".into(),
                            });
                        }
                        count += 1;
                        each(stmt);
                    }
                }
            }
        }
        true
    };
    let pieces = &split.statements;
    if pieces.len() <= SMALL_FILE {
        // A small file is parsed on this thread: a thread of its own would cost more than it saves, and
        // callers parse many small files in parallel themselves.
        hand_on(
            pieces
                .iter()
                .map(|raw| parse_piece(file, body, raw.start, raw.end, options))
                .collect(),
        );
    } else if rayon::current_thread_index().is_some() {
        // Called from a parallel task: a producer thread would wait on the pool this thread belongs to, so
        // the chunks are parsed (in parallel) and handed on in turn here.
        for chunk in pieces.chunks(PARSE_CHUNK) {
            let parsed = chunk
                .par_iter()
                .map(|raw| parse_piece(file, body, raw.start, raw.end, options))
                .collect();
            if !hand_on(parsed) {
                break;
            }
        }
    } else {
        // Pieces are parsed in parallel, a chunk at a time, on a producer thread, while this thread hands
        // the previous chunk on in file order.
        std::thread::scope(|scope| {
            let (tx, rx) =
                std::sync::mpsc::sync_channel::<Vec<Result<Vec<Statement>, PieceError>>>(1);
            scope.spawn(move || {
                for chunk in pieces.chunks(PARSE_CHUNK) {
                    let parsed = chunk
                        .par_iter()
                        .map(|raw| parse_piece(file, body, raw.start, raw.end, options))
                        .collect();
                    if tx.send(parsed).is_err() {
                        break;
                    }
                }
            });
            for parsed in rx {
                if !hand_on(parsed) {
                    break;
                }
            }
        });
    }
    if let Some(e) = failure {
        return Err(err_at(e.at, e.message));
    }
    record_refused(&refused);
    let suppressions = suppress::collect(file, &split.comments, &split.statements);
    Ok(ParsedFile {
        file: file.clone(),
        statements: Vec::new(),
        statement_count: count,
        suppressions,
        notes,
        refused,
    })
}

/// Every statement refused on its own since the last call, in the order files were parsed: whichever
/// command parsed them, the binary reports them and exits 2 (a refused statement is never a silent
/// success), while the rest of the input is judged as usual.
pub fn take_refused() -> Vec<SyntaxError> {
    REFUSED
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default()
}

static REFUSED: std::sync::Mutex<Vec<SyntaxError>> = std::sync::Mutex::new(Vec::new());

fn record_refused(refused: &[SyntaxError]) {
    if !refused.is_empty()
        && let Ok(mut r) = REFUSED.lock()
    {
        r.extend(refused.iter().cloned());
    }
}

/// Why a piece of a file did not parse: at an absolute offset; `refused` when it parses but is not read
/// (too deep, or a query too large).
struct PieceError {
    at: usize,
    message: String,
    refused: bool,
}

/// How many statements are parsed in parallel before they are handed on (bounds the trees in memory).
const PARSE_CHUNK: usize = 256;

/// Files with at most this many statements are parsed on the calling thread.
const SMALL_FILE: usize = 64;

/// Parse one piece of the file (`body[start..end]`); an error is (absolute offset, message).
fn parse_piece(
    file: &SourceFile,
    body: &str,
    start: usize,
    end: usize,
    options: ParseOptions,
) -> Result<Vec<Statement>, PieceError> {
    // The statement starts at its first token: libpg_query 18 places a statement after the comments
    // before it, and node locations must count from where the text handed to it starts.
    let first = crate::lex::tokens(&body[start..end]).next();
    let start = start + first.as_ref().map_or(0, |t| t.start);
    let word = |k: &str| {
        first
            .as_ref()
            .is_some_and(|t| t.text.eq_ignore_ascii_case(k))
    };
    let sql = &body[start..end];
    if sql.trim().is_empty() {
        return Ok(vec![]);
    }
    // The schema model's outlines: a plain view (what it reads), a long INSERT (the table it writes).
    if options.view_outlines {
        let outlined = outline::view(sql)
            .map(|(node, location, outline)| (node, location, Some(outline)))
            .or_else(|| {
                word("insert")
                    .then(|| outline::insert(sql))
                    .flatten()
                    .map(|(node, location)| (node, location, None))
            });
        if let Some((node, location, outline)) = outlined {
            let (span, stmt_sql) = statement_span(file, body, start, sql, location, 0);
            return Ok(vec![Statement {
                span,
                sql: stmt_sql,
                node,
                outline,
            }]);
        }
    }
    // Queries are cut short for analyses of queries, and in the schema model too (it does not read
    // them); DDL is parsed as written (a CHECK's list is part of the schema).
    let query = [
        "select", "with", "values", "table", "update", "delete", "merge",
    ]
    .iter()
    .any(|k| word(k));
    let shortened = if options.shorten_lists || (options.view_outlines && query) {
        crate::shorten::shorten(sql)
    } else {
        None
    };
    // A query analysed as a query is refused when its tree would be huge; DDL is always read (the schema
    // needs it).
    let max_tree = if (options.shorten_lists || options.view_outlines) && (query || word("insert"))
    {
        raw::MAX_QUERY_TREE
    } else {
        usize::MAX
    };
    // The same length and offsets: locations in the tree hold for the text as written.
    let parsed =
        raw::parse_limited(shortened.as_deref().unwrap_or(sql), max_tree).map_err(|e| {
            let offset = match e.offset {
                Some(offset) => offset,
                None => locate_error(sql, &e.message),
            };
            PieceError {
                at: start + offset,
                message: e.message,
                refused: e.refused,
            }
        })?;
    let mut out = Vec::with_capacity(1);
    // A piece may hold several statements when the splitter was conservative; keep each.
    for raw_stmt in parsed.stmts {
        let Some(node) = raw_stmt.stmt.and_then(|n| n.node) else {
            continue;
        };
        let (span, stmt_sql) = statement_span(
            file,
            body,
            start,
            sql,
            raw_stmt.stmt_location,
            raw_stmt.stmt_len,
        );
        // Locations inside the node are relative to the piece; re-parse when they would be off.
        let node = if span.start == start {
            node
        } else {
            raw::first_statement(&stmt_sql).unwrap_or(node)
        };
        out.push(Statement {
            span,
            sql: stmt_sql,
            node,
            outline: None,
        });
    }
    Ok(out)
}

/// The span and text of a statement the parser found at `location` (length `len`, 0: to the end) in the
/// piece `sql`, which starts at `start` in `body`; surrounding whitespace excluded.
fn statement_span(
    file: &SourceFile,
    body: &str,
    start: usize,
    sql: &str,
    location: i32,
    len: i32,
) -> (Span, String) {
    let loc = (location.max(0) as usize).min(sql.len());
    let len = if len > 0 {
        len as usize
    } else {
        sql.len() - loc
    };
    let inner = &sql[loc..(loc + len).min(sql.len())];
    let lead = inner.len() - inner.trim_start().len();
    let s = start + loc + lead;
    let e = start + loc + inner.trim_end().len();
    (Span::new(file.id, s, e), body[s..e].to_string())
}

/// Find where in `sql` the parser failed when it gave no cursor position: the failing token is found by
/// parsing growing token prefixes: a prefix that ends before the error fails only "at end of input", one
/// that includes the bad token fails "at or near" it.
fn locate_error(sql: &str, message: &str) -> usize {
    let Ok(scan) = pg_query::scan(sql) else {
        return 0;
    };
    let tokens: Vec<(usize, usize)> = scan
        .tokens
        .iter()
        .filter(|t| !matches!(t.token, 275 | 276)) // SQL_COMMENT, C_COMMENT
        .map(|t| (t.start.max(0) as usize, t.end.max(0) as usize))
        .collect();
    if tokens.is_empty() || !message.contains("at or near") {
        return tokens.first().map_or(0, |t| t.0);
    }
    let fails_inside = |k: usize| -> bool {
        let end = tokens[k - 1].1.min(sql.len());
        let Some(prefix) = sql.get(..end) else {
            return true;
        };
        match raw::parse(prefix) {
            Ok(_) => false,
            Err(e) => !e.message.contains("at end of input"),
        }
    };
    // Smallest k in 1..=len such that the first k tokens already contain the error.
    let (mut lo, mut hi) = (1usize, tokens.len());
    if !fails_inside(hi) {
        return tokens[0].0;
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fails_inside(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    tokens[lo - 1].0
}

/// The protobuf variant name of a statement node.
pub fn node_kind(node: &NodeEnum) -> &'static str {
    macro_rules! kinds {
        ($($v:ident),* $(,)?) => {
            match node { $(NodeEnum::$v(_) => stringify!($v),)* _ => "Statement" }
        };
    }
    kinds!(
        CreateStmt,
        AlterTableStmt,
        DropStmt,
        IndexStmt,
        RenameStmt,
        ViewStmt,
        CreateTableAsStmt,
        CreateSeqStmt,
        AlterSeqStmt,
        CreateEnumStmt,
        AlterEnumStmt,
        CreateDomainStmt,
        CreatePolicyStmt,
        AlterPolicyStmt,
        CreateRoleStmt,
        AlterRoleStmt,
        GrantStmt,
        GrantRoleStmt,
        CreateTrigStmt,
        CreateFunctionStmt,
        CommentStmt,
        VariableSetStmt,
        CreateSchemaStmt,
        CreateExtensionStmt,
        AlterObjectSchemaStmt,
        AlterOwnerStmt,
        CompositeTypeStmt,
        TransactionStmt,
        SelectStmt,
        InsertStmt,
        UpdateStmt,
        DeleteStmt,
        CopyStmt,
        DoStmt,
        VacuumStmt,
        ClusterStmt,
        ReindexStmt,
        TruncateStmt,
        LockStmt,
        RefreshMatViewStmt,
        AlterDefaultPrivilegesStmt,
        RuleStmt,
        DefineStmt,
        CreateCastStmt,
        AlterFunctionStmt,
        AlterDomainStmt,
        AlterTypeStmt,
        ExplainStmt,
        CreateEventTrigStmt,
        CreatePublicationStmt,
        CreateStatsStmt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new(FileId(0), "t.sql", text.to_string()))
    }

    #[test]
    fn large_files_parse_inside_parallel_tasks() {
        // A large file parsed from a task of the thread pool (as migrations are) must not wait on the
        // pool it runs on; a deadlock shows as the timeout below.
        let big: String = (0..3 * PARSE_CHUNK)
            .map(|i| format!("create table t{i} (id int);\n"))
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let files: Vec<_> = (0..4).map(|_| file(&big)).collect();
            let counts: Vec<usize> = files
                .par_iter()
                .map(|f| parse_file(f).map(|p| p.statements.len()).unwrap_or(0))
                .collect();
            let _ = tx.send(counts);
        });
        let counts = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("parsing large files inside parallel tasks did not finish (deadlock)");
        assert_eq!(counts, vec![3 * PARSE_CHUNK; 4]);
    }

    #[test]
    fn statements_carry_their_spans() {
        let f = file("-- header\ncreate table a (id int);\n\n  create index on a (id);\n");
        let p = parse_file(&f).unwrap();
        assert_eq!(p.statements.len(), 2);
        assert_eq!(f.line_col(p.statements[1].span.start).line, 4);
        assert_eq!(f.line_col(p.statements[1].span.start).column, 3);
        assert_eq!(p.statements[0].kind(), "CreateStmt");
        assert_eq!(p.statements[1].sql, "create index on a (id)");
    }

    #[test]
    fn syntax_error_points_at_the_token() {
        let f =
            file("create table a (id int);\ncreate table b (\n  id int,\n  name text nto null\n);");
        let e = parse_file(&f).unwrap_err();
        assert_eq!((e.line, e.column), (4, 13), "{e}");
        assert!(e.message.contains("syntax error"), "{e}");
    }

    #[test]
    fn meta_commands_become_notes() {
        let f = file("\\set ON_ERROR_STOP on\nselect 1;\n");
        let p = parse_file(&f).unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.notes.len(), 1);
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let e = parse_file(&file("select 1;\nselect 'abc;\n")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
    }
}

/// An identifier of a statement as the server's scanner reads it, before it truncates long ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// Byte offsets in the statement's text, quotes included.
    pub start: usize,
    pub end: usize,
    /// Folded to lower case unless quoted; quotes removed and doubled quotes undoubled.
    pub name: String,
}

/// The identifiers of a statement's text (keywords are not identifiers), through libpg_query's scanner;
/// none when it cannot scan the text.
pub fn identifiers(sql: &str) -> Vec<Identifier> {
    let Ok(scan) = pg_query::scan(sql) else {
        return vec![];
    };
    scan.tokens
        .iter()
        .filter(|t| t.token == pg_query::protobuf::Token::Ident as i32)
        .filter_map(|t| {
            let (start, end) = (t.start.max(0) as usize, t.end.max(0) as usize);
            let raw = sql.get(start..end)?;
            let name = if raw.starts_with('"') {
                raw.trim_matches('"').replace("\"\"", "\"")
            } else {
                raw.to_lowercase()
            };
            Some(Identifier { start, end, name })
        })
        .collect()
}
