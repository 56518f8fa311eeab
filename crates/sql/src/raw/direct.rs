//! libpg_query's C parse tree read in the parser's memory, without protobuf: the generated readers
//! (`tree.rs`, from `scripts/gen-parse-tree`) and what they share — the nodes libpg_query writes by hand
//! (values, lists, `A_Const`), strings, bitmap sets, and the bounds that send a statement back to the
//! protobuf path.
//!
//! The protobuf path stays the reference: a statement this reader is not sure of (a node it does not
//! know, a string that is not UTF-8, a tree deeper than [`MAX_DIRECT_DEPTH`] or whose protobuf would
//! be larger than the caller allows) is read again through protobuf, which gives the exact tree or the
//! exact refusal.

use std::ffi::{CStr, c_char, c_int};

use pg_query::protobuf as pb;

use super::tree::{self, *};

/// The direct read gave up on a statement; the protobuf path reads it.
pub(super) struct Bail;
pub(super) type R<T> = Result<T, Bail>;

/// Deeper than this many nodes, the protobuf path reads the statement: it applies libpg_query's own
/// depth limit exactly (10,000 protobuf levels, two per expression level).
const MAX_DIRECT_DEPTH: usize = 2_000;

/// The state of one tree's read: how deep it is, and an upper bound of its protobuf size so far.
pub(super) struct Cx {
    depth: usize,
    bytes: usize,
    max_bytes: usize,
}

impl Cx {
    /// Entering a message whose own protobuf size (strings and submessages aside) is at most `bound`.
    #[inline]
    pub(super) fn enter(&mut self, bound: usize) -> R<()> {
        self.depth += 1;
        self.bytes += bound;
        if self.depth > MAX_DIRECT_DEPTH || self.bytes > self.max_bytes {
            return Err(Bail);
        }
        Ok(())
    }

    #[inline]
    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }
}

/// The value of type `T` at byte `off` of the C struct at `p`.
///
/// # Safety
/// `p + off` must hold a `T` of the live parse tree.
#[inline(always)]
pub(super) unsafe fn rd<T: Copy>(p: *const u8, off: usize) -> T {
    // SAFETY: the caller's promise; the generated offsets are the C compiler's (`offsetof`).
    unsafe { std::ptr::read_unaligned(p.add(off).cast::<T>()) }
}

/// A `char *` field: empty when NULL (protobuf leaves it unset), else its text.
///
/// # Safety
/// `s` is NULL or a NUL-terminated string of the live parse tree.
pub(super) unsafe fn string_field(cx: &mut Cx, s: *const u8) -> R<String> {
    if s.is_null() {
        return Ok(String::new());
    }
    // SAFETY: the caller's promise.
    let bytes = unsafe { CStr::from_ptr(s.cast::<c_char>()) }.to_bytes();
    cx.bytes += bytes.len() + 8;
    if cx.bytes > cx.max_bytes {
        return Err(Bail);
    }
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|_| Bail)
}

/// A `char` field: empty when 0, else the one character.
pub(super) fn char_field(c: u8) -> R<String> {
    match c {
        0 => Ok(String::new()),
        c if c.is_ascii() => Ok(char::from(c).to_string()),
        _ => Err(Bail),
    }
}

/// A `Node *` field: `None` when NULL.
///
/// # Safety
/// `p` is NULL or a node of the live parse tree.
pub(super) unsafe fn node_ptr(cx: &mut Cx, p: *const u8) -> R<Option<pb::Node>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's promise.
    unsafe { node(cx, p) }.map(Some)
}

/// A node, as the protobuf `Node` message wraps it (an empty one for NULL, as libpg_query writes it).
///
/// # Safety
/// `p` is NULL or a node of the live parse tree.
pub(super) unsafe fn node(cx: &mut Cx, p: *const u8) -> R<pb::Node> {
    if p.is_null() {
        return Ok(pb::Node { node: None });
    }
    // SAFETY: every node starts with its NodeTag.
    let tag = unsafe { rd::<u32>(p, 0) };
    // SAFETY: the caller's promise; the tag says which struct it is.
    Ok(pb::Node {
        node: Some(unsafe { tree::node_enum(cx, p, tag) }?),
    })
}

