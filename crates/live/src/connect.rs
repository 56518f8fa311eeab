//! Connecting to a user's database: a URL (or libpq key=value string), else the standard `PG*`
//! environment variables, with the password from `PGPASSWORD` or `~/.pgpass` when the URL has none. Every
//! session is read-only, with a statement and a lock timeout, and says `application_name=dbarch`. Messages
//! never show a password.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;

use crate::redact_url;
use crate::tls::TlsSettings;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{target}: not a connection string: {message}")]
    BadUrl { target: String, message: String },
    #[error("{target}: {message}")]
    Connect { target: String, message: String },
    #[error(
        "{target}: PostgreSQL {version} is older than 15, the oldest version dbarch reads (the oldest the PostgreSQL community still supports, and the oldest its tests run against)"
    )]
    TooOld { target: String, version: String },
    #[error("{target}: {message}")]
    Tls { target: String, message: String },
    #[error(
        "{target}: the server is a replica (in recovery); `{what}` writes and needs the primary"
    )]
    Replica { target: String, what: String },
}

/// How long connecting may take when the connection string does not say (`connect_timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to connect, as the user gave it (redacted for messages).
#[derive(Debug, Clone)]
pub struct Target {
    pub config: postgres::Config,
    pub tls: TlsSettings,
    /// The URL or description without its password.
    pub shown: String,
}

impl Target {
    /// A message without the password, should a driver's error repeat it.
    pub fn hide(&self, message: &str) -> String {
        match self.config.get_password().map(String::from_utf8_lossy) {
            Some(p) if p.len() >= 2 => message.replace(p.as_ref(), "****"),
            _ => message.to_string(),
        }
    }
}

/// Build the connection settings from `--db` (or nothing: the environment).
pub fn target(db: Option<&str>) -> Result<Target, ConnectError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    // The TLS parameters are dbarch's (the driver knows only disable/prefer/require): taken out first.
    let (mut config, shown, tls_given) = match db {
        Some(url) => {
            let shown = redact_url(url);
            let (rest, tls_given) = crate::conninfo::take(url, &crate::tls::PARAMETERS);
            let config = postgres::Config::from_str(&rest).map_err(|e| ConnectError::BadUrl {
                target: shown.clone(),
                message: crate::conninfo::scrub(&e.to_string(), url),
            })?;
            (config, shown, tls_given)
        }
        None => (postgres::Config::new(), String::new(), vec![]),
    };
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) => {
                config.host(&h);
            }
            None => {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty()
        && let Some(p) = env("PGPORT").and_then(|p| p.parse::<u16>().ok())
    {
        config.port(p);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(d) = env("PGDATABASE")
    {
        config.dbname(&d);
    }
    if config.get_password().is_none()
        && let Some(p) = env("PGPASSWORD").or_else(|| pgpass(&config))
    {
        config.password(p);
    }
    config.application_name("dbarch");
    // libpq's connect_timeout when the string gives one (`?connect_timeout=3`), else 10 s; it bounds the
    // whole handshake (see `connect`). Keepalives find a peer that went away during a long query.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    config.keepalives(true);
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(Duration::from_secs(30));
    }
    let shown = if shown.is_empty() {
        describe(&config)
    } else {
        shown
    };
    let tls =
        TlsSettings::from_parameters(&tls_given, env).map_err(|message| ConnectError::BadUrl {
            target: shown.clone(),
            // A parameter's value can hold the password when the string is malformed.
            message: match db {
                Some(url) => crate::conninfo::scrub(&message, url),
                None => message,
            },
        })?;
    config.ssl_mode(tls.driver_mode());
    Ok(Target { config, tls, shown })
}

