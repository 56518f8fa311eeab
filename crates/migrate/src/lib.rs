//! Migration histories on disk: which files are migrations, in which order they run, which file undoes
//! which, and whether the tool that applies them wraps each in a transaction.
//!
//! Recognised layouts:
//! - plain numbered files: `001_init.sql`, `20240101120000_users.sql` (run like `psql -f`: each statement
//!   commits on its own unless the file has BEGIN/COMMIT);
//! - up/down pairs: `001_init.up.sql` + `001_init.down.sql` (golang-migrate, sqlx): golang-migrate sends
//!   the file as one multi-statement query, so it runs in one implicit transaction block (explicit when
//!   the file says BEGIN); sqlx wraps it in a transaction of its own (`Transaction::Wrapped`, chosen by
//!   the configuration's tool); sqlx's `-- no-transaction` first line turns that off;
//! - diesel: `<version>_<name>/up.sql` + `down.sql`, in a transaction unless the folder's
//!   `metadata.toml` says `run_in_transaction = false`;
//! - Flyway / refinery: `V1__name.sql` (+ Flyway undo `U1__name.sql`), in a transaction;
//! - dbmate: one file with `-- migrate:up` and `-- migrate:down` sections, in a transaction unless the
//!   marker carries `transaction:false`.
//!
//! Any file may say `-- dbarch:no-transaction` to declare that it runs outside a transaction.

mod manifest;

pub use manifest::{Applied, ManifestError, checksum, parse_manifest, write_manifest};

use std::cmp::Ordering;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    Plain,
    UpDownPairs,
    Diesel,
    Flyway,
    Dbmate,
}

/// One script to run: a file, or a section of one (dbmate keeps up and down in the same file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: PathBuf,
    /// The byte range of the section, when the script is part of a file.
    pub section: Option<Range<usize>>,
    /// The file's text, when discovery read it (for its markers): callers need not read it again.
    pub contents: Option<Arc<str>>,
    /// The file could not be read as text (not UTF-8, too large, not a regular file): the reader's
    /// message. The migration keeps its place in the history and is reported; the others are judged.
    pub unreadable: Option<String>,
}

impl Script {
    /// A whole file.
    pub fn file(path: PathBuf) -> Self {
        Script {
            path,
            section: None,
            contents: None,
            unreadable: None,
        }
    }

    /// A whole file whose text has been read.
    fn read(path: PathBuf, text: &Arc<str>) -> Self {
        Script {
            path,
            section: None,
            contents: Some(text.clone()),
            unreadable: None,
        }
    }

    /// The text to parse: the whole file, or the file with everything outside the section blanked, so byte
    /// offsets (and so lines and columns) stay those of the file.
    pub fn text(&self, file_text: &str) -> String {
        match &self.section {
            None => file_text.to_string(),
            Some(r) => {
                let mut out = String::with_capacity(file_text.len());
                for (i, c) in file_text.char_indices() {
                    if r.contains(&i) || c.is_ascii_whitespace() {
                        out.push(c);
                    } else {
                        out.extend(std::iter::repeat_n(' ', c.len_utf8()));
                    }
                }
                out
            }
        }
    }
}

/// How a migration's statements are grouped into transactions when the tool runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transaction {
    /// The tool wraps the whole script in one transaction (BEGIN before it, COMMIT after it).
    Wrapped,
    /// The tool sends the script as one multi-statement query (golang-migrate): PostgreSQL runs it in one
    /// implicit transaction block, which the script's own BEGIN ... COMMIT may make explicit; CONCURRENTLY
    /// cannot run anywhere in it, and COMMIT AND CHAIN only inside an explicit block.
    Implicit,
    /// Each statement commits on its own unless the script itself says BEGIN ... COMMIT.
    PerStatement,
}

