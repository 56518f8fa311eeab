//! Long lists of constants cut short before a query is parsed for analysis: `IN (1, 2, ..., 2000000)`,
//! `ARRAY[...]` and `VALUES (...), (...), ...` runs keep their first [`KEEP`] elements and the rest is
//! blanked with spaces (line breaks kept), so every offset and line of the text stays where it was.
//!
//! A query's analysis reads the shape of its lists, not every value, and libpg_query's fingerprint is the
//! same for a list of any length; but a parse tree costs about 600 bytes a constant, so a 16 MB IN list
//! would take gigabytes. Only lists whose every element is a plain constant (a number, a string, NULL,
//! TRUE, FALSE, a `$n` parameter) are cut; anything else is left as written.

/// How many elements of a long constant list are kept.
pub const KEEP: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Const,
    Comma,
    Open,
    Close,
    /// `VALUES`: a run of row groups may follow.
    Values,
    Other,
}

/// The tokens of `sql` that matter here, with their byte ranges; comments and whitespace skipped. Read
/// one at a time: a list of millions of constants is never held as tokens.
struct Tokens<'a> {
    sql: &'a str,
    at: usize,
}

impl Iterator for Tokens<'_> {
    type Item = (Tok, usize, usize);

    fn next(&mut self) -> Option<(Tok, usize, usize)> {
        let sql = self.sql;
        let b = sql.as_bytes();
        let mut i = self.at;
        let item = loop {
            if i >= b.len() {
                break None;
            }
            let c = b[i];
            let start = i;
            let tok = match c {
                _ if c.is_ascii_whitespace() => {
                    i += 1;
                    continue;
                }
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    i = b[i..]
                        .iter()
                        .position(|&x| x == b'\n')
                        .map_or(b.len(), |p| i + p);
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let mut depth = 0usize;
                    while i < b.len() {
                        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                            depth += 1;
                            i += 2;
                        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                    continue;
                }
                b'\'' => {
                    // A string: '' doubles a quote; an E'' string's backslash escapes the next byte.
                    let escapes = start > 0 && matches!(b[start - 1], b'e' | b'E');
                    i += 1;
                    while i < b.len() {
                        if escapes && b[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        if b[i] == b'\'' {
                            if b.get(i + 1) == Some(&b'\'') {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        i += 1;
                    }
                    i += 1;
                    Tok::Const
                }
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += 1;
                    }
                    i += 1;
                    Tok::Other
                }
                b'$' => {
                    // `$n` is a parameter; `$tag$...$tag$` a dollar-quoted string.
                    let mut j = i + 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    if j > i + 1 {
                        i = j;
                        Tok::Const
                    } else {
                        let mut k = i + 1;
                        while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_') {
                            k += 1;
                        }
                        if b.get(k) == Some(&b'$') {
                            let tag = &sql[i..=k];
                            i = sql[k + 1..]
                                .find(tag)
                                .map_or(b.len(), |p| k + 1 + p + tag.len());
                            Tok::Const
                        } else {
                            i += 1;
                            Tok::Other
                        }
                    }
                }
                b'0'..=b'9' | b'.' if c != b'.' || b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                    {
                        // An exponent's sign belongs to the number.
                        if matches!(b[i], b'e' | b'E') && matches!(b.get(i + 1), Some(b'+' | b'-'))
                        {
                            i += 1;
                        }
                        i += 1;
                    }
                    Tok::Const
                }
                b'(' | b'[' => {
                    i += 1;
                    Tok::Open
                }
                b')' | b']' => {
                    i += 1;
                    Tok::Close
                }
                b',' => {
                    i += 1;
                    Tok::Comma
                }
                _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric()
                            || b[i] == b'_'
                            || b[i] == b'$'
                            || b[i] >= 0x80)
                    {
                        i += 1;
                    }
                    let w = &sql[start..i];
                    if ["null", "true", "false"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k))
                    {
                        Tok::Const
                    } else if w.eq_ignore_ascii_case("values") {
                        Tok::Values
                    } else {
                        Tok::Other
                    }
                }
                _ => {
                    i += sql[i..].chars().next().map_or(1, char::len_utf8);
                    Tok::Other
                }
            };
            break Some((tok, start, i.min(b.len())));
        };
        self.at = i;
        item
    }
}