/// `user@host:port/db` for messages (never the password).
pub fn describe(c: &postgres::Config) -> String {
    let host = c
        .get_hosts()
        .first()
        .map(|h| match h {
            Host::Tcp(h) => h.clone(),
            Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_default();
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        c.get_user().unwrap_or(""),
        c.get_dbname().unwrap_or(c.get_user().unwrap_or(""))
    )
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives for this host, port, database and user.
fn pgpass(c: &postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = dbarch_sql::read::read_text(&path, 1).ok()?;
    let host = match c.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = c.get_user().unwrap_or("");
    let db = c.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, &host, &port, db, user)
}

/// One `hostname:port:database:username:password` line per entry; `*` matches anything; `\:` and `\\`
/// escape; the first match wins.
pub fn pgpass_lookup(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = vec![String::new()];
        let mut chars = line.chars();
        while let Some(ch) = chars.next() {
            match ch {
                '\\' => {
                    if let Some(n) = chars.next() {
                        fields.last_mut()?.push(n);
                    }
                }
                ':' if fields.len() < 5 => fields.push(String::new()),
                other => fields.last_mut()?.push(other),
            }
        }
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], host)
            && matches(&fields[1], port)
            && matches(&fields[2], db)
            && matches(&fields[3], user)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// Open a session as the target says (TLS per its sslmode), checking the server is PostgreSQL 11 or later.
pub fn connect(t: &Target) -> Result<postgres::Client, ConnectError> {
    // Over a Unix-domain socket there is no TLS (libpq ignores sslmode there): the socket directory is
    // not a host name a certificate could name.
    let unix = {
        let hosts = t.config.get_hosts();
        !hosts.is_empty()
            && hosts
                .iter()
                .all(|h| matches!(h, postgres::config::Host::Unix(_)))
    };
    let tls = if unix {
        None
    } else {
        t.tls.client_config().map_err(|message| ConnectError::Tls {
            target: t.shown.clone(),
            message,
        })?
    };
    // The driver's connect_timeout bounds the TCP connect only: a server that accepts and never answers
    // would hold the startup for ever. The whole handshake (TCP, TLS, startup, authentication) runs on a
    // helper thread, given up after the timeout (the thread is left to the end of the process).
    let timeout = t
        .config
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let config = t.config.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("dbarch-connect".into())
        .spawn(move || {
            let connected = match tls {
                None => config.connect(postgres::NoTls),
                Some(c) => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(c)),
            };
            let _ = tx.send(connected.map_err(|e| explain(&e)));
        })
        .map_err(|e| ConnectError::Connect {
            target: t.shown.clone(),
            message: format!("cannot start connecting: {e}"),
        })?;
    let connected = rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(format!(
            "no answer from the server within {} s (connect_timeout)",
            timeout.as_secs_f64()
        ))
    });
    let mut client = connected.map_err(|message| ConnectError::Connect {
        target: t.shown.clone(),
        message: t.hide(&message),
    })?;
    // Only versions the tests run against are read: a catalog column that differs in an older one would
    // make a wrong report, not an error.
    let version = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
            &[],
        )
        .map_err(|e| ConnectError::Connect {
            target: t.shown.clone(),
            message: explain(&e),
        })?;
    let number = version.try_get::<_, i32>(0).unwrap_or(0);
    if number < OLDEST_SERVER {
        return Err(ConnectError::TooOld {
            target: t.shown.clone(),
            version: version
                .try_get::<_, String>(1)
                .unwrap_or_else(|_| "(unknown)".to_string()),
        });
    }
    Ok(client)
}

/// The oldest server version dbarch connects to (`server_version_num`): PostgreSQL 15.
pub const OLDEST_SERVER: i32 = 150000;

/// Open a session for a command that writes (`what`, for the message): refused on a replica.
pub fn connect_primary(t: &Target, what: &str) -> Result<postgres::Client, ConnectError> {
    let mut client = connect(t)?;
    let in_recovery: bool = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .and_then(|r| r.try_get(0))
        .map_err(|e| ConnectError::Connect {
            target: t.shown.clone(),
            message: explain(&e),
        })?;
    if in_recovery {
        return Err(ConnectError::Replica {
            target: t.shown.clone(),
            what: what.to_string(),
        });
    }
    Ok(client)
}

/// Open a read-only session: `default_transaction_read_only`, a statement timeout and a lock timeout.
pub fn connect_read_only(t: &Target) -> Result<postgres::Client, ConnectError> {
    let mut client = connect(t)?;
    client
        .batch_execute(
            "SET default_transaction_read_only = on; SET statement_timeout = '60s'; \
             SET lock_timeout = '2s'; SET idle_in_transaction_session_timeout = '120s'",
        )
        .map_err(|e| ConnectError::Connect {
            target: t.shown.clone(),
            message: explain(&e),
        })?;
    Ok(client)
}

