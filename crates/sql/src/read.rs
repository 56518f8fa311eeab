//! The one way dbarch reads a file a user names or a folder holds (schema, migrations, workload, plan,
//! config, statistics, manifest): regular files only — a FIFO would block for ever, a device such as
//! `/dev/zero` never ends — and never more than the size limit, also when the file grows or its size is
//! not known in advance (`/proc`). Text must be UTF-8; an error names the line and column.

use std::io::Read;
use std::path::Path;

/// The default size limit of `--max-file-size`, in MB.
pub const DEFAULT_MAX_MB: u64 = 64;

/// The largest `--max-file-size` accepted, in MB (1 TB).
pub const LARGEST_MAX_MB: u64 = 1 << 20;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0}: no such file or directory")]
    Missing(String),
    #[error("{path}: {kind}, not a regular file: dbarch reads regular files only")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path}: cannot read: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {} over the {max} MB input limit (--max-file-size)", size.map_or("more than that is".to_string(), |s| format!("{s} MB is")))]
    TooLarge {
        path: String,
        /// The size in MB, when the file says it.
        size: Option<u64>,
        max: u64,
    },
    #[error("{path}:{line}:{column}: not UTF-8 text (is this a binary file?)")]
    NotUtf8 {
        path: String,
        line: usize,
        column: usize,
    },
}

/// What kind of thing is at `path`, when it is not a regular file.
fn kind_of(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else {
        Some("not a file")
    }
}

/// Whether `path` is a regular file, or why not (symbolic links followed).
pub fn check_regular(path: &Path) -> Result<(), ReadError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing(shown.clone()),
        _ => ReadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        },
    })?;
    match kind_of(&meta.file_type()) {
        None => Ok(()),
        Some(kind) => Err(ReadError::NotRegular { path: shown, kind }),
    }
}

/// A regular file opened for reading, and what it was when opened (checked before opening — opening a
/// FIFO waits for a writer — and again on the open file). For a reader that streams: it bounds what it
/// keeps itself.
pub fn open(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    let shown = path.display().to_string();
    check_regular(path)?;
    let io = |e: std::io::Error| ReadError::Io {
        path: shown.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if let Some(kind) = kind_of(&meta.file_type()) {
        return Err(ReadError::NotRegular { path: shown, kind });
    }
    Ok((file, meta))
}

/// The bytes of a regular file, at most `max_mb` MB.
pub fn read_bytes(path: &Path, max_mb: u64) -> Result<Vec<u8>, ReadError> {
    let shown = path.display().to_string();
    let max_mb = max_mb.min(LARGEST_MAX_MB);
    let limit = max_mb * 1024 * 1024;
    let (file, meta) = open(path)?;
    let io = |e: std::io::Error| ReadError::Io {
        path: shown.clone(),
        message: e.to_string(),
    };
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            path: shown,
            size: Some(meta.len().div_ceil(1024 * 1024)),
            max: max_mb,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: shown,
            size: None,
            max: max_mb,
        });
    }
    Ok(bytes)
}

/// A regular file as UTF-8 text (a leading byte-order mark dropped), at most `max_mb` MB.
pub fn read_text(path: &Path, max_mb: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, max_mb)?;
    text_of(&path.display().to_string(), bytes)
}

/// Bytes as UTF-8 text, or where they stop being UTF-8.
pub fn text_of(shown: &str, bytes: Vec<u8>) -> Result<String, ReadError> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(match s.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => s,
        }),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(ReadError::NotUtf8 {
                path: shown.to_string(),
                line,
                column,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_without_reading() {
        for (path, kind) in [
            ("/dev/zero", "character device"),
            ("/dev/urandom", "character device"),
            ("/tmp", "directory"),
        ] {
            let e = read_text(Path::new(path), 64).unwrap_err();
            assert!(e.to_string().contains(kind), "{e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("schema.sql");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_text(&fifo, 64).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(matches!(
            read_text(&dir.path().join("nope.sql"), 64),
            Err(ReadError::Missing(_))
        ));
    }

    #[test]
    fn the_limit_holds_whatever_the_size_says() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.sql");
        std::fs::write(&big, vec![b'x'; 1024 * 1024 + 1]).unwrap();
        assert!(matches!(
            read_text(&big, 1),
            Err(ReadError::TooLarge { .. })
        ));
        assert_eq!(read_text(&big, 2).unwrap().len(), 1024 * 1024 + 1);
        // A file whose size is not known in advance is read up to the limit only.
        assert!(read_bytes(Path::new("/proc/self/maps"), 1).is_ok());
        // A limit past the largest accepted does not wrap around.
        assert!(read_text(&big, u64::MAX).is_ok());
    }

    #[test]
    fn not_utf8_names_line_and_column() {
        let e = text_of("f.sql", b"SELECT 1;\nSELECT '\xff';".to_vec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.sql:2:9: not UTF-8 text (is this a binary file?)"
        );
        assert_eq!(text_of("f", "\u{feff}x".into()).unwrap(), "x");
    }
}
