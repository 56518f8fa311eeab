//! libpg_query's parse and summary entry points, called directly.
//!
//! `pg_query::parse` wraps libpg_query's protobuf parse, then walks the whole tree once more to collect
//! table, function and filter-column summaries that nothing here uses, and drops the parser's cursor
//! position on a syntax error. Here the parse tree is read straight from the parser's memory into the
//! crate's protobuf types (`direct`, with the readers `tree.rs` that `scripts/gen-parse-tree` generates
//! from libpg_query's own protobuf output definitions), skipping the protobuf encoding and decoding that
//! took two thirds of a parse; a statement the direct read is unsure of goes through protobuf as before.
//! Differential tests hold the two paths, and the crate's wrapper, to the same trees.

use std::ffi::{CStr, CString, c_char, c_int};

use pg_query::protobuf;
use prost::Message;

// The C tree read directly (64-bit Unix layouts, which the generated offsets are); elsewhere, and for
// any statement the direct read is unsure of, the protobuf path.
#[cfg(all(unix, target_pointer_width = "64"))]
mod direct;
#[cfg(all(unix, target_pointer_width = "64"))]
mod tree;

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
    #[cfg(all(unix, target_pointer_width = "64"))]
    match direct::parse(&input, max_tree) {
        direct::Direct::Tree(tree) => return Ok(tree),
        direct::Direct::Error(message, cursor) => return Err(syntax_error(sql, message, cursor)),
        direct::Direct::Bail => {}
    }
    via_protobuf(sql, &input, max_tree)
}

/// [`parse_limited`] through libpg_query's protobuf output: exact on every tree, and the reference the
/// direct read is tested against.
fn via_protobuf(
    sql: &str,
    input: &CStr,
    max_tree: usize,
) -> Result<protobuf::ParseResult, ParseError> {
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
        Err(syntax_error(sql, message, cursor))
    };
    // SAFETY: the result came from pg_query_parse_protobuf and is not used after this.
    unsafe { pg_query_free_protobuf_parse_result(result) };
    out
}

