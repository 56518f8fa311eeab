//! A throwaway PostgreSQL cluster: `initdb` into a temporary directory, started on a free loopback port,
//! stopped and deleted when dropped. `dbarch migrate trace` runs migrations in one, and the test suites use
//! it (through `dbarch-testkit`) so no test depends on a server left running.
//!
//! `initdb` refuses to run as root, so as root every server command runs as the `postgres` user
//! (`runuser -u postgres --`) and the directory is handed to that user.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl) not found: install the server (as root: `apt-get install -y postgresql-15`) or set DBARCH_PG_BINDIR to the directory that holds initdb"
    )]
    NoServer,
    #[error(
        "running as root, but there is no `postgres` user to run the server as (initdb refuses root): create it (`useradd -r postgres`) or run as another user"
    )]
    NoServerUser,
    #[error("{step} failed: {detail}")]
    Step { step: String, detail: String },
    #[error("cannot create a temporary directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot connect to the throwaway cluster: {0}")]
    Connect(#[from] postgres::Error),
}

/// A running throwaway cluster. Trust authentication, superuser `postgres`, loopback only.
pub struct TempCluster {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    run_as: Option<String>,
    version: u32,
}

impl TempCluster {
    /// initdb and start. Takes a second or two.
    pub fn start() -> Result<Self, ClusterError> {
        let mut cluster = Self::empty()?;
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            [
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-U"),
                OsStr::new("postgres"),
                OsStr::new("-A"),
                OsStr::new("trust"),
                OsStr::new("-E"),
                OsStr::new("UTF8"),
                OsStr::new("--locale=C"),
                OsStr::new("--no-sync"),
            ],
        )?;
        cluster.launch()?;
        Ok(cluster)
    }

    /// A hot standby of this cluster (streaming replication, in recovery): a base backup started on a port
    /// of its own.
    pub fn start_standby(&self) -> Result<Self, ClusterError> {
        let mut standby = Self::empty()?;
        let data = standby.data_dir();
        let port = self.port.to_string();
        standby.run(
            "pg_basebackup",
            [
                OsStr::new("-h"),
                OsStr::new("127.0.0.1"),
                OsStr::new("-p"),
                OsStr::new(&port),
                OsStr::new("-U"),
                OsStr::new("postgres"),
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-R"),
                OsStr::new("-X"),
                OsStr::new("stream"),
                // An immediate checkpoint: the default spread one waits minutes on an idle primary.
                OsStr::new("-c"),
                OsStr::new("fast"),
                OsStr::new("--no-sync"),
            ],
        )?;
        standby.launch()?;
        Ok(standby)
    }

    /// A directory for a cluster, owned by the server's user, not started yet.
    fn empty() -> Result<Self, ClusterError> {
        let bindir = find_bindir().ok_or(ClusterError::NoServer)?;
        let run_as = if unsafe { libc::geteuid() } == 0 {
            Some("postgres".to_string())
        } else {
            None
        };
        // As root, the server user must be able to reach the directory: /tmp is world-traversable, a root
        // TMPDIR may not be.
        let parent = if run_as.is_some() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        sweep_abandoned(&parent, &bindir, run_as.as_deref());
        let dir = tempfile::Builder::new()
            .prefix("dbarch-pg-")
            .tempdir_in(parent)?;
        // Who owns this cluster: a later start removes it if this process died without dropping it.
        std::fs::write(dir.path().join("owner.pid"), std::process::id().to_string())?;
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user).ok_or(ClusterError::NoServerUser)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        Ok(TempCluster {
            dir,
            bindir,
            port: 0,
            run_as,
            version: 0,
        })
    }

    /// Start the server on a free port and read its version.
    fn launch(&mut self) -> Result<(), ClusterError> {
        // A free port can be taken between our probe and the server's bind: try a few.
        let mut last = None;
        for _ in 0..5 {
            self.port = free_port()?;
            match self.pg_ctl_start() {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            self.port = 0;
            return Err(e);
        }
        let mut client = self.connect("postgres")?;
        let num: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])?
            .try_get(0)?;
        self.version = (num / 10000) as u32;
        Ok(())
    }

    /// The server's major version (15 for 15.8).
    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where the server's programs are (pg_dump of the same version, say).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The directory of the server's Unix-domain socket (a libpq `host=` for it).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A connection URL for one database of the cluster (no password: trust authentication).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn config(&self, database: &str) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname(database)
            .application_name("dbarch");
        c
    }

    pub fn connect(&self, database: &str) -> Result<postgres::Client, ClusterError> {
        Ok(self.config(database).connect(postgres::NoTls)?)
    }

    /// A new empty database, so tests sharing a cluster do not see each other's objects.
    pub fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let mut c = self.connect("postgres")?;
        c.batch_execute(&format!("CREATE DATABASE {}", crate::quote_ident(name)))?;
        Ok(())
    }

    /// Turn TLS on with this certificate and key (PEM): the files go into the data directory (owned by
    /// the server's user, mode 0600), `ssl = on`, and the configuration is reloaded.
    pub fn enable_tls(&self, cert_pem: &str, key_pem: &str) -> Result<(), ClusterError> {
        use std::os::unix::fs::PermissionsExt;
        let data = self.data_dir();
        for (name, text) in [("server.crt", cert_pem), ("server.key", key_pem)] {
            let path = data.join(name);
            std::fs::write(&path, text)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            if let Some(user) = &self.run_as {
                let (uid, gid) = user_ids(user).ok_or(ClusterError::NoServerUser)?;
                std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
            }
        }
        let mut c = self.connect("postgres")?;
        c.batch_execute("ALTER SYSTEM SET ssl = on")?;
        c.query_one("SELECT pg_reload_conf()", &[])?;
        // The reload is asynchronous: wait until a new session sees it.
        for _ in 0..50 {
            let mut fresh = self.connect("postgres")?;
            let on: String = fresh.query_one("SHOW ssl", &[])?.get(0);
            if on == "on" {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(ClusterError::Step {
            step: "enable TLS".into(),
            detail: format!("ssl is still off after a reload\n{}", self.log()),
        })
    }

    /// The server's log so far (for error messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Whether the server's library directory holds the module (`pg_config --pkglibdir`); taken to be
    /// there when pg_config cannot say.
    fn has_module(&self, module: &str) -> bool {
        let Ok(out) = std::process::Command::new(self.bindir.join("pg_config"))
            .arg("--pkglibdir")
            .output()
        else {
            return true;
        };
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        !out.status.success()
            || dir.is_empty()
            || Path::new(&dir).join(format!("{module}.so")).is_file()
    }

    fn pg_ctl_start(&self) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=30 -c shared_buffers=32MB",
            self.port,
            self.dir.path().display()
        );
        // Preloaded when the server has it: a build without contrib modules (the 16 and 18 servers the
        // version checks use) still starts, and a test that needs the module says it is missing.
        if self.has_module("pg_stat_statements") {
            options.push_str(" -c shared_preload_libraries=pg_stat_statements");
        }
        self.run(
            "pg_ctl",
            [
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
                OsStr::new("-o"),
                OsStr::new(&options),
                OsStr::new("start"),
            ],
        )
        .map_err(|e| match e {
            ClusterError::Step { step, detail } => ClusterError::Step {
                step,
                detail: format!("{detail}\nserver log:\n{}", tail(&self.log(), 20)),
            },
            e => e,
        })
    }

    fn run<'a>(
        &self,
        program: &str,
        args: impl IntoIterator<Item = &'a OsStr>,
    ) -> Result<(), ClusterError> {
        let exe = self.bindir.join(program);
        let mut cmd = server_command(&exe, self.run_as.as_deref());
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd.output().map_err(|e| ClusterError::Step {
            step: program.to_string(),
            detail: format!("cannot run {}: {e}", exe.display()),
        })?;
        check(program, out)
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data_dir();
            let _ = self.run(
                "pg_ctl",
                [
                    OsStr::new("-D"),
                    data.as_os_str(),
                    OsStr::new("-m"),
                    OsStr::new("immediate"),
                    OsStr::new("-w"),
                    OsStr::new("stop"),
                ],
            );
        }
    }
}

