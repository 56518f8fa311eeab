//! Migration histories on disk: which files are migrations, in which order they run, which file undoes
//! which, and whether the tool that applies them wraps each in a transaction.
//!
//! Each tool's conventions (order, transaction, opt-out) are in [`Tool`] and docs/migrations.md, with
//! the tool's source cited. A folder's tool is recognised from its layout (`atlas.sum`, `sqitch.plan`,
//! goose and dbmate markers, popx file names, Flyway prefixes, diesel and Sourcegraph folders, morph's
//! marker) or named by the caller; up/down pairs with no other sign are golang-migrate's.
//!
//! Any file may say `-- dbarch:no-transaction` to declare that it runs outside a transaction.

mod graph;
mod manifest;
mod sections;
mod sqitch;
mod tool;

pub use tool::Tool;

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
    Goose,
    Refinery,
    Atlas,
    Sqitch,
    Popx,
    /// Folders ordered by the parents their `metadata.yaml` names (Sourcegraph).
    Graph,
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
    #[error("{path}: {message}")]
    Graph { path: String, message: String },
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

/// Whether the script says `-- dbarch:no-transaction` on a line of its own.
fn declares_dbarch_no_transaction(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l == "-- dbarch:no-transaction" || l.starts_with("-- dbarch:no-transaction ")
    })
}

/// Whether the script declares it must run outside a transaction (`-- dbarch:no-transaction`, or sqlx's
/// `-- no-transaction` first line).
pub fn declares_no_transaction(text: &str) -> bool {
    declares_dbarch_no_transaction(text)
        || text
            .lines()
            .next()
            .is_some_and(|l| l.trim() == "-- no-transaction")
}

/// What one entry of a migrations folder is.
enum Entry {
    Skip,
    Migration(Migration),
    /// A `*.down.sql` file, by the stem its up has.
    Down(String, PathBuf),
    /// A Flyway undo script, by version.
    Undo(String, PathBuf),
    /// A Flyway repeatable script (`R__name.sql`): run after every versioned one, by name.
    Repeatable(Migration),
    /// A folder ordered by its `metadata.yaml` parents.
    Graph(Migration, Vec<String>),
    /// An ory/popx file: the migration (or its down), its dialect (`None`: every dialect).
    Popx {
        migration: Migration,
        dialect: Option<String>,
        down: bool,
    },
}

/// Whether a script is wrapped in one `BEGIN; ... COMMIT;` of its own (Sourcegraph's migrator removes
/// those and wraps the script itself).
fn self_wrapped(text: &str) -> bool {
    let s = dbarch_sql::split::split(text);
    let word = |r: &dbarch_sql::split::RawStatement| {
        text.get(r.start..r.end)
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase()
    };
    matches!(
        (s.statements.first().map(word), s.statements.last().map(word)),
        (Some(b), Some(c)) if (b == "BEGIN" || b == "BEGIN TRANSACTION") && c == "COMMIT"
    )
}

fn section_script(p: &Path, text: &Arc<str>, range: Range<usize>) -> Script {
    Script {
        path: p.to_path_buf(),
        section: Some(range),
        contents: Some(text.clone()),
        unreadable: None,
    }
}