/// libpg_query's error for `sql`: a statement past its depth limit or its stack is refused on its own
/// ([`TOO_DEEP`]); any other is a syntax error at the parser's cursor.
fn syntax_error(sql: &str, message: String, cursor: c_int) -> ParseError {
    if is_depth_error(&message) {
        ParseError {
            message: TOO_DEEP.to_string(),
            offset: Some(0),
            refused: true,
        }
    } else {
        ParseError {
            message,
            offset: cursor_offset(sql, cursor),
            refused: false,
        }
    }
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

    /// The direct read of the C tree against the protobuf path, on every SQL file of the repository
    /// and of the real histories in ../shared/corpus (when present) and on statements chosen for the
    /// node kinds libpg_query writes by hand: equal trees and equal errors, and the direct read taken
    /// for nearly all of them (a test the fallback alone would pass is no test).
    #[cfg(all(unix, target_pointer_width = "64"))]
    #[test]
    fn the_direct_read_gives_the_protobuf_trees() {
        // The deep statements need the stack the binary gives its threads.
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(direct_and_protobuf_agree)
            .unwrap()
            .join()
            .unwrap();
    }

    #[cfg(all(unix, target_pointer_width = "64"))]
    fn direct_and_protobuf_agree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = vec![];
        let mut stack = vec![root.clone(), root.join("../shared/corpus")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        stack.push(path);
                    }
                } else if name.ends_with(".sql") && e.metadata().is_ok_and(|m| m.len() < 4 << 20) {
                    files.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        assert!(files.len() > 300, "only {} SQL files found", files.len());
        for sql in [
            "SELECT 1, 1.5, -2, true, NULL, B'1010', X'1F', 'text', $1, 1e10, 9999999999999999999",
            "SELECT a[1:2], (b).c, d::int[], ROW(1, 2), ARRAY[[1], [2]], e COLLATE \"C\" FROM t",
            "SELECT CASE WHEN a THEN 1 ELSE 2 END, COALESCE(a, b), NULLIF(a, b), GREATEST(1, 2)",
            "SELECT * FROM a NATURAL JOIN b, LATERAL f(a.x) WITH ORDINALITY AS g(y, n) TABLESAMPLE SYSTEM (1)",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FILTER (WHERE n > 1) OVER w FROM r WINDOW w AS (ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
            "SELECT json_object('a': 1), JSON_ARRAYAGG(x ORDER BY x), x IS JSON OBJECT, JSON_VALUE(j, '$.a' RETURNING int) FROM t",
            "SELECT * FROM JSON_TABLE(j, '$[*]' COLUMNS (a int PATH '$.a', NESTED PATH '$.b[*]' COLUMNS (b text)))",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v) RETURNING merge_action()",
            "CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY (START 10), b text COMPRESSION lz4 CHECK (b <> '') NO INHERIT, c int REFERENCES u ON DELETE SET NULL (c) DEFERRABLE, EXCLUDE USING gist (a WITH =) WHERE (a > 0), PRIMARY KEY (a) INCLUDE (b)) PARTITION BY RANGE (a)",
            "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint, ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id) MATCH FULL ON UPDATE CASCADE NOT VALID, ALTER CONSTRAINT c NOT DEFERRABLE",
            "CREATE POLICY p ON t AS RESTRICTIVE FOR UPDATE TO app USING (org = current_setting('app.org')::int) WITH CHECK (true)",
            "GRANT SELECT (a, b), UPDATE ON t TO r WITH GRANT OPTION; REVOKE ALL ON SCHEMA s FROM PUBLIC CASCADE",
            "CREATE FUNCTION f(a int DEFAULT 1, OUT b text, VARIADIC c int[]) RETURNS SETOF record LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10 ROWS 5 SET search_path = '' AS 'SELECT 1'",
            "CREATE TRIGGER tr BEFORE UPDATE OF a ON t REFERENCING NEW TABLE AS n FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) EXECUTE FUNCTION f()",
            "DO $$ BEGIN RAISE NOTICE 'x'; END $$; COPY t (a) FROM STDIN WITH (FORMAT csv, HEADER true); VACUUM (ANALYZE, VERBOSE) t; LISTEN c; NOTIFY c, 'p'",
            "SELECT 'é' AS \"naïve\", U&'\\0041', E'\\n', $tag$ body $tag$, x NOT BETWEEN SYMMETRIC 1 AND 2, y ILIKE 'a%' ESCAPE '!', z SIMILAR TO 'b', w IS NOT TRUE",
            "SELECT * FROM t FOR UPDATE OF t SKIP LOCKED; SELECT DISTINCT ON (a) a FROM t ORDER BY a USING <, b DESC NULLS LAST LIMIT 1 OFFSET 2; SELECT 1 FETCH FIRST 1 ROW WITH TIES",
            "CREATE TYPE e AS ENUM ('a', 'b'); ALTER TYPE e ADD VALUE IF NOT EXISTS 'c' BEFORE 'b'; CREATE TYPE r AS RANGE (subtype = int4); CREATE DOMAIN d AS int CHECK (VALUE > 0)",
            "PREPARE q (int) AS SELECT $1; EXECUTE q (1); DECLARE c CURSOR WITH HOLD FOR SELECT 1; FETCH FORWARD 5 FROM c; FETCH ALL FROM c",
            "SELECT 1 +",
            "SELECT 'unterminated",
            "CREATE TABLE (",
            "",
        ] {
            files.push(sql.to_string());
        }
        let deep = format!("SELECT {}1{}", "(".repeat(3000), ")".repeat(3000));
        files.push(deep);
        files.push(format!("SELECT 1{}", " + 1".repeat(6000)));
        let mut bails = 0;
        for sql in &files {
            let input = CString::new(sql.as_str()).unwrap_or_default();
            for max_tree in [usize::MAX, 2_000] {
                let theirs = via_protobuf(sql, &input, max_tree);
                let ours = match direct::parse(&input, max_tree) {
                    direct::Direct::Tree(t) => Ok(t),
                    direct::Direct::Error(message, cursor) => {
                        Err(syntax_error(sql, message, cursor))
                    }
                    direct::Direct::Bail => {
                        // A small limit sends a large tree to the protobuf path: that is its job.
                        bails += usize::from(max_tree == usize::MAX);
                        continue;
                    }
                };
                assert!(ours == theirs, "the direct read differs on:\n{sql}");
            }
        }
        assert!(
            bails * 100 < files.len(),
            "the direct read gave up on {bails} of {} texts",
            files.len()
        );
    }

    /// tree.rs is what scripts/gen-parse-tree writes for the pg_query in Cargo.lock (its offsets are the
    /// C compiler's for that version's headers).
    #[cfg(all(unix, target_pointer_width = "64"))]
    #[test]
    fn the_generated_tree_reader_is_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = std::process::Command::new("python3")
            .arg(root.join("scripts/gen-parse-tree"))
            .arg("--check")
            .output()
            .expect("python3 and a C compiler are needed to check crates/sql/src/raw/tree.rs");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
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