impl Transaction {
    /// `Wrapped`, unless the script opts out of the tool's transaction.
    pub fn wrapped_unless(no_transaction: bool) -> Self {
        if no_transaction {
            Transaction::PerStatement
        } else {
            Transaction::Wrapped
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The ordering key as written (`001`, `20240101120000`, `1.2`).
    pub version: String,
    pub name: String,
    pub up: Script,
    pub down: Option<Script>,
    pub transaction: Transaction,
    pub layout: Layout,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}: no such directory")]
    Missing(String),
    #[error(
        "{0}: no migrations found (expected numbered .sql files, up/down pairs, diesel folders, V1__name.sql or dbmate files)"
    )]
    Empty(String),
    /// The caller's file reader refused a file (its message names the file).
    #[error("{0}")]
    Read(String),
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: dbmate file has no `-- migrate:up` section")]
    NoUpSection { path: String },
    #[error("{path}: a down migration without its up migration (expected {expected})")]
    DownWithoutUp { path: String, expected: String },
    #[error("{first} and {second}: two migrations with the same version {version}")]
    DuplicateVersion {
        version: String,
        first: String,
        second: String,
    },
}

/// Natural order: `2_a` before `10_a`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|c| **c == b'0').count();
                let ty = dy.iter().skip_while(|c| **c == b'0').count();
                let ord = tx.cmp(&ty).then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// The entries of a directory in natural order.
pub fn sorted_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    Ok(entries)
}

/// Files that undo a migration rather than apply it: `down.sql`, `*.down.sql`, Flyway `U<version>__*.sql`.
pub fn is_down_script(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "down.sql"
        || name.ends_with(".down.sql")
        || (name.starts_with('U') && name.contains("__"))
}

/// How discovery reads a migration file: the caller's reader (size limits, encoding checks) or
/// [`read_file`].
pub type ReadFile<'a> = &'a (dyn Fn(&Path) -> Result<String, String> + Sync);

/// Read a file as UTF-8 text, through the one reader (regular files only, the default size limit).
pub fn read_file(path: &Path) -> Result<String, String> {
    dbarch_sql::read::read_text(path, dbarch_sql::read::DEFAULT_MAX_MB).map_err(|e| e.to_string())
}

fn split_version(stem: &str) -> (String, String) {
    let v: String = stem
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
        .collect();
    let rest = stem[v.len()..].trim_start_matches(['_', '-']).to_string();
    (v.trim_end_matches(['-', '.']).to_string(), rest)
}

/// Whether the script declares it must run outside a transaction.
pub fn declares_no_transaction(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l == "-- dbarch:no-transaction" || l.starts_with("-- dbarch:no-transaction ")
    }) || text
        .lines()
        .next()
        .is_some_and(|l| l.trim() == "-- no-transaction")
}

/// The dbmate sections of a file: (up range, down range, up runs in a transaction).
fn dbmate_sections(text: &str) -> Option<(Range<usize>, Option<Range<usize>>, bool)> {
    let mut up: Option<(usize, bool)> = None;
    let mut down: Option<usize> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("-- migrate:up") {
            up = Some((pos + line.len(), !rest.contains("transaction:false")));
        } else if t.starts_with("-- migrate:down") {
            down = Some(pos);
        }
        pos += line.len();
    }
    let (up_start, tx) = up?;
    Some(match down {
        Some(d) if d > up_start => (up_start..d, Some(d..text.len()), tx),
        Some(d) => (up_start..text.len(), Some(d..up_start), tx),
        None => (up_start..text.len(), None, tx),
    })
}

/// What one entry of a migrations folder is.
enum Entry {
    Skip,
    Migration(Migration),
    /// A `*.down.sql` file, by the stem its up has.
    Down(String, PathBuf),
    /// A Flyway undo script, by version.
    Undo(String, PathBuf),
}

