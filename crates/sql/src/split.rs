//! Finding statement boundaries in a PostgreSQL script the way psql does, so that each statement can be
//! handed to the real parser on its own (parsing a whole large file at once costs gigabytes).
//!
//! The splitter only tracks what decides where a statement ends: quotes, dollar quotes, comments,
//! parentheses and `BEGIN ATOMIC ... END` bodies. It also removes what psql, not the server, consumes:
//! meta-commands (`\connect`, `\set`, ...) and the data lines of `COPY ... FROM stdin`.

/// A statement's byte range in the file (without the terminating `;`), and the comments that precede it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    pub start: usize,
    pub end: usize,
}

/// A comment found between or inside statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    /// True when the comment is inside a statement's text rather than before it.
    pub inside_statement: bool,
}

/// Something the splitter skipped, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub start: usize,
    pub end: usize,
    pub what: SkippedKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkippedKind {
    MetaCommand,
    CopyData,
}

#[derive(Debug, Default)]
pub struct Split {
    pub statements: Vec<RawStatement>,
    pub comments: Vec<Comment>,
    pub skipped: Vec<Skipped>,
    /// An unterminated quote or comment at the end of the file: (offset where it opened, what it was).
    pub unterminated: Option<(usize, &'static str)>,
}

impl Split {
    /// The text with skipped regions blanked out (newlines kept), so byte offsets stay valid.
    pub fn masked_text(&self, text: &str) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let mut bytes = text.as_bytes().to_vec();
        for s in &self.skipped {
            for b in &mut bytes[s.start..s.end] {
                if *b != b'\n' && *b != b'\r' {
                    *b = b' ';
                }
            }
        }
        // Only whole characters were blanked (region bounds are at ASCII bytes), so this stays UTF-8.
        String::from_utf8(bytes).ok()
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Split a script into statements.
pub fn split(text: &str) -> Split {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Split::default();
    let mut i = 0;
    let mut stmt_start: Option<usize> = None;
    let mut depth: i32 = 0;
    // BEGIN ATOMIC ... END nesting inside CREATE FUNCTION / PROCEDURE.
    let mut atomic_depth: i32 = 0;
    let mut prev_word: Option<(usize, usize)> = None;
    let mut first_word: Option<(usize, usize)> = None;
    let mut line_start = true; // only whitespace seen since the last newline (outside tokens)

    let word_eq = |w: (usize, usize), s: &str| text[w.0..w.1].eq_ignore_ascii_case(s);

    while i < n {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // psql meta-command: a backslash first on a line, or a backslash command later on one, outside
        // quotes and comments; skipped to the end of the line. `\g`, `\gx`, `\gset`, `\gexec`, `\gdesc`,
        // `\crosstabview` and `\watch` send the statement before them, as `;` would (on its line or on
        // the next, as the PostgreSQL regression suite writes `\gexec`); any other leaves it going on.
        if c == b'\\' && (line_start || b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)) {
            let end = memchr_newline(b, i);
            let word_end = (i + 1..end)
                .find(|&j| !b[j].is_ascii_alphanumeric())
                .unwrap_or(end);
            let sends = matches!(
                &text[i + 1..word_end],
                "g" | "gx" | "gset" | "gexec" | "gdesc" | "crosstabview" | "watch"
            );
            if sends && let Some(start) = stmt_start.take() {
                out.statements.push(RawStatement { start, end: i });
            }
            out.skipped.push(Skipped {
                start: i,
                end,
                what: SkippedKind::MetaCommand,
            });
            i = end;
            continue;
        }
        line_start = false;
        if c == b'-' && i + 1 < n && b[i + 1] == b'-' {
            let end = memchr_newline(b, i);
            out.comments.push(Comment {
                start: i,
                end,
                inside_statement: stmt_start.is_some(),
            });
            i = end;
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'*' {
            let open = i;
            let mut nest = 1;
            i += 2;
            while i < n && nest > 0 {
                if b[i] == b'/' && i + 1 < n && b[i + 1] == b'*' {
                    nest += 1;
                    i += 2;
                } else if b[i] == b'*' && i + 1 < n && b[i + 1] == b'/' {
                    nest -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if nest > 0 {
                out.unterminated = Some((open, "block comment"));
            }
            out.comments.push(Comment {
                start: open,
                end: i,
                inside_statement: stmt_start.is_some(),
            });
            continue;
        }
        if stmt_start.is_none() {
            stmt_start = Some(i);
            depth = 0;
            atomic_depth = 0;
            prev_word = None;
            first_word = None;
        }
        match c {
            b'\'' => {
                let escapes = prev_word.is_some_and(|w| w.1 == i && word_eq(w, "e"));
                i = skip_quoted(b, i, b'\'', escapes, &mut out);
                prev_word = None;
            }
            b'"' => {
                i = skip_quoted(b, i, b'"', false, &mut out);
                prev_word = None;
            }
            b'$' if i + 1 < n && !b[i + 1].is_ascii_digit() => {
                // A dollar quote opener: $tag$ with tag an identifier or empty.
                let mut j = i + 1;
                while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
                    j += 1;
                }
                if j < n && b[j] == b'$' && (j == i + 1 || is_ident_start(b[i + 1])) {
                    let tag = &text[i..=j];
                    match text[j + 1..].find(tag) {
                        Some(k) => i = j + 1 + k + tag.len(),
                        None => {
                            out.unterminated = Some((i, "dollar-quoted string"));
                            i = n;
                        }
                    }
                } else {
                    i += 1;
                }
                prev_word = None;
            }
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
            }
            b';' if depth <= 0 && atomic_depth <= 0 => {
                let start = stmt_start.take().unwrap_or(i);
                out.statements.push(RawStatement { start, end: i });
                i += 1;
                if is_copy_from_stdin(&text[start..i]) {
                    i = skip_copy_data(b, i, &mut out);
                    line_start = true;
                }
            }
            _ if is_ident_start(c) => {
                let s = i;
                while i < n && is_ident_char(b[i]) {
                    i += 1;
                }
                let w = (s, i);
                if first_word.is_none() {
                    first_word = Some(w);
                }
                let in_routine = first_word.is_some_and(|f| word_eq(f, "create"));
                if in_routine {
                    let opens_body =
                        word_eq(w, "atomic") && prev_word.is_some_and(|p| word_eq(p, "begin"));
                    if opens_body || (atomic_depth > 0 && word_eq(w, "case")) {
                        atomic_depth += 1;
                    } else if atomic_depth > 0 && word_eq(w, "end") {
                        atomic_depth -= 1;
                    }
                }
                prev_word = Some(w);
            }
            _ => {
                i += 1;
            }
        }
    }
    if let Some(start) = stmt_start {
        let mut end = n;
        while end > start && b[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        out.statements.push(RawStatement { start, end });
    }
    out
}

fn memchr_newline(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

fn skip_quoted(b: &[u8], open: usize, q: u8, backslash_escapes: bool, out: &mut Split) -> usize {
    let n = b.len();
    let mut i = open + 1;
    while i < n {
        if backslash_escapes && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if i + 1 < n && b[i + 1] == q {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    out.unterminated = Some((
        open,
        if q == b'"' {
            "quoted identifier"
        } else {
            "string literal"
        },
    ));
    n
}

fn is_copy_from_stdin(stmt: &str) -> bool {
    let lower = stmt.trim_start().to_ascii_lowercase();
    if !lower.starts_with("copy") {
        return false;
    }
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|w| w[0] == "from" && w[1] == "stdin")
}

/// Skip the data lines after `COPY ... FROM stdin;` up to and including the `\.` line.
fn skip_copy_data(b: &[u8], after: usize, out: &mut Split) -> usize {
    // The data starts on the line after the statement.
    let mut i = memchr_newline(b, after);
    if i >= b.len() {
        return i;
    }
    i += 1;
    let start = i;
    while i < b.len() {
        let end = memchr_newline(b, i);
        let line = &b[i..end];
        let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
        if trimmed == b"\\." {
            out.skipped.push(Skipped {
                start,
                end,
                what: SkippedKind::CopyData,
            });
            return end;
        }
        i = end + 1;
    }
    out.skipped.push(Skipped {
        start,
        end: b.len(),
        what: SkippedKind::CopyData,
    });
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        let s = split(sql);
        let masked = s.masked_text(sql);
        let t = masked.as_deref().unwrap_or(sql);
        s.statements
            .iter()
            .map(|r| t[r.start..r.end].trim().to_string())
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let sql = "select ';'; -- a ; comment\nselect \"a;b\" /* ; */ from t;select $$ ; $$;\nselect $f$ $$ ; $f$";
        assert_eq!(
            texts(sql),
            vec![
                "select ';'",
                "select \"a;b\" /* ; */ from t",
                "select $$ ; $$",
                "select $f$ $$ ; $f$"
            ]
        );
    }

    #[test]
    fn escape_strings_and_parameters() {
        assert_eq!(
            texts(r"select E'it\'s;'; select $1;"),
            vec![r"select E'it\'s;'", "select $1"]
        );
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let sql = "create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("end"));
    }

    #[test]
    fn meta_commands_that_send_end_the_statement() {
        let text = "SELECT count(*) AS n FROM t \\gset\nSELECT 'x'\nFROM t\n\\gexec\nSELECT :n;\nSELECT format('DROP TABLE %I', c) FROM x \\gexec\nSELECT 1 \\g out.txt\nSELECT 2 \\x\n, 3;\n";
        let out = split(text);
        let got: Vec<&str> = out
            .statements
            .iter()
            .map(|s| text[s.start..s.end].trim())
            .collect();
        assert_eq!(
            got,
            [
                "SELECT count(*) AS n FROM t",
                "SELECT 'x'\nFROM t",
                "SELECT :n",
                "SELECT format('DROP TABLE %I', c) FROM x",
                "SELECT 1",
                "SELECT 2 \\x\n, 3"
            ]
        );
        assert_eq!(out.skipped.len(), 5);
        // The masked text hides them from the parser.
        let masked = out.masked_text(text).unwrap();
        assert!(!masked.contains("\\gset"));
    }

    #[test]
    fn meta_commands_and_copy_data_are_skipped() {
        let sql =
            "\\connect shop\nselect 1;\nCOPY t (a) FROM stdin;\n1\n2;x\n\\.\n\\set x 1\nselect 2;";
        let s = split(sql);
        assert_eq!(s.skipped.len(), 3);
        assert_eq!(
            texts(sql),
            vec!["select 1", "COPY t (a) FROM stdin", "select 2"]
        );
    }

    #[test]
    fn unterminated_quote_is_reported() {
        let s = split("select 'abc");
        assert_eq!(s.unterminated, Some((7, "string literal")));
    }
}
