//! Source files and byte spans, and their mapping to 1-based line:column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range in one source file (the default is the empty range at the start of the first file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file's text with a line index.
///
/// A file read as a stream (a server log of any length) keeps only [`Excerpt`]s: the pieces that spans
/// point at, each with the line and column it begins on; its `text` is empty.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path as the user named it (kept relative when it was given relative).
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
    /// For a streamed file: the pieces kept, sorted by offset and not overlapping.
    excerpts: Vec<Excerpt>,
    /// For a streamed file: how many lines it had.
    streamed_lines: Option<usize>,
}

/// A piece of a streamed file: its text (empty for a mere position) at `offset`, which is on 1-based
/// `line` at character `column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub text: String,
}

impl SourceFile {
    pub fn new(id: FileId, path: impl Into<PathBuf>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            id,
            path: path.into(),
            text,
            line_starts,
            excerpts: vec![],
            streamed_lines: None,
        }
    }

    /// A file read as a stream: `lines` lines, of which `excerpts` were kept. A position-only excerpt
    /// inside a kept piece is dropped (the piece already places it).
    pub fn streamed(
        id: FileId,
        path: impl Into<PathBuf>,
        mut excerpts: Vec<Excerpt>,
        lines: usize,
    ) -> Self {
        excerpts.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.text.len())));
        let mut kept: Vec<Excerpt> = Vec::with_capacity(excerpts.len());
        for e in excerpts {
            if let Some(last) = kept.last()
                && e.offset < last.offset + last.text.len().max(1)
            {
                continue;
            }
            kept.push(e);
        }
        SourceFile {
            id,
            path: path.into(),
            text: String::new(),
            line_starts: vec![0],
            excerpts: kept,
            streamed_lines: Some(lines),
        }
    }

    /// The excerpt of a streamed file that holds `offset` (or the last one before it).
    fn excerpt_at(&self, offset: usize) -> Option<&Excerpt> {
        let i = self.excerpts.partition_point(|e| e.offset <= offset);
        self.excerpts.get(i.checked_sub(1)?)
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        if self.streamed_lines.is_some() {
            return match self.excerpt_at(offset) {
                Some(e) => place_in(&e.text, e.line, e.column, offset - e.offset),
                None => LineCol { line: 1, column: 1 },
            };
        }
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        if self.streamed_lines.is_some() {
            // Only lines an excerpt holds from their start are known.
            let i = self.excerpts.partition_point(|e| e.line <= line);
            let Some(e) = i.checked_sub(1).and_then(|i| self.excerpts.get(i)) else {
                return "";
            };
            let Some(l) = e.text.split('\n').nth(line - e.line) else {
                return "";
            };
            return if line == e.line && e.column != 1 {
                ""
            } else {
                l.trim_end_matches('\r')
            };
        }
        if line == 0 || line > self.line_starts.len() {
            return "";
        }
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where a 1-based line starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// How many lines the file has, as `str::lines` counts them (a last line without a line break
    /// counts; an empty file has none).
    pub fn lines(&self) -> usize {
        match self.streamed_lines {
            Some(n) => n,
            None => self.text.lines().count(),
        }
    }

    /// Whether the file was read as a stream, keeping excerpts only.
    pub fn is_streamed(&self) -> bool {
        self.streamed_lines.is_some()
    }
}

/// Line and column of byte `at` of `text`, a piece of a file that begins on `line` at `column` (`at` is
/// clamped to the piece).
pub fn place_in(text: &str, line: usize, column: usize, at: usize) -> LineCol {
    let mut at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    match before.rfind('\n') {
        None => LineCol {
            line,
            column: column + before.chars().count(),
        },
        Some(nl) => LineCol {
            line: line + before.matches('\n').count(),
            column: before[nl + 1..].chars().count() + 1,
        },
    }
}

/// All files of one run.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl AsRef<Path>, text: String) -> Arc<SourceFile> {
        let id = FileId(self.files.len() as u32);
        let file = Arc::new(SourceFile::new(id, path.as_ref(), text));
        self.files.push(file.clone());
        file
    }

    /// The id the next file added will get (a file read as a stream makes its spans before it is added).
    pub fn next_id(&self) -> FileId {
        FileId(self.files.len() as u32)
    }

    /// Add a file made with [`SourceFile::streamed`] for [`SourceMap::next_id`].
    pub fn add_file(&mut self, file: SourceFile) -> Arc<SourceFile> {
        debug_assert_eq!(file.id, self.next_id());
        let file = Arc::new(file);
        self.files.push(file.clone());
        file
    }

    pub fn get(&self, id: FileId) -> Option<&Arc<SourceFile>> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = &Arc<SourceFile>> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let f = SourceFile::new(FileId(0), "a.sql", "ab\nçd\n\nx".to_string());
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(7), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(8), LineCol { line: 4, column: 1 });
        assert_eq!(f.line_col(100), LineCol { line: 4, column: 2 });
        assert_eq!(f.line_text(2), "çd");
        assert_eq!(f.line_text(9), "");
    }

    #[test]
    fn streamed_files_place_offsets_by_their_excerpts() {
        let entry = "2024-05-01 LOG:  statement: select\n\tfrom t".to_string();
        let f = SourceFile::streamed(
            FileId(0),
            "p.log",
            vec![
                Excerpt {
                    offset: 1000,
                    line: 40,
                    column: 1,
                    text: entry,
                },
                // Inside the entry: dropped.
                Excerpt {
                    offset: 1010,
                    line: 40,
                    column: 11,
                    text: String::new(),
                },
                Excerpt {
                    offset: 5000,
                    line: 90,
                    column: 29,
                    text: String::new(),
                },
            ],
            120,
        );
        assert_eq!(
            f.line_col(1000),
            LineCol {
                line: 40,
                column: 1
            }
        );
        assert_eq!(
            f.line_col(1036),
            LineCol {
                line: 41,
                column: 2
            }
        );
        assert_eq!(
            f.line_col(5000),
            LineCol {
                line: 90,
                column: 29
            }
        );
        assert_eq!(f.line_col(10), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_text(41), "\tfrom t");
        assert_eq!(f.line_text(40), "2024-05-01 LOG:  statement: select");
        assert_eq!(f.line_text(90), "");
        assert_eq!(f.lines(), 120);
    }
}