fn classify(p: &Path, read_file: ReadFile) -> Result<Entry, DiscoverError> {
    let read = |path: &Path| -> Result<Arc<str>, DiscoverError> {
        read_file(path).map(Arc::from).map_err(DiscoverError::Read)
    };
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name.starts_with('.') {
        return Ok(Entry::Skip);
    }
    if p.is_dir() {
        let up = p.join("up.sql");
        if up.is_file() {
            let (version, mname) = split_version(&name);
            let meta = read_file(&p.join("metadata.toml")).unwrap_or_default();
            let text = read(&up)?;
            let no_tx = meta
                .lines()
                .any(|l| l.replace(' ', "") == "run_in_transaction=false")
                || declares_no_transaction(&text);
            let down = p.join("down.sql");
            return Ok(Entry::Migration(Migration {
                version,
                name: mname,
                up: Script::read(up, &text),
                down: down.is_file().then(|| Script::file(down)),
                transaction: Transaction::wrapped_unless(no_tx),
                layout: Layout::Diesel,
            }));
        }
        return Ok(Entry::Skip);
    }
    if !name.ends_with(".sql") {
        return Ok(Entry::Skip);
    }
    let stem = name.trim_end_matches(".sql");
    if let Some(s) = stem.strip_suffix(".down") {
        return Ok(Entry::Down(s.to_string(), p.to_path_buf()));
    }
    if let Some(rest) = stem
        .strip_prefix('U')
        .filter(|r| r.contains("__") && r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Ok(Entry::Undo(
            rest.split("__").next().unwrap_or("").to_string(),
            p.to_path_buf(),
        ));
    }
    let text = match read(p) {
        Ok(text) => text,
        // A file that cannot be read as text is its migration's error, reported with the others.
        Err(DiscoverError::Read(message)) => {
            let stem = stem.strip_suffix(".up").unwrap_or(stem);
            let (version, mname) = match stem.strip_prefix('V').filter(|r| r.contains("__")) {
                Some(rest) => {
                    let mut parts = rest.splitn(2, "__");
                    let v = parts.next().unwrap_or("").to_string();
                    (v, parts.next().unwrap_or("").to_string())
                }
                None => split_version(stem),
            };
            return Ok(Entry::Migration(Migration {
                version,
                name: mname,
                up: Script {
                    unreadable: Some(message),
                    ..Script::file(p.to_path_buf())
                },
                down: None,
                transaction: Transaction::PerStatement,
                layout: Layout::Plain,
            }));
        }
        Err(e) => return Err(e),
    };
    let no_tx = declares_no_transaction(&text);
    if let Some(rest) = stem
        .strip_prefix('V')
        .filter(|r| r.contains("__") && r.starts_with(|c: char| c.is_ascii_digit()))
    {
        let mut parts = rest.splitn(2, "__");
        let version = parts.next().unwrap_or("").to_string();
        // Flyway's per-script configuration: `V1__x.sql.conf` with executeInTransaction=false.
        let conf = read_file(&p.with_file_name(format!("{name}.conf"))).unwrap_or_default();
        let conf_no_tx = conf.lines().any(|l| {
            l.replace(' ', "")
                .eq_ignore_ascii_case("executeInTransaction=false")
        });
        return Ok(Entry::Migration(Migration {
            version,
            name: parts.next().unwrap_or("").to_string(),
            up: Script::read(p.to_path_buf(), &text),
            down: None,
            transaction: Transaction::wrapped_unless(no_tx || conf_no_tx),
            layout: Layout::Flyway,
        }));
    }
    if let Some(s) = stem.strip_suffix(".up") {
        let (version, mname) = split_version(s);
        // golang-migrate sends the file as one query (an implicit transaction block); sqlx wraps it in
        // its own transaction (`[migrations] tool = "sqlx"` says so) unless `-- no-transaction`.
        return Ok(Entry::Migration(Migration {
            version,
            name: mname,
            up: Script::read(p.to_path_buf(), &text),
            down: None,
            transaction: if no_tx {
                Transaction::PerStatement
            } else {
                Transaction::Implicit
            },
            layout: Layout::UpDownPairs,
        }));
    }
    let (version, mname) = split_version(stem);
    if let Some((up, down, tx)) = dbmate_sections(&text) {
        return Ok(Entry::Migration(Migration {
            version,
            name: mname,
            up: Script {
                path: p.to_path_buf(),
                section: Some(up),
                contents: Some(text.clone()),
                unreadable: None,
            },
            down: down.map(|d| Script {
                path: p.to_path_buf(),
                section: Some(d),
                contents: Some(text.clone()),
                unreadable: None,
            }),
            transaction: Transaction::wrapped_unless(!tx || no_tx),
            layout: Layout::Dbmate,
        }));
    }
    Ok(Entry::Migration(Migration {
        version,
        name: mname,
        up: Script::file(p.to_path_buf()),
        down: None,
        transaction: Transaction::PerStatement,
        layout: Layout::Plain,
    }))
}

/// Find the migrations of a folder, in the order they run.
pub fn discover(dir: &Path) -> Result<Vec<Migration>, DiscoverError> {
    discover_with(dir, &read_file)
}

