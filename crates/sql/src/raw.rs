//! libpg_query's protobuf entry points (parse, summary), called directly.
//!
//! `pg_query::parse` wraps the same C function, then walks the whole tree once more to collect table,
//! function and filter-column summaries that nothing here uses (a tenth of the parse time on a long
//! migration history), and drops the parser's cursor position on a syntax error. This calls the C
//! function of the library `pg_query` links (its Cargo.lock version), decodes the tree with the crate's
//! own protobuf types, and keeps the cursor. A differential test holds the two paths to the same trees.

use std::ffi::{CStr, CString, c_char, c_int};

use pg_query::protobuf;
use prost::Message;

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

/// The summary call's result has the same layout (a protobuf, the stderr buffer, an error).
type PgQuerySummaryParseResult = PgQueryProtobufParseResult;

unsafe extern "C" {
    fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
    fn pg_query_summary(
        input: *const c_char,
        parser_options: c_int,
        truncate_limit: c_int,
    ) -> PgQuerySummaryParseResult;
    fn pg_query_free_summary_parse_result(result: PgQuerySummaryParseResult);
}

impl PgQueryProtobuf {
    /// The bytes libpg_query returned.
    ///
    /// # Safety
    /// The result this belongs to must not have been freed.
    unsafe fn bytes(&self) -> &[u8] {
        if self.data.is_null() {
            return &[];
        }
        // SAFETY: libpg_query returns `len` bytes at `data`, alive until the result is freed.
        unsafe { std::slice::from_raw_parts(self.data as *const u8, self.len) }
    }
}

/// A syntax error: the parser's message and the byte offset in the input it points at, when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: Option<usize>,
    /// The statement parses but dbarch does not read it — it nests deeper than [`MAX_DEPTH`], or its
    /// tree is larger than the caller allows: it is refused on its own, and the rest of the input is
    /// still judged.
    pub refused: bool,
}

/// How deeply a statement may nest: libpg_query hands over trees of at most 10,000 protobuf levels
/// (`PG_QUERY_PROTOBUF_MAX_DEPTH`; about 5,000 chained operators such as `1 + 1 + ...`, since each
/// adds two levels) and checks its own recursion against a 2 MB stack, PostgreSQL's default
/// `max_stack_depth`. A deeper statement is refused with [`TOO_DEEP`].
pub const MAX_DEPTH: usize = 10_000;

/// The message a statement deeper than [`MAX_DEPTH`] gets.
pub const TOO_DEEP: &str = "statement nests too deeply (more than 10,000 levels of parse tree, \
     about 5,000 chained operators, or past PostgreSQL's 2 MB max_stack_depth); skipped";

/// libpg_query's messages for a tree past its depth limit or its stack.
fn is_depth_error(message: &str) -> bool {
    message.contains("nested too deeply") || message.contains("stack depth limit exceeded")
}

/// How large (in protobuf bytes) the tree of a query analysed as a query may be. Decoded, each node of a
/// tree takes 608 bytes whatever its kind (the size of the crate's node type), about 100 times its
/// protobuf size: a 1 MB tree (a query of about 300 KB, such as a chain of 6,000 CTEs) takes 100 MB.
pub const MAX_QUERY_TREE: usize = 1 << 20;

/// Parse `sql` with libpg_query into its protobuf tree.
pub fn parse(sql: &str) -> Result<protobuf::ParseResult, ParseError> {
    parse_limited(sql, usize::MAX)
}

/// How many tokens a query analysed as a query may have (its long constant lists already cut): past it,
/// libpg_query's own tree and protobuf would take hundreds of MB before the size of the result could be
/// checked. 100,000 tokens are about 500 KB of SQL; each adds a node or two.
pub const MAX_QUERY_TOKENS: usize = 100_000;

