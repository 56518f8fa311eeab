//! The manifest of applied migrations: one line per migration already run somewhere, `VERSION SHA256`,
//! where the checksum is of the up script's bytes. `#` starts a comment. It lets a linter catch an edited
//! applied migration, and a new migration that sorts before one already applied.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of a script's text.
pub fn checksum(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: String,
    pub checksum: String,
    /// 1-based line in the manifest.
    pub line: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ManifestError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// Parse a manifest; `path` names it in errors.
pub fn parse_manifest(text: &str, path: &str) -> Result<Vec<Applied>, ManifestError> {
    let mut out = vec![];
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ManifestError {
            path: path.to_string(),
            line: i + 1,
            message,
        };
        let mut parts = line.split_whitespace();
        let (Some(version), Some(sum), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!("expected `VERSION SHA256`, found `{line}`")));
        };
        if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!("`{sum}` is not a SHA-256 in hex")));
        }
        out.push(Applied {
            version: version.to_string(),
            checksum: sum.to_ascii_lowercase(),
            line: i + 1,
        });
    }
    Ok(out)
}

/// The manifest text for a list of (version, script text), in order.
pub fn write_manifest<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::from("# applied migrations: VERSION SHA256 (of the up script)\n");
    for (v, text) in items {
        s.push_str(&format!("{v} {}\n", checksum(text)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let m = write_manifest([("001", "create table t (id int);"), ("002", "select 1;")]);
        let parsed = parse_manifest(&m, "m.txt").unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].checksum, checksum("create table t (id int);"));
        assert!(
            parse_manifest("001 nothex", "m.txt")
                .unwrap_err()
                .to_string()
                .starts_with("m.txt:1:")
        );
        assert!(parse_manifest("001", "m.txt").is_err());
    }
}