/// A `List *` field of nodes: empty when NIL.
///
/// # Safety
/// `l` is NIL or a `List` of the live parse tree.
pub(super) unsafe fn list_field(cx: &mut Cx, l: *const u8) -> R<Vec<pb::Node>> {
    if l.is_null() {
        return Ok(Vec::new());
    }
    // SAFETY: the caller's promise.
    let cells = unsafe { cells(l) }?;
    let mut items = Vec::with_capacity(cells.len());
    for &item in cells {
        // SAFETY: each cell of a node list is NULL or a node.
        items.push(unsafe { node(cx, item) }?);
    }
    Ok(items)
}

/// The cells of a non-NIL `List` of pointers.
///
/// # Safety
/// `l` is a `List` of the live parse tree.
unsafe fn cells<'a>(l: *const u8) -> R<&'a [*const u8]> {
    // SAFETY: the caller's promise: a List's tag, its length, and its cells, each a pointer.
    unsafe {
        if rd::<u32>(l, 0) != T_LIST {
            return Err(Bail);
        }
        let len = usize::try_from(rd::<c_int>(l, LIST_LENGTH)).map_err(|_| Bail)?;
        Ok(std::slice::from_raw_parts(
            rd::<*const *const u8>(l, LIST_ELEMENTS),
            len,
        ))
    }
}

/// A `Bitmapset *` field: its members in order.
///
/// # Safety
/// `b` is NULL or a `Bitmapset` of the live parse tree.
pub(super) unsafe fn bitmapset(b: *const u8) -> R<Vec<u64>> {
    if b.is_null() {
        return Ok(Vec::new());
    }
    if BITMAPWORD_BYTES != 8 {
        return Err(Bail);
    }
    // SAFETY: the caller's promise.
    let words = usize::try_from(unsafe { rd::<c_int>(b, BITMAPSET_NWORDS) }).map_err(|_| Bail)?;
    let mut members = Vec::new();
    for w in 0..words {
        // SAFETY: the set holds `words` words.
        let mut word = unsafe { rd::<u64>(b, BITMAPSET_WORDS + 8 * w) };
        while word != 0 {
            members.push((w * 64) as u64 + u64::from(word.trailing_zeros()));
            word &= word - 1;
        }
    }
    Ok(members)
}

/// # Safety
/// `p` is an `Integer` of the live parse tree.
pub(super) unsafe fn integer(cx: &mut Cx, p: *const u8) -> R<pb::Integer> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let ival = unsafe { rd::<c_int>(p, INTEGER_IVAL) };
    cx.leave();
    Ok(pb::Integer { ival })
}

/// # Safety
/// `p` is a `Float` of the live parse tree.
pub(super) unsafe fn float(cx: &mut Cx, p: *const u8) -> R<pb::Float> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let fval = unsafe { string_field(cx, rd::<*const u8>(p, FLOAT_FVAL)) }?;
    cx.leave();
    Ok(pb::Float { fval })
}

/// # Safety
/// `p` is a `Boolean` of the live parse tree.
pub(super) unsafe fn boolean(cx: &mut Cx, p: *const u8) -> R<pb::Boolean> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let boolval = unsafe { rd::<u8>(p, BOOLEAN_BOOLVAL) } != 0;
    cx.leave();
    Ok(pb::Boolean { boolval })
}

/// # Safety
/// `p` is a `String` of the live parse tree.
pub(super) unsafe fn string(cx: &mut Cx, p: *const u8) -> R<pb::String> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let sval = unsafe { string_field(cx, rd::<*const u8>(p, STRING_SVAL)) }?;
    cx.leave();
    Ok(pb::String { sval })
}

/// # Safety
/// `p` is a `BitString` of the live parse tree.
pub(super) unsafe fn bit_string(cx: &mut Cx, p: *const u8) -> R<pb::BitString> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let bsval = unsafe { string_field(cx, rd::<*const u8>(p, BIT_STRING_BSVAL)) }?;
    cx.leave();
    Ok(pb::BitString { bsval })
}

/// A `List` node (a list inside a list, as in `VALUES (1, 2)` or a multi-part name in a list).
///
/// # Safety
/// `p` is a `List` of the live parse tree.
pub(super) unsafe fn list(cx: &mut Cx, p: *const u8) -> R<pb::List> {
    cx.enter(16)?;
    // SAFETY: the caller's promise.
    let items = unsafe { list_field(cx, p) }?;
    cx.leave();
    Ok(pb::List { items })
}