/// [`discover`], reading files with `read_file`; the up scripts it read keep their text
/// ([`Script::contents`]).
pub fn discover_with(dir: &Path, read_file: ReadFile) -> Result<Vec<Migration>, DiscoverError> {
    use rayon::prelude::*;
    if !dir.is_dir() {
        return Err(DiscoverError::Missing(dir.display().to_string()));
    }
    let io = |source| DiscoverError::Io {
        path: dir.display().to_string(),
        source,
    };
    let entries = sorted_dir(dir).map_err(io)?;
    let mut out = vec![];
    let mut undo: Vec<(String, PathBuf)> = vec![];
    let mut downs: Vec<(String, PathBuf)> = vec![];
    // Each entry is looked at on its own (its files read for markers), in parallel; then in order.
    let classified: Vec<Result<Entry, DiscoverError>> =
        entries.par_iter().map(|p| classify(p, read_file)).collect();
    for entry in classified {
        match entry? {
            Entry::Skip => {}
            Entry::Migration(m) => out.push(m),
            Entry::Down(stem, path) => downs.push((stem, path)),
            Entry::Undo(version, path) => undo.push((version, path)),
        }
    }
    // Attach the down files and undo scripts to their migrations; a down file must have its up.
    for (stem, path) in &downs {
        let has_up = out.iter().any(|m| {
            m.layout == Layout::UpDownPairs
                && m.up
                    .path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy() == format!("{stem}.up.sql"))
        });
        if !has_up {
            return Err(DiscoverError::DownWithoutUp {
                path: path.display().to_string(),
                expected: format!("{stem}.up.sql"),
            });
        }
    }
    for m in out.iter_mut() {
        if m.layout == Layout::UpDownPairs {
            let stem =
                m.up.path
                    .file_name()
                    .map(|n| n.to_string_lossy().trim_end_matches(".up.sql").to_string())
                    .unwrap_or_default();
            if let Some((_, d)) = downs.iter().find(|(s, _)| *s == stem) {
                m.down = Some(Script::file(d.clone()));
            }
        }
        if m.layout == Layout::Flyway
            && let Some((_, u)) = undo.iter().find(|(v, _)| *v == m.version)
        {
            m.down = Some(Script::file(u.clone()));
        }
    }
    // Beside versioned migrations, a loose file without a version (`data_seed.sql`) is not one: diesel,
    // golang-migrate, Flyway and dbmate all skip it.
    if out.iter().any(|m| !m.version.is_empty()) {
        out.retain(|m| !(m.layout == Layout::Plain && m.version.is_empty()));
    }
    if out.is_empty() {
        return Err(DiscoverError::Empty(dir.display().to_string()));
    }
    // Run order is version order, with the dashes of `2019-02-26-002946` versions ignored, so that
    // `20140924113530_x` and `2020-07-14-113112_y` (both used in one diesel history) sort as dates.
    out.sort_by(|a, b| {
        natural_cmp(&a.version.replace('-', ""), &b.version.replace('-', ""))
            .then_with(|| natural_cmp(&a.name, &b.name))
    });
    for w in out.windows(2) {
        if !w[0].version.is_empty()
            && natural_cmp(
                &w[0].version.replace('-', ""),
                &w[1].version.replace('-', ""),
            )
            .is_eq()
        {
            return Err(DiscoverError::DuplicateVersion {
                version: w[0].version.clone(),
                first: w[0].up.path.display().to_string(),
                second: w[1].up.path.display().to_string(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_script_configuration_can_opt_out_of_the_transaction() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("V1__init.sql"), "CREATE TABLE t (id int);").unwrap();
        std::fs::write(
            d.path().join("V2__index.sql"),
            "CREATE INDEX CONCURRENTLY i ON t (id);",
        )
        .unwrap();
        std::fs::write(
            d.path().join("V2__index.sql.conf"),
            "executeInTransaction=false\n",
        )
        .unwrap();
        let m = discover(d.path()).unwrap();
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert_eq!(m[1].transaction, Transaction::PerStatement);
    }

    #[test]
    fn unversioned_loose_files_beside_versioned_migrations_are_not_migrations() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("2020-01-01-000000_init")).unwrap();
        std::fs::write(d.path().join("2020-01-01-000000_init/up.sql"), "SELECT 1;").unwrap();
        std::fs::write(d.path().join("data_seed.sql"), "SELECT 2;").unwrap();
        let m = discover(d.path()).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].layout, Layout::Diesel);
    }

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, t) in files {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        }
        d
    }

    #[test]
    fn plain_numbered_files_in_natural_order() {
        let d = dir(&[
            ("10_c.sql", "select 1;"),
            ("2_b.sql", "select 1;"),
            ("1_a.sql", "select 1;"),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(
            m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
        assert!(
            m.iter()
                .all(|m| m.layout == Layout::Plain && m.transaction == Transaction::PerStatement)
        );
    }

    #[test]
    fn up_down_pairs() {
        let d = dir(&[
            ("001_init.up.sql", "create table t (id int);"),
            ("001_init.down.sql", "drop table t;"),
            (
                "002_x.up.sql",
                "-- no-transaction\ncreate index concurrently on t (id);",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m.len(), 2);
        assert!(
            m[0].down
                .as_ref()
                .unwrap()
                .path
                .ends_with("001_init.down.sql")
        );
        // One query per file (golang-migrate); sqlx's marker opts out.
        assert_eq!(m[0].transaction, Transaction::Implicit);
        assert_eq!(m[1].transaction, Transaction::PerStatement);
        assert!(m[1].down.is_none());
    }

    #[test]
    fn diesel_folders() {
        let d = dir(&[
            (
                "2019-01-01-000000_create_users/up.sql",
                "create table users (id int);",
            ),
            (
                "2019-01-01-000000_create_users/down.sql",
                "drop table users;",
            ),
            (
                "2020-01-01-000000_index/up.sql",
                "create index concurrently on users (id);",
            ),
            (
                "2020-01-01-000000_index/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m[0].version, "2019-01-01-000000");
        assert_eq!(m[0].name, "create_users");
        assert_eq!(m[0].layout, Layout::Diesel);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert_eq!(m[1].transaction, Transaction::PerStatement);
    }

    #[test]
    fn mixed_version_styles_sort_as_dates() {
        let d = dir(&[
            ("2020-07-14-113112_later/up.sql", "select 1;"),
            ("20140924113530_first/up.sql", "select 1;"),
            ("20170318181441_second/up.sql", "select 1;"),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(
            m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            vec!["first", "second", "later"]
        );
    }

    #[test]
    fn flyway_with_undo() {
        let d = dir(&[
            ("V2__add.sql", "select 1;"),
            ("V10__later.sql", "select 1;"),
            ("V1__init.sql", "select 1;"),
            ("U1__init.sql", "select 1;"),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(
            m.iter().map(|m| m.version.as_str()).collect::<Vec<_>>(),
            vec!["1", "2", "10"]
        );
        assert!(m[0].down.is_some() && m[1].down.is_none());
    }

    #[test]
    fn dbmate_sections_keep_file_offsets() {
        let text = "-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n\n-- migrate:down\ndrop index i;\n";
        let d = dir(&[("20240101000000_idx.sql", text)]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m[0].layout, Layout::Dbmate);
        assert_eq!(m[0].transaction, Transaction::PerStatement);
        let up = m[0].up.text(text);
        assert_eq!(up.len(), text.len());
        assert!(up.contains("create index concurrently") && !up.contains("drop index"));
        let down = m[0].down.as_ref().unwrap().text(text);
        assert!(down.contains("drop index") && !down.contains("create index"));
    }

    #[test]
    fn down_without_up_and_duplicate_versions_are_errors() {
        let d = dir(&[
            ("001_a.up.sql", "select 1;"),
            ("002_b.down.sql", "select 1;"),
        ]);
        assert!(discover(d.path()).unwrap_err().to_string().contains(
            "002_b.down.sql: a down migration without its up migration (expected 002_b.up.sql)"
        ));
        let d = dir(&[("001_a.sql", "select 1;"), ("001_b.sql", "select 1;")]);
        assert!(
            discover(d.path())
                .unwrap_err()
                .to_string()
                .contains("two migrations with the same version 001")
        );
    }

    #[test]
    fn empty_and_missing() {
        let d = dir(&[("README.md", "x")]);
        assert!(matches!(discover(d.path()), Err(DiscoverError::Empty(_))));
        assert!(matches!(
            discover(&d.path().join("nope")),
            Err(DiscoverError::Missing(_))
        ));
    }
}