/// [`parse`], refusing a tree of more than `max_tree` protobuf bytes before it is decoded, and (when
/// `max_tree` is [`MAX_QUERY_TREE`] or less) a text of more than [`MAX_QUERY_TOKENS`] before it is parsed.
pub fn parse_limited(sql: &str, max_tree: usize) -> Result<protobuf::ParseResult, ParseError> {
    // Fewer bytes than tokens allowed cannot hold too many tokens: only a long text is counted.
    if max_tree <= MAX_QUERY_TREE && sql.len() > MAX_QUERY_TOKENS {
        let tokens = crate::lex::tokens(sql).count();
        if tokens > MAX_QUERY_TOKENS {
            return Err(ParseError {
                message: format!(
                    "query too large to analyse ({tokens} tokens, more than {MAX_QUERY_TOKENS}); skipped"
                ),
                offset: Some(0),
                refused: true,
            });
        }
    }
    let input = CString::new(sql).map_err(|e| ParseError {
        message: "NUL byte in SQL text".into(),
        offset: Some(e.nul_position()),
        refused: false,
    })?;
    // SAFETY: `input` is a valid C string for the duration of the call; the result is freed exactly once
    // below, after its buffers have been copied out.
    let result = unsafe { pg_query_parse_protobuf(input.as_ptr()) };
    let out = if result.error.is_null() {
        // SAFETY: the result is freed below, after decoding.
        let data = unsafe { result.parse_tree.bytes() };
        if data.len() > max_tree {
            Err(ParseError {
                message: format!(
                    "query too large to analyse (its parse tree is {} MB, more than {} MB, and would \
                     take about {} MB decoded); skipped",
                    data.len().div_ceil(1 << 20),
                    max_tree >> 20,
                    (data.len() * 100) >> 20
                ),
                offset: Some(0),
                refused: true,
            })
        } else {
            protobuf::ParseResult::decode(data).map_err(|e| ParseError {
                message: format!("could not decode the parse tree: {e}"),
                offset: None,
                refused: false,
            })
        }
    } else {
        // SAFETY: a non-null error points at a PgQueryError whose message is a C string.
        let (message, cursor) = unsafe {
            let e = &*result.error;
            let message = if e.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            (message, e.cursorpos)
        };
        if is_depth_error(&message) {
            Err(ParseError {
                message: TOO_DEEP.to_string(),
                offset: Some(0),
                refused: true,
            })
        } else {
            Err(ParseError {
                message,
                offset: cursor_offset(sql, cursor),
                refused: false,
            })
        }
    };
    // SAFETY: the result came from pg_query_parse_protobuf and is not used after this.
    unsafe { pg_query_free_protobuf_parse_result(result) };
    out
}

/// The node of the first statement of `sql`, when it parses.
pub fn first_statement(sql: &str) -> Option<crate::NodeEnum> {
    parse(sql).ok()?.stmts.into_iter().next()?.stmt?.node
}

/// libpg_query's summary of `sql` (statement types, the relations it names and in which role), computed
/// in C without sending the tree; `None` when it does not parse (the full parse reports the error).
pub fn summary(sql: &str) -> Option<protobuf::SummaryResult> {
    let input = CString::new(sql).ok()?;
    // SAFETY: `input` outlives the call; the result is freed once, after its buffer has been decoded.
    let result = unsafe { pg_query_summary(input.as_ptr(), 0, -1) };
    let out = if result.error.is_null() {
        // SAFETY: the result is freed below, after decoding.
        protobuf::SummaryResult::decode(unsafe { result.parse_tree.bytes() }).ok()
    } else {
        None
    };
    // SAFETY: the result came from pg_query_summary and is not used after this.
    unsafe { pg_query_free_summary_parse_result(result) };
    out
}

/// The parser's cursor (1-based, in characters; 0 when it has none) as a byte offset into `sql`.
fn cursor_offset(sql: &str, cursor: c_int) -> Option<usize> {
    let chars = usize::try_from(cursor).ok()?.checked_sub(1)?;
    Some(
        sql.char_indices()
            .nth(chars)
            .map_or(sql.len(), |(offset, _)| offset),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct call and the crate's wrapper give the same trees.
    #[test]
    fn same_trees_as_the_crate() {
        for sql in [
            "SELECT 1",
            "CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x')",
            "CREATE VIEW v AS SELECT a.id, count(*) FROM a JOIN b ON a.id = b.a_id WHERE a.x IN (1, 2) GROUP BY 1",
            "ALTER TABLE t ADD COLUMN c int; CREATE INDEX CONCURRENTLY i ON t (c) WHERE c > 0",
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "UPDATE t SET c = 'é' WHERE id = 1",
        ] {
            let ours = parse(sql).unwrap();
            let theirs = pg_query::parse(sql, 0).unwrap().protobuf;
            assert_eq!(ours, theirs, "{sql}");
        }
    }

    #[test]
    fn syntax_error_has_the_cursor() {
        let e = parse("SELECT 1 FROM t WHER x = 1").unwrap_err();
        assert!(e.message.contains("syntax error"), "{}", e.message);
        assert_eq!(e.offset, Some(21), "points at `x`");
        // The cursor counts characters; the offset is in bytes.
        let e = parse("SELECT 'é', 'ü' FRM t").unwrap_err();
        assert_eq!(
            e.offset,
            Some("SELECT 'é', 'ü' FRM ".len()),
            "points at `t`"
        );
    }

    #[test]
    fn end_of_input_and_nul() {
        let e = parse("SELECT (1").unwrap_err();
        assert!(e.message.contains("end of input"), "{}", e.message);
        assert_eq!(e.offset, Some(9));
        assert_eq!(parse("SELECT 1\0").unwrap_err().offset, Some(8));
    }
}
