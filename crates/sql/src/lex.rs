//! A light tokenizer for the few places that read a statement's words without parsing it (the head of a
//! view statement, which words a view's text contains): words, quoted identifiers and punctuation, with
//! their byte offsets; string literals and comments are skipped. It does not validate anything: the real
//! parser has accepted (or will judge) the statement.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted word (keyword or identifier), as written.
    Word,
    /// A quoted identifier; `text` is what is between the quotes (a doubled quote left doubled).
    Quoted,
    /// One character of punctuation or an operator.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub start: usize,
    pub text: &'a str,
    pub kind: Kind,
}

/// The tokens of `sql`, in order.
pub fn tokens(sql: &str) -> Tokens<'_> {
    Tokens { sql, at: 0 }
}

pub struct Tokens<'a> {
    sql: &'a str,
    at: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.sql.as_bytes();
        while self.at < b.len() {
            let i = self.at;
            match b[i] {
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    self.at = b[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(b.len(), |p| i + p + 1);
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let (mut level, mut j) = (0usize, i);
                    while j < b.len() {
                        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                            level += 1;
                            j += 2;
                        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                            level -= 1;
                            j += 2;
                            if level == 0 {
                                break;
                            }
                        } else {
                            j += 1;
                        }
                    }
                    self.at = j;
                }
                q @ (b'\'' | b'"') => {
                    let mut j = i + 1;
                    while j < b.len() {
                        if b[j] == q {
                            if b.get(j + 1) == Some(&q) {
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        j += 1;
                    }
                    self.at = (j + 1).min(b.len());
                    if q == b'"' {
                        return Some(Token {
                            start: i,
                            text: &self.sql[i + 1..j.min(b.len())],
                            kind: Kind::Quoted,
                        });
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let len = b[i..]
                        .iter()
                        .position(|&c| {
                            !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80)
                        })
                        .unwrap_or(b.len() - i);
                    self.at = i + len;
                    return Some(Token {
                        start: i,
                        text: &self.sql[i..i + len],
                        kind: Kind::Word,
                    });
                }
                c if c.is_ascii_whitespace() => self.at += 1,
                _ => {
                    let len = self.sql[i..].chars().next().map_or(1, char::len_utf8);
                    self.at = i + len;
                    return Some(Token {
                        start: i,
                        text: &self.sql[i..i + len],
                        kind: Kind::Punct,
                    });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quotes_and_punctuation() {
        let got: Vec<(Kind, &str)> = tokens(
            "SELECT p.*, \"Odd \"\"name\"\"\" /* c /* nested */ */ FROM t -- as\nWHERE x = 'it''s'",
        )
        .map(|t| (t.kind, t.text))
        .collect();
        use Kind::*;
        assert_eq!(
            got,
            vec![
                (Word, "SELECT"),
                (Word, "p"),
                (Punct, "."),
                (Punct, "*"),
                (Punct, ","),
                (Quoted, "Odd \"\"name\"\""),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "x"),
                (Punct, "="),
            ]
        );
    }
}