fn classify(p: &Path, read_file: ReadFile, tool: Option<Tool>) -> Result<Entry, DiscoverError> {
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
            let text = read(&up)?;
            let down = p.join("down.sql");
            let down = down.is_file().then(|| Script::file(down));
            let yaml = p.join("metadata.yaml");
            if tool == Some(Tool::Sourcegraph) || (tool.is_none() && yaml.is_file()) {
                // Sourcegraph: the id is what comes before the first `_`.
                let id = name.split('_').next().unwrap_or("").to_string();
                let meta = graph::metadata(&read_file(&yaml).unwrap_or_default());
                let transaction = if meta.create_index_concurrently {
                    // Run outside a transaction, as one query.
                    Transaction::Implicit
                } else if self_wrapped(&text) {
                    // The migrator strips the script's own BEGIN/COMMIT and wraps it: the same as the
                    // script's block sent as one query.
                    Transaction::Implicit
                } else {
                    Transaction::Wrapped
                };
                return Ok(Entry::Graph(
                    Migration {
                        version: id,
                        name: name.split_once('_').map_or("", |(_, n)| n).to_string(),
                        up: Script::read(up, &text),
                        down,
                        transaction,
                        layout: Layout::Graph,
                    },
                    meta.parents,
                ));
            }
            let meta = read_file(&p.join("metadata.toml")).unwrap_or_default();
            let no_tx = meta
                .lines()
                .any(|l| l.replace(' ', "") == "run_in_transaction=false")
                || declares_no_transaction(&text);
            return Ok(Entry::Migration(Migration {
                version,
                name: mname,
                up: Script::read(up, &text),
                down,
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
    // ory/popx: a dialect or `.autocommit` in the name (or the tool named).
    if let Some((version, pname, dialect, autocommit, down)) = tool::popx_name(&name)
        && (dialect.is_some() || autocommit || tool == Some(Tool::Popx))
    {
        let text = read(p)?;
        return Ok(Entry::Popx {
            migration: Migration {
                version,
                name: pname,
                up: Script::read(p.to_path_buf(), &text),
                down: None,
                // popx sends the file as one query, in a transaction unless `.autocommit`.
                transaction: if autocommit {
                    Transaction::Implicit
                } else {
                    Transaction::Wrapped
                },
                layout: Layout::Popx,
            },
            dialect,
            down,
        });
    }
    if let Some(s) = stem.strip_suffix(".down") {
        return Ok(Entry::Down(s.to_string(), p.to_path_buf()));
    }
    let refinery = tool == Some(Tool::Refinery);
    if !refinery
        && let Some(rest) = stem
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
    if let Some(rest) = stem.strip_prefix("R__").filter(|_| !refinery) {
        // Flyway repeatable: after the versioned migrations, ordered by description.
        return Ok(Entry::Repeatable(Migration {
            version: String::new(),
            name: rest.to_string(),
            up: Script::read(p.to_path_buf(), &text),
            down: None,
            transaction: flyway_transaction(p, &name, &text, no_tx, read_file),
            layout: Layout::Flyway,
        }));
    }
    if let Some(rest) = stem
        .strip_prefix('V')
        .or_else(|| stem.strip_prefix('U').filter(|_| refinery))
        .filter(|r| r.contains("__") && r.starts_with(|c: char| c.is_ascii_digit()))
    {
        let mut parts = rest.splitn(2, "__");
        // Flyway reads `_` in a version as `.`: `V1_1__x` is version 1.1.
        let version = parts.next().unwrap_or("").replace('_', ".");
        let name = parts.next().unwrap_or("").to_string();
        if refinery {
            // refinery: each migration in a transaction of its own, no way to opt out.
            return Ok(Entry::Migration(Migration {
                version,
                name,
                up: Script::read(p.to_path_buf(), &text),
                down: None,
                transaction: Transaction::wrapped_unless(no_tx),
                layout: Layout::Refinery,
            }));
        }
        return Ok(Entry::Migration(Migration {
            version,
            name,
            up: Script::read(p.to_path_buf(), &text),
            down: None,
            transaction: flyway_transaction(p, stem, &text, no_tx, read_file),
            layout: Layout::Flyway,
        }));
    }
    if let Some(s) = stem.strip_suffix(".up") {
        let (version, mname) = split_version(s);
        // golang-migrate sends the file as one query (an implicit transaction block); sqlx and morph
        // wrap it in a transaction of their own unless the file starts with their marker, and then
        // send it as one query too.
        let transaction = if declares_dbarch_no_transaction(&text) {
            Transaction::PerStatement
        } else {
            match tool {
                Some(Tool::Sqlx) if !text.starts_with("-- no-transaction") => Transaction::Wrapped,
                Some(Tool::Morph) if !text.starts_with(MORPH_MARKER) => Transaction::Wrapped,
                _ => Transaction::Implicit,
            }
        };
        return Ok(Entry::Migration(Migration {
            version,
            name: mname,
            up: Script::read(p.to_path_buf(), &text),
            down: None,
            transaction,
            layout: Layout::UpDownPairs,
        }));
    }
    let (version, mname) = split_version(stem);
    if tool.is_none_or(|t| t == Tool::Goose)
        && let Some(sec) = sections::goose(&text)
    {
        // goose sends the statements one by one, in a transaction unless NO TRANSACTION.
        return Ok(Entry::Migration(Migration {
            version,
            name: mname,
            up: section_script(p, &text, sec.up),
            down: sec.down.map(|d| section_script(p, &text, d)),
            transaction: Transaction::wrapped_unless(!sec.transaction || no_tx),
            layout: Layout::Goose,
        }));
    }
    if tool.is_none_or(|t| t == Tool::Dbmate)
        && let Some(sec) = sections::dbmate(&text)
    {
        // dbmate sends the section as one query: in its transaction, or an implicit block.
        return Ok(Entry::Migration(Migration {
            version,
            name: mname,
            up: section_script(p, &text, sec.up),
            down: sec.down.map(|d| section_script(p, &text, d)),
            transaction: if no_tx {
                Transaction::PerStatement
            } else if sec.transaction {
                Transaction::Wrapped
            } else {
                Transaction::Implicit
            },
            layout: Layout::Dbmate,
        }));
    }
    // sqlx's simple migrations (`1_name.sql`): in a transaction unless `-- no-transaction`.
    let transaction = match tool {
        Some(Tool::Sqlx) if text.starts_with("-- no-transaction") => Transaction::Implicit,
        Some(Tool::Sqlx) if !no_tx => Transaction::Wrapped,
        _ => Transaction::PerStatement,
    };
    Ok(Entry::Migration(Migration {
        version,
        name: mname,
        up: Script::file(p.to_path_buf()),
        down: None,
        transaction,
        layout: Layout::Plain,
    }))
}

/// morph's marker: the file must start with it.
const MORPH_MARKER: &str = "-- morph:nontransactional";

/// How Flyway runs a script: outside a transaction when its `.conf` says `executeInTransaction=false`,
/// or when a statement cannot run in one (then statement by statement); in one otherwise.
fn flyway_transaction(
    p: &Path,
    file: &str,
    text: &str,
    no_tx: bool,
    read_file: ReadFile,
) -> Transaction {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| format!("{file}.sql"));
    let conf = read_file(&p.with_file_name(format!("{name}.conf"))).unwrap_or_default();
    let conf_no_tx = conf.lines().any(|l| {
        l.replace(' ', "")
            .eq_ignore_ascii_case("executeInTransaction=false")
    });
    Transaction::wrapped_unless(no_tx || conf_no_tx || tool::flyway_non_transactional(text))
}

/// Find the migrations of a folder, in the order they run.
pub fn discover(dir: &Path) -> Result<Vec<Migration>, DiscoverError> {
    discover_with(dir, &read_file, None)
}

/// The tool a folder names without doubt by a file of its own: `atlas.sum` (Atlas), `sqitch.plan`
/// (Sqitch). (Other tools are recognised file by file: goose and dbmate markers, popx names, Flyway
/// prefixes, `metadata.yaml` and `metadata.toml` folders, an up file that starts with morph's marker.)
pub fn detect_tool(dir: &Path) -> Option<Tool> {
    if dir.join("atlas.sum").is_file() {
        return Some(Tool::Atlas);
    }
    if dir.join("sqitch.plan").is_file() {
        return Some(Tool::Sqitch);
    }
    None
}

/// [`discover`], reading files with `read_file`, for the folders of `tool` (`None`: detected from the
/// layout); the up scripts it read keep their text ([`Script::contents`]).
pub fn discover_with(
    dir: &Path,
    read_file: ReadFile,
    tool: Option<Tool>,
) -> Result<Vec<Migration>, DiscoverError> {
    use rayon::prelude::*;
    if !dir.is_dir() {
        return Err(DiscoverError::Missing(dir.display().to_string()));
    }
    let tool = tool.or_else(|| detect_tool(dir));
    match tool {
        Some(Tool::Sqitch) => return discover_sqitch(dir, read_file),
        Some(Tool::Atlas) => return discover_atlas(dir, read_file),
        _ => {}
    }
    let io = |source| DiscoverError::Io {
        path: dir.display().to_string(),
        source,
    };
    let entries = sorted_dir(dir).map_err(io)?;
    let mut out = vec![];
    let mut undo: Vec<(String, PathBuf)> = vec![];
    let mut downs: Vec<(String, PathBuf)> = vec![];
    let mut repeatable = vec![];
    let mut graph: Vec<(Migration, Vec<String>)> = vec![];
    let mut popx: Vec<(Migration, Option<String>, bool)> = vec![];
    // Each entry is looked at on its own (its files read for markers), in parallel; then in order.
    let classified: Vec<Result<Entry, DiscoverError>> = entries
        .par_iter()
        .map(|p| classify(p, read_file, tool))
        .collect();
    for entry in classified {
        match entry? {
            Entry::Skip => {}
            Entry::Migration(m) => out.push(m),
            Entry::Down(stem, path) => downs.push((stem, path)),
            Entry::Undo(version, path) => undo.push((version, path)),
            Entry::Repeatable(m) => repeatable.push(m),
            Entry::Graph(m, parents) => graph.push((m, parents)),
            Entry::Popx {
                migration,
                dialect,
                down,
            } => popx.push((migration, dialect, down)),
        }
    }
    // morph: an up file that starts with its marker says the folder is morph's; the others then run
    // in morph's transaction.
    if tool.is_none()
        && out.iter().any(|m| {
            m.layout == Layout::UpDownPairs
                && m.up
                    .contents
                    .as_deref()
                    .is_some_and(|t| t.starts_with(MORPH_MARKER))
        })
    {
        for m in out.iter_mut().filter(|m| m.layout == Layout::UpDownPairs) {
            if m.transaction == Transaction::Implicit
                && !m
                    .up
                    .contents
                    .as_deref()
                    .is_some_and(|t| t.starts_with(MORPH_MARKER))
            {
                m.transaction = Transaction::Wrapped;
            }
        }
    }
    if !popx.is_empty() {
        return popx_history(dir, out, downs, popx);
    }
    if !graph.is_empty() {
        return graph_history(dir, graph);
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
            && let Some((_, u)) = undo.iter().find(|(v, _)| v.replace('_', ".") == m.version)
        {
            m.down = Some(Script::file(u.clone()));
        }
    }
    // Beside versioned migrations, a loose file without a version (`data_seed.sql`) is not one: diesel,
    // golang-migrate, Flyway and dbmate all skip it.
    if out.iter().any(|m| !m.version.is_empty()) {
        out.retain(|m| !(m.layout == Layout::Plain && m.version.is_empty()));
    }
    if out.is_empty() && repeatable.is_empty() {
        return Err(DiscoverError::Empty(dir.display().to_string()));
    }
    // Run order is version order, with the dashes of `2019-02-26-002946` versions ignored, so that
    // `20140924113530_x` and `2020-07-14-113112_y` (both used in one diesel history) sort as dates.
    out.sort_by(|a, b| {
        natural_cmp(&a.version.replace('-', ""), &b.version.replace('-', ""))
            .then_with(|| natural_cmp(&a.name, &b.name))
    });
    check_versions(&out)?;
    // Flyway's repeatable scripts run after every versioned one, ordered by description.
    repeatable.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(repeatable);
    Ok(out)
}

fn check_versions(out: &[Migration]) -> Result<(), DiscoverError> {
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
    Ok(())
}

/// An ory/popx folder: per version, the PostgreSQL file if there is one, else the file for every dialect
/// (files of other dialects are not run on PostgreSQL); plain up/down pairs beside them are popx's too.
fn popx_history(
    dir: &Path,
    pairs: Vec<Migration>,
    downs: Vec<(String, PathBuf)>,
    mut popx: Vec<(Migration, Option<String>, bool)>,
) -> Result<Vec<Migration>, DiscoverError> {
    for mut m in pairs {
        if m.layout != Layout::UpDownPairs {
            continue;
        }
        m.layout = Layout::Popx;
        if m.transaction == Transaction::Implicit {
            m.transaction = Transaction::Wrapped;
        }
        popx.push((m, None, false));
    }
    for (stem, path) in downs {
        let (version, name) = split_version(&stem);
        popx.push((
            Migration {
                version,
                name,
                up: Script::file(path),
                down: None,
                transaction: Transaction::Wrapped,
                layout: Layout::Popx,
            },
            None,
            true,
        ));
    }
    popx.retain(|(_, d, _)| d.as_deref().is_none_or(|d| d == "postgres"));
    // For each (version, direction), the PostgreSQL file beats the one for every dialect.
    popx.sort_by(|a, b| {
        natural_cmp(&a.0.version, &b.0.version)
            .then(a.2.cmp(&b.2))
            .then(b.1.is_some().cmp(&a.1.is_some()))
    });
    popx.dedup_by(|b, a| a.0.version == b.0.version && a.2 == b.2);
    let (ups, downs): (Vec<_>, Vec<_>) = popx.into_iter().partition(|(_, _, down)| !down);
    let mut out: Vec<Migration> = ups.into_iter().map(|(m, _, _)| m).collect();
    for (d, _, _) in downs {
        if let Some(m) = out.iter_mut().find(|m| m.version == d.version) {
            m.down = Some(Script::file(d.up.path));
        }
    }
    if out.is_empty() {
        return Err(DiscoverError::Empty(dir.display().to_string()));
    }
    Ok(out)
}

/// Folders ordered by the parents their `metadata.yaml` names.
fn graph_history(
    dir: &Path,
    graph: Vec<(Migration, Vec<String>)>,
) -> Result<Vec<Migration>, DiscoverError> {
    let versions: Vec<String> = graph.iter().map(|(m, _)| m.version.clone()).collect();
    let parents: Vec<Vec<String>> = graph.iter().map(|(_, p)| p.clone()).collect();
    let order =
        graph::order(&versions, &parents, natural_cmp).map_err(|message| DiscoverError::Graph {
            path: dir.display().to_string(),
            message,
        })?;
    let mut slots: Vec<Option<Migration>> = graph.into_iter().map(|(m, _)| Some(m)).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// A Sqitch project: the plan's changes in order, `deploy/` as up and `revert/` as down, run by `psql
/// -f` (statement by statement; the script's own BEGIN ... COMMIT is its transaction).
fn discover_sqitch(dir: &Path, read_file: ReadFile) -> Result<Vec<Migration>, DiscoverError> {
    let plan_path = dir.join("sqitch.plan");
    let plan = read_file(&plan_path).map_err(DiscoverError::Read)?;
    let mut out = vec![];
    for (i, (name, tag)) in sqitch::plan_changes(&plan).into_iter().enumerate() {
        let (deploy, revert) = sqitch::scripts(dir, &name, tag.as_deref());
        if !deploy.is_file() {
            return Err(DiscoverError::Graph {
                path: plan_path.display().to_string(),
                message: format!("change {name} has no deploy script {}", deploy.display()),
            });
        }
        out.push(Migration {
            version: (i + 1).to_string(),
            name,
            up: Script::file(deploy),
            down: revert.is_file().then(|| Script::file(revert)),
            transaction: Transaction::PerStatement,
            layout: Layout::Sqitch,
        });
    }
    if out.is_empty() {
        return Err(DiscoverError::Empty(dir.display().to_string()));
    }
    Ok(out)
}

/// An Atlas folder (`atlas.sum`): every `.sql` file in name order, the version what comes before the
/// first `_`; Atlas runs each file in a transaction (`--tx-mode file`) unless the file's header says
/// `-- atlas:txmode none`, and sends its statements one by one.
fn discover_atlas(dir: &Path, read_file: ReadFile) -> Result<Vec<Migration>, DiscoverError> {
    let io = |source| DiscoverError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut out = vec![];
    for p in files {
        let text: Arc<str> = read_file(&p).map(Arc::from).map_err(DiscoverError::Read)?;
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let (version, name) = stem.split_once('_').unwrap_or((&stem, ""));
        // The directives are in the comment lines the file starts with.
        let none = text
            .lines()
            .take_while(|l| l.starts_with("--") || l.starts_with('#'))
            .any(|l| {
                l.split_once("atlas:txmode")
                    .is_some_and(|(_, v)| v.trim() == "none")
            });
        out.push(Migration {
            version: version.to_string(),
            name: name.to_string(),
            up: Script::read(p.clone(), &text),
            down: None,
            transaction: Transaction::wrapped_unless(none || declares_no_transaction(&text)),
            layout: Layout::Atlas,
        });
    }
    if out.is_empty() {
        return Err(DiscoverError::Empty(dir.display().to_string()));
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
        // One query per file (golang-migrate); with sqlx's marker, sqlx sends it as one query too.
        assert_eq!(m[0].transaction, Transaction::Implicit);
        assert_eq!(m[1].transaction, Transaction::Implicit);
        let sqlx = discover_with(d.path(), &read_file, Some(Tool::Sqlx)).unwrap();
        assert_eq!(sqlx[0].transaction, Transaction::Wrapped);
        assert_eq!(sqlx[1].transaction, Transaction::Implicit);
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
        // Outside dbmate's transaction the section is still one query: an implicit block.
        assert_eq!(m[0].transaction, Transaction::Implicit);
        let up = m[0].up.text(text);
        assert_eq!(up.len(), text.len());
        assert!(up.contains("create index concurrently") && !up.contains("drop index"));
        let down = m[0].down.as_ref().unwrap().text(text);
        assert!(down.contains("drop index") && !down.contains("create index"));
    }

    #[test]
    fn goose_files() {
        let d = dir(&[
            (
                "00001_init.sql",
                "-- +goose Up\ncreate table t (a int);\n-- +goose Down\ndrop table t;\n",
            ),
            (
                "00002_idx.sql",
                "-- +goose Up\n-- +goose NO TRANSACTION\ncreate index concurrently i on t (a);\n",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m[0].layout, Layout::Goose);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert!(
            m[0].down
                .as_ref()
                .unwrap()
                .text(m[0].up.contents.as_deref().unwrap())
                .contains("drop table")
        );
        assert_eq!(m[1].transaction, Transaction::PerStatement);
    }

    #[test]
    fn morph_marker_makes_the_folder_morphs() {
        let d = dir(&[
            (
                "000003_c_v6.0.up.sql",
                "create index concurrently j on t (a);",
            ),
            ("000001_a.up.sql", "create table t (a int);"),
            ("000001_a.down.sql", "drop table t;"),
            (
                "000002_b.up.sql",
                "-- morph:nontransactional\ncreate index concurrently i on t (a);",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert_eq!(m[1].transaction, Transaction::Implicit);
        // A dot in the name is part of it.
        assert_eq!(
            (m[2].version.as_str(), m[2].name.as_str()),
            ("000003", "c_v6.0")
        );
        assert_eq!(m[2].transaction, Transaction::Wrapped);
    }

    #[test]
    fn popx_prefers_the_postgres_file_and_skips_other_dialects() {
        let d = dir(&[
            ("20200101000000000000_a.up.sql", "create table t (a int);"),
            ("20200101000000000000_a.down.sql", "drop table t;"),
            ("20200102000000000000_b.mysql.up.sql", "select 'mysql';"),
            ("20200102000000000000_b.postgres.up.sql", "select 'pg';"),
            ("20200102000000000000_b.up.sql", "select 'all';"),
            ("20200102000000000000_b.down.sql", "select 'all down';"),
            (
                "20200103000000000000_c.postgres.autocommit.up.sql",
                "create index concurrently i on t (a);",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m.len(), 3);
        assert!(m.iter().all(|m| m.layout == Layout::Popx));
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert!(m[0].down.is_some());
        assert!(
            m[1].up
                .path
                .ends_with("20200102000000000000_b.postgres.up.sql")
        );
        assert!(
            m[1].down
                .as_ref()
                .unwrap()
                .path
                .ends_with("20200102000000000000_b.down.sql")
        );
        assert_eq!(m[2].transaction, Transaction::Implicit);
    }

    #[test]
    fn metadata_yaml_parents_order_the_folders() {
        let d = dir(&[
            ("1000_root/up.sql", "create table t (a int);"),
            ("1000_root/down.sql", "drop table t;"),
            ("1000_root/metadata.yaml", "name: root\nparents: []\n"),
            ("1001_second/up.sql", "select 2;"),
            ("1001_second/down.sql", "select 2;"),
            ("1001_second/metadata.yaml", "name: b\nparents: [1002]\n"),
            ("1002_first/up.sql", "create index concurrently i on t (a);"),
            ("1002_first/down.sql", "drop index i;"),
            (
                "1002_first/metadata.yaml",
                "name: a\nparents: [1000]\ncreateIndexConcurrently: true\n",
            ),
            ("1003_tx/up.sql", "BEGIN;\nselect 3;\nCOMMIT;\n"),
            ("1003_tx/down.sql", "select 3;"),
            ("1003_tx/metadata.yaml", "name: c\nparents: [1001]\n"),
        ]);
        let m = discover(d.path()).unwrap();
        let order: Vec<&str> = m.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(order, ["1000", "1002", "1001", "1003"]);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert_eq!(m[1].transaction, Transaction::Implicit);
        assert_eq!(m[3].transaction, Transaction::Implicit);
        let d2 = dir(&[
            ("1_a/up.sql", "select 1;"),
            ("1_a/metadata.yaml", "parents: [9]\n"),
        ]);
        assert!(
            discover(d2.path())
                .unwrap_err()
                .to_string()
                .contains("parent 9")
        );
    }

    #[test]
    fn sqitch_plan_order() {
        let d = dir(&[
            (
                "sqitch.plan",
                "%project=p\n\nzeta 2020-01-01T00:00:00Z A <a@x>\nalpha [zeta] 2020-01-02T00:00:00Z A <a@x>\n",
            ),
            ("deploy/zeta.sql", "BEGIN; create table z (a int); COMMIT;"),
            ("revert/zeta.sql", "BEGIN; drop table z; COMMIT;"),
            ("deploy/alpha.sql", "BEGIN; create table a (a int); COMMIT;"),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(
            m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            ["zeta", "alpha"]
        );
        assert_eq!(m[0].layout, Layout::Sqitch);
        assert_eq!(m[0].transaction, Transaction::PerStatement);
        assert!(m[0].down.is_some() && m[1].down.is_none());
    }

    #[test]
    fn atlas_folder() {
        let d = dir(&[
            ("atlas.sum", "h1:x=\n"),
            ("20220101000000_b.sql", "create table t (a int);"),
            (
                "20220102000000_idx.sql",
                "-- atlas:txmode none\n\ncreate index concurrently i on t (a);",
            ),
        ]);
        let m = discover(d.path()).unwrap();
        assert_eq!(m[0].layout, Layout::Atlas);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
        assert_eq!(m[1].transaction, Transaction::PerStatement);
    }

    #[test]
    fn flyway_repeatables_and_statements_that_cannot_run_in_a_transaction() {
        let d = dir(&[
            ("R__views.sql", "create or replace view v as select 1;"),
            ("V1_1__b.sql", "select 1;"),
            ("V1__a.sql", "select 1;"),
            ("V2__idx.sql", "create index concurrently i on t (a);"),
        ]);
        let m = discover(d.path()).unwrap();
        let order: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(order, ["a", "b", "idx", "views"]);
        assert_eq!(m[1].version, "1.1");
        assert_eq!(m[2].transaction, Transaction::PerStatement);
        assert_eq!(m[0].transaction, Transaction::Wrapped);
    }

    #[test]
    fn refinery_unversioned_files_are_migrations() {
        let d = dir(&[("V1__a.sql", "select 1;"), ("U2__b.sql", "select 2;")]);
        let m = discover_with(d.path(), &read_file, Some(Tool::Refinery)).unwrap();
        assert_eq!(m.len(), 2);
        assert!(
            m.iter()
                .all(|m| m.layout == Layout::Refinery && m.transaction == Transaction::Wrapped)
        );
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