/// Clusters left behind by processes that were killed before they could drop them (a server still
/// running, gigabytes of data): stopped and removed. Only directories with an `owner.pid` of a process
/// that no longer exists are touched.
fn sweep_abandoned(parent: &Path, bindir: &Path, run_as: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let dir = e.path();
        let named = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("dbarch-pg-"));
        let Some(pid) = named
            .then(|| std::fs::read_to_string(dir.join("owner.pid")).ok())
            .flatten()
            .and_then(|p| p.trim().parse::<i32>().ok())
        else {
            continue;
        };
        // kill(pid, 0): ESRCH when no such process.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
        if alive {
            continue;
        }
        let data = dir.join("data");
        let _ = server_command(&bindir.join("pg_ctl"), run_as)
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A server program, run as `user` when given (as root: `runuser -u postgres --`).
fn server_command(exe: &Path, user: Option<&str>) -> Command {
    match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(exe);
            c
        }
        None => Command::new(exe),
    }
}

fn check(step: &str, out: Output) -> Result<(), ClusterError> {
    if out.status.success() {
        return Ok(());
    }
    let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&out.stdout).trim().to_string();
    }
    Err(ClusterError::Step {
        step: step.to_string(),
        detail: tail(&detail, 20),
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `DBARCH_PG_BINDIR`, else the newest `/usr/lib/postgresql/N/bin` (Debian's layout), else `pg_config
/// --bindir`, else `initdb` on PATH.
fn find_bindir() -> Option<PathBuf> {
    let has_initdb = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("DBARCH_PG_BINDIR") {
        let d = PathBuf::from(d);
        return has_initdb(&d).then_some(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_initdb(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_initdb(&d) {
            return Some(d);
        }
    }
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).find(|d| has_initdb(d)))
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    let pw = unsafe { &*pw };
    Some((pw.pw_uid, pw.pw_gid))
}
