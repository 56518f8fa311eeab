//! Inline suppressions: `-- dbarch:ignore CODE[,CODE...] reason`.
//!
//! Before a statement, the comment excuses that statement. Inside a statement (above a column of a
//! CREATE TABLE, say), it excuses the next line that holds code.

use crate::source::{SourceFile, Span};
use crate::split::{Comment, RawStatement};

const DIRECTIVE: &str = "dbarch:ignore";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Rule codes or names, as written (an empty list would excuse nothing).
    pub codes: Vec<String>,
    pub reason: String,
    /// Where the comment is.
    pub at: Span,
    /// What it excuses.
    pub scope: Span,
}

impl Suppression {
    pub fn covers(&self, code: &str, name: &str, span: Span) -> bool {
        span.file == self.scope.file
            && span.start >= self.scope.start
            && span.start < self.scope.end.max(self.scope.start + 1)
            && self
                .codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(code) || c.eq_ignore_ascii_case(name) || c == "all")
    }
}

/// Parse the directive out of one comment's text, if it is one.
pub fn parse_directive(comment: &str) -> Option<(Vec<String>, String)> {
    let body = comment
        .trim_start_matches('-')
        .trim_start_matches("/*")
        .trim_end_matches("*/")
        .trim();
    let rest = body.strip_prefix(DIRECTIVE)?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim();
    let (codes, reason) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let codes: Vec<String> = codes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    Some((codes, reason.to_string()))
}

pub(crate) fn collect(
    file: &SourceFile,
    comments: &[Comment],
    statements: &[RawStatement],
) -> Vec<Suppression> {
    let text = file.text.as_str();
    let mut out = Vec::new();
    for c in comments {
        let Some((codes, reason)) = parse_directive(&text[c.start..c.end]) else {
            continue;
        };
        let at = Span::new(file.id, c.start, c.end);
        let scope = if c.inside_statement {
            next_code_line(text, c.end).map(|(s, e)| Span::new(file.id, s, e))
        } else {
            statements
                .iter()
                .find(|s| s.start >= c.end)
                .map(|s| Span::new(file.id, s.start, s.end))
        };
        if let Some(scope) = scope {
            out.push(Suppression {
                codes,
                reason,
                at,
                scope,
            });
        }
    }
    out
}

/// The byte range of the first line after `from` that holds something other than blanks and comments.
fn next_code_line(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut pos = from;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim();
        if !line.is_empty() && !line.starts_with("--") {
            return Some((pos, line_end));
        }
        pos = line_end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_syntax() {
        assert_eq!(
            parse_directive("-- dbarch:ignore KEY001 legacy table"),
            Some((vec!["KEY001".into()], "legacy table".into()))
        );
        assert_eq!(
            parse_directive("-- dbarch:ignore KEY001,TYP002"),
            Some((vec!["KEY001".into(), "TYP002".into()], String::new()))
        );
        assert_eq!(
            parse_directive("/* dbarch:ignore all */"),
            Some((vec!["all".into()], String::new()))
        );
        assert_eq!(parse_directive("-- dbarch:ignored"), None);
        assert_eq!(parse_directive("-- nothing here"), None);
    }
}