/// A group being read: where the elements kept end, whether all are constants, how many there are.
struct Group {
    elements: usize,
    constant: bool,
    /// The element has a token (`-` before a number makes it not plain, which is conservative).
    element_tokens: usize,
    cut_at: Option<usize>,
}

/// `sql` with its long constant lists cut to [`KEEP`] elements, or `None` when it has none.
pub fn shorten(sql: &str) -> Option<String> {
    let blanks = cuts(sql);
    if blanks.is_empty() {
        return None;
    }
    let mut out = sql.as_bytes().to_vec();
    for (from, to) in blanks {
        for b in &mut out[from..to.min(sql.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(out).ok()
}

/// [`shorten`] without keeping offsets: what was cut is left out (for the fingerprint, which ignores
/// where things are; a 16 MB list becomes a few KB to hand to libpg_query).
pub fn compact(sql: &str) -> Option<String> {
    let cut = cuts(sql);
    if cut.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len().min(1 << 16));
    let mut at = 0;
    for (from, to) in cut {
        // A list inside one already cut (the rows of a VALUES run) is gone with it.
        if from < at {
            at = at.max(to.min(sql.len()));
            continue;
        }
        out.push_str(sql.get(at..from)?);
        out.push(' ');
        at = to.min(sql.len());
    }
    out.push_str(sql.get(at..)?);
    Some(out)
}

/// The byte ranges to cut, in order: each long list's elements past the first [`KEEP`].
fn cuts(sql: &str) -> Vec<(usize, usize)> {
    // Cheap test first: a long list has at least KEEP commas.
    if sql.bytes().filter(|&c| c == b',').count() < KEEP {
        return vec![];
    }
    let mut toks = Tokens { sql, at: 0 }.peekable();
    let mut blanks: Vec<(usize, usize)> = vec![];
    let mut stack: Vec<Group> = vec![];
    // Runs of VALUES rows: (depth, rows, where the rows kept end, end of the last row).
    let mut run: Option<(usize, usize, Option<usize>, usize)> = None;
    let mut after_values = false;
    while let Some((tok, start, end)) = toks.next() {
        match tok {
            Tok::Open => {
                if let Some(g) = stack.last_mut() {
                    g.constant = false;
                    g.element_tokens += 1;
                }
                if after_values {
                    run = Some((stack.len(), 0, None, 0));
                }
                stack.push(Group {
                    elements: 0,
                    constant: true,
                    element_tokens: 0,
                    cut_at: None,
                });
            }
            Tok::Close => {
                let Some(mut g) = stack.pop() else {
                    continue;
                };
                if g.element_tokens > 0 {
                    g.elements += 1;
                }
                if g.constant
                    && g.elements > KEEP
                    && let Some(cut) = g.cut_at
                {
                    blanks.push((cut, start));
                }
                if let Some(r) = run.as_mut().filter(|r| r.0 == stack.len()) {
                    r.1 += 1;
                    r.3 = end;
                    if r.1 == KEEP {
                        r.2 = Some(end);
                    }
                }
            }
            Tok::Comma => {
                if let Some(g) = stack.last_mut() {
                    g.elements += 1;
                    if g.element_tokens != 1 {
                        g.constant = false;
                    }
                    g.element_tokens = 0;
                    if g.elements == KEEP {
                        g.cut_at = Some(start);
                    }
                }
            }
            Tok::Const => {
                if let Some(g) = stack.last_mut() {
                    g.element_tokens += 1;
                }
            }
            Tok::Values | Tok::Other => {
                if let Some(g) = stack.last_mut() {
                    g.constant = false;
                    g.element_tokens += 1;
                }
            }
        }
        after_values = tok == Tok::Values;
        // A VALUES run ends at the first token at its level that is neither a row nor a comma.
        let next = toks.peek().map(|t| t.0);
        if let Some(r) = run
            && stack.len() == r.0
            && matches!(tok, Tok::Close | Tok::Comma)
            && !(tok == Tok::Close && next == Some(Tok::Comma))
            && !(tok == Tok::Comma && next == Some(Tok::Open))
        {
            if r.1 > KEEP
                && let Some(cut) = r.2
            {
                blanks.push((cut, r.3));
            }
            run = None;
        }
    }
    blanks.sort_unstable();
    blanks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize, item: impl Fn(usize) -> String) -> String {
        (0..n).map(item).collect::<Vec<_>>().join(", ")
    }

    /// Cut out rather than blanked, the text has the fingerprint of the text as written.
    #[test]
    fn compact_text_keeps_the_fingerprint() {
        let rows = list(1500, |i| {
            format!("({i}, 'x', ARRAY[{}])", list(1200, |j| j.to_string()))
        });
        for sql in [
            format!(
                "SELECT * FROM t WHERE id IN ({}) AND b = 2",
                list(5000, |i| i.to_string())
            ),
            format!("INSERT INTO t (a, b, c) VALUES {rows} ON CONFLICT DO NOTHING"),
        ] {
            let compact = compact(&sql).expect("cut");
            assert!(compact.len() < sql.len(), "{}", compact.len());
            let f = |s: &str| pg_query::fingerprint(s, 0, 0).unwrap().hex;
            assert_eq!(f(&compact), f(&sql));
            assert_eq!(f(&shorten(&sql).unwrap()), f(&sql));
        }
        assert_eq!(compact("SELECT 1"), None);
    }

    #[test]
    fn long_constant_lists_keep_their_first_elements() {
        let sql = format!(
            "SELECT * FROM t WHERE id IN ({}) AND s = ANY (ARRAY[{}])",
            list(5000, |i| i.to_string()),
            list(3000, |i| format!("'s{i}'"))
        );
        let short = shorten(&sql).expect("cut");
        assert_eq!(short.len(), sql.len(), "offsets stay");
        let tree = crate::raw::parse(&short).expect("still parses");
        assert_eq!(tree.stmts.len(), 1);
        assert!(
            short.contains("998, 999 ") && !short.contains(" 1000,") && !short.contains("'s1000'")
        );
        assert!(short.ends_with("])"));
        // The same fingerprint: analyses group it with the full statement.
        assert_eq!(
            pg_query::fingerprint(&short, 0, 0).unwrap().hex,
            pg_query::fingerprint(&sql, 0, 0).unwrap().hex
        );
    }

    #[test]
    fn values_rows_are_cut_too() {
        let sql = format!(
            "INSERT INTO t (a, b) VALUES {} RETURNING a",
            list(2500, |i| format!("({i}, 'x\n{i}')"))
        );
        let short = shorten(&sql).expect("cut");
        assert_eq!(
            short.lines().count(),
            sql.lines().count(),
            "line breaks stay"
        );
        assert!(
            short.trim_end().ends_with("RETURNING a"),
            "{}",
            &short[short.len() - 40..]
        );
        assert!(crate::raw::parse(&short).is_ok());
    }

    #[test]
    fn lists_that_are_not_plain_constants_stay() {
        let exprs = format!(
            "SELECT * FROM t WHERE id IN ({})",
            list(2000, |i| format!("a + {i}"))
        );
        assert_eq!(shorten(&exprs), None);
        let short = format!(
            "SELECT * FROM t WHERE id IN ({})",
            list(900, |i| i.to_string())
        );
        assert_eq!(shorten(&short), None);
        let quoted = format!(
            "SELECT * FROM t WHERE s IN ({})",
            list(2000, |i| format!("'a,({i}'"))
        );
        let cut = shorten(&quoted).expect("cut");
        assert!(crate::raw::parse(&cut).is_ok());
    }
}
