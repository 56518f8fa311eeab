//! Tools that keep a migration's up and down in one file, marked by comments: dbmate and goose.

use std::ops::Range;

/// A file's up and down sections, and whether the up runs in the tool's transaction.
pub(crate) struct Sections {
    pub up: Range<usize>,
    pub down: Option<Range<usize>>,
    pub transaction: bool,
}

impl Sections {
    /// The sections of a file of `len` bytes whose up starts at `up` (after its marker) and whose down
    /// marker, if any, is at `down`: each runs to the other marker or to the end of the file.
    fn from_markers(len: usize, up: usize, down: Option<usize>, transaction: bool) -> Self {
        let (up, down) = match down {
            Some(d) if d > up => (up..d, Some(d..len)),
            Some(d) => (up..len, Some(d..up)),
            None => (up..len, None),
        };
        Sections {
            up,
            down,
            transaction,
        }
    }
}

/// dbmate: `-- migrate:up` and `-- migrate:down` at the start of a line (whitespace after `--`
/// allowed, lower case), options on the marker line (`transaction:false`).
pub(crate) fn dbmate(text: &str) -> Option<Sections> {
    let mut up: Option<(usize, bool)> = None;
    let mut down: Option<usize> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("--") {
            let rest = rest.trim_start();
            if let Some(options) = rest.strip_prefix("migrate:up") {
                up = Some((pos + line.len(), !options.contains("transaction:false")));
            } else if rest.starts_with("migrate:down") {
                down = Some(pos);
            }
        }
        pos += line.len();
    }
    let (up_start, transaction) = up?;
    Some(Sections::from_markers(
        text.len(),
        up_start,
        down,
        transaction,
    ))
}

/// goose: annotations are comment lines with `+goose` (`-- +goose Up`, `-- +goose Down`, `-- +goose NO
/// TRANSACTION`, `StatementBegin` / `StatementEnd`), compared without case; NO TRANSACTION anywhere in
/// the file turns the transaction off for both directions.
pub(crate) fn goose(text: &str) -> Option<Sections> {
    let mut up: Option<usize> = None;
    let mut down: Option<usize> = None;
    let mut transaction = true;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("--") && t.contains("+goose") {
            let command = t.replace("--", "").replacen("+goose", "", 1);
            let command = command.trim();
            if command.eq_ignore_ascii_case("up") && up.is_none() {
                up = Some(pos + line.len());
            } else if command.eq_ignore_ascii_case("down") && down.is_none() {
                down = Some(pos);
            } else if command.eq_ignore_ascii_case("no transaction") {
                transaction = false;
            }
        }
        pos += line.len();
    }
    Some(Sections::from_markers(text.len(), up?, down, transaction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goose_annotations() {
        let text = "-- +goose Up\n-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY i ON t (a);\n\
                    -- +goose down\nDROP INDEX i;\n";
        let s = goose(text).unwrap();
        assert!(!s.transaction);
        assert!(text[s.up.clone()].contains("CREATE INDEX"));
        assert!(text[s.down.unwrap()].contains("DROP INDEX"));
        assert!(goose("-- migrate:up\nselect 1;").is_none());
    }

    #[test]
    fn dbmate_markers_allow_space_after_the_dashes() {
        let s = dbmate("--migrate:up transaction:false\nselect 1;\n--  migrate:down\nselect 2;\n")
            .unwrap();
        assert!(!s.transaction && s.down.is_some());
    }
}