/// A constant: NULL, or one of the five value nodes held inline.
///
/// # Safety
/// `p` is an `A_Const` of the live parse tree.
pub(super) unsafe fn a_const(cx: &mut Cx, p: *const u8) -> R<pb::AConst> {
    use pb::a_const::Val;
    cx.enter(40)?;
    // SAFETY: the caller's promise; the value is a node held inline at A_CONST_VAL.
    let (isnull, location, v) = unsafe {
        (
            rd::<u8>(p, A_CONST_ISNULL) != 0,
            rd::<c_int>(p, A_CONST_LOCATION),
            p.add(A_CONST_VAL),
        )
    };
    let val = if isnull {
        None
    } else {
        // SAFETY: a non-null constant's value node is set, and its tag says which it is.
        Some(unsafe {
            match rd::<u32>(v, 0) {
                T_INTEGER => Val::Ival(integer(cx, v)?),
                T_FLOAT => Val::Fval(float(cx, v)?),
                T_BOOLEAN => Val::Boolval(boolean(cx, v)?),
                T_STRING => Val::Sval(string(cx, v)?),
                T_BIT_STRING => Val::Bsval(bit_string(cx, v)?),
                _ => return Err(Bail),
            }
        })
    };
    cx.leave();
    Ok(pb::AConst {
        isnull,
        location,
        val,
    })
}

#[repr(C)]
struct InternalParse {
    tree: *const u8,
    stderr_buffer: *mut c_char,
    error: *mut super::PgQueryError,
}

unsafe extern "C" {
    fn pg_query_enter_memory_context() -> *mut std::ffi::c_void;
    fn pg_query_exit_memory_context(ctx: *mut std::ffi::c_void);
    fn pg_query_raw_parse(input: *const c_char, parser_options: c_int) -> InternalParse;
}

/// What the direct read of one text gave.
pub(super) enum Direct {
    /// The tree, as the protobuf path would have decoded it.
    Tree(pb::ParseResult),
    /// A syntax error: the parser's message and cursor (1-based characters; 0 for none).
    Error(String, c_int),
    /// The protobuf path must read it.
    Bail,
}

/// Parse `input` and read its tree directly, refusing (with [`Direct::Bail`]) a tree whose protobuf
/// might be larger than `max_bytes`.
pub(super) fn parse(input: &CStr, max_bytes: usize) -> Direct {
    // SAFETY: the memory context is entered and left around the parse and the read of its tree, which
    // lives in that context; the error and stderr buffers are malloc'd and freed once below, by the
    // function libpg_query provides for them.
    unsafe {
        let ctx = pg_query_enter_memory_context();
        let parsed = pg_query_raw_parse(input.as_ptr(), 0);
        let out = if parsed.error.is_null() {
            let mut cx = Cx {
                depth: 0,
                bytes: 0,
                max_bytes,
            };
            match statements(&mut cx, parsed.tree) {
                Ok(stmts) => Direct::Tree(pb::ParseResult {
                    version: PG_VERSION_NUM,
                    stmts,
                }),
                Err(Bail) => Direct::Bail,
            }
        } else {
            let e = &*parsed.error;
            let message = if e.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            Direct::Error(message, e.cursorpos)
        };
        pg_query_exit_memory_context(ctx);
        super::pg_query_free_protobuf_parse_result(super::PgQueryProtobufParseResult {
            parse_tree: super::PgQueryProtobuf {
                len: 0,
                data: std::ptr::null_mut(),
            },
            stderr_buffer: parsed.stderr_buffer,
            error: parsed.error,
        });
        out
    }
}

/// The statements of a parse: a list of `RawStmt`s (NIL for an empty text).
///
/// # Safety
/// `l` is the tree libpg_query's raw parse returned, alive.
unsafe fn statements(cx: &mut Cx, l: *const u8) -> R<Vec<pb::RawStmt>> {
    if l.is_null() {
        return Ok(Vec::new());
    }
    // SAFETY: the caller's promise: a List of RawStmt.
    unsafe {
        let mut out = vec![];
        for &stmt in cells(l)? {
            if stmt.is_null() || rd::<u32>(stmt, 0) != T_RAW_STMT {
                return Err(Bail);
            }
            out.push(tree::raw_stmt(cx, stmt)?);
        }
        Ok(out)
    }
}