/// `EXPLAIN (FORMAT JSON)` of a user's query, as JSON text. The query must be one statement the guard
/// lets through ([`dbarch_sql::guard`]: refused before anything is sent), and it is sent alone with the
/// extended query protocol, which takes one statement per message. With `analyze` the query runs, in a
/// read-only transaction that is always rolled back.
pub fn explain_plan(
    client: &mut postgres::Client,
    query: &str,
    analyze: bool,
) -> Result<String, Refused> {
    use dbarch_sql::guard::{Use, sendable};
    let how = if analyze { Use::Run } else { Use::Plan };
    let statement = sendable(query, how).map_err(Refused::Query)?;
    let options = if analyze {
        "FORMAT JSON, ANALYZE, BUFFERS"
    } else {
        "FORMAT JSON"
    };
    let sql = format!("EXPLAIN ({options}) {statement}");
    if !analyze {
        return plan_text(client, &sql).map_err(Refused::Server);
    }
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| Refused::Server(explain(&e)))?;
    let text = plan_text(&mut tx, &sql);
    tx.rollback().map_err(|e| Refused::Server(explain(&e)))?;
    text.map_err(Refused::Server)
}

/// Why a query was not planned: refused before sending, or by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Query(String),
    Server(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Query(m) => write!(f, "not sent: {m}"),
            Refused::Server(m) => f.write_str(m),
        }
    }
}

/// The first column of the first row of one statement sent with the extended protocol, as text
/// (EXPLAIN's JSON plan is of type json).
pub fn plan_text(client: &mut impl postgres::GenericClient, sql: &str) -> Result<String, String> {
    let rows = client.query(sql, &[]).map_err(|e| explain(&e))?;
    let row = rows
        .first()
        .ok_or_else(|| "the statement returned no row".to_string())?;
    row.try_get::<_, AnyText>(0)
        .map(|t| t.0)
        .map_err(|e| format!("unexpected result: {e}"))
}

/// A value of any type as its text: EXPLAIN's plan is `json` (text form in binary), `text` or `xml`.
struct AnyText(String);

impl<'a> postgres::types::FromSql<'a> for AnyText {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        // jsonb's binary form is a version byte, then the text.
        let raw = match (ty, raw.split_first()) {
            (&postgres::types::Type::JSONB, Some((1, rest))) => rest,
            _ => raw,
        };
        Ok(AnyText(std::str::from_utf8(raw)?.to_string()))
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

/// A driver error as one line: the server's message when there is one, else the cause.
pub fn explain(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s = format!("{s}: {cause}");
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_lines() {
        let text =
            "# comment\nother:5432:*:app:nope\ndb\\:1:*:shop:app:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "db:1", "5432", "shop", "app").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, "x", "1", "y", "z").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("h:1:d:u:p\n", "h", "2", "d", "u"), None);
    }

    /// A server that accepts the connection and never answers: given up after connect_timeout, with
    /// the password hidden.
    #[test]
    fn a_silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = vec![];
            for s in listener.incoming() {
                held.push(s);
            }
        });
        let t = target(Some(&format!(
            "postgres://u:s3cret@127.0.0.1:{port}/db?connect_timeout=1"
        )))
        .unwrap();
        let started = std::time::Instant::now();
        let e = connect(&t).err().expect("no server answers");
        assert!(started.elapsed() < Duration::from_secs(5), "{e}");
        let e = e.to_string();
        assert!(e.contains("no answer from the server within 1 s"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        // Without a timeout in the string: the default.
        let t = target(Some(&format!("postgres://u@127.0.0.1:{port}/db"))).unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&DEFAULT_CONNECT_TIMEOUT)
        );
        assert!(t.config.get_keepalives());
    }

    #[test]
    fn messages_hide_the_password() {
        let t = target(Some("postgres://app:s3cret@db.example:6432/shop")).unwrap();
        assert_eq!(t.shown, "postgres://app:****@db.example:6432/shop");
        assert_eq!(t.config.get_application_name(), Some("dbarch"));
        let e = target(Some("postgres://app:s3cret@db:notaport/shop")).unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
