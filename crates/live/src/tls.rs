//! TLS for connections to users' databases, with libpq's `sslmode` meanings:
//!
//! - `disable`: plain TCP. `allow`, `prefer` (the default): TLS when the server offers it, else plain.
//! - `require`: TLS or nothing; the certificate is not checked unless a root certificate is at hand, in
//!   which case the chain is (as libpq does when `~/.postgresql/root.crt` exists).
//! - `verify-ca`: the server's chain must lead to the root certificate (`sslrootcert`, default
//!   `~/.postgresql/root.crt`). `verify-full`: that, and the certificate must name the host.
//!
//! `sslrootcert=system` uses the system's trusted roots and implies `verify-full`, as libpq 16 does.
//! `sslcert`/`sslkey` (default `~/.postgresql/postgresql.crt` / `.key` when present) authenticate the client.
//! The same settings come from `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT` and `PGSSLKEY`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// The connection-string parameters this module reads (the driver does not know them).
pub const PARAMETERS: [&str; 10] = [
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslcrldir",
    "sslpassword",
    "sslsni",
    "sslcompression",
    "ssl_min_protocol_version",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                // The value is echoed only when it is a plain word: in a malformed string it can run on
                // into the password.
                let plain = other.len() <= 20
                    && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                let shown = if plain {
                    format!(" `{other}`")
                } else {
                    String::new()
                };
                return Err(format!(
                    "invalid sslmode{shown} (one of disable, allow, prefer, require, verify-ca, verify-full)"
                ));
            }
        })
    }
}

/// Where the root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    File(PathBuf),
    /// The system's trusted roots (`sslrootcert=system`).
    System,
}

#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: Option<Roots>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

fn postgresql_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql"))
}

impl TlsSettings {
    /// From the parameters taken out of the connection string, with the `PGSSL*` variables (`env`) for
    /// those it does not give.
    pub fn from_parameters(
        given: &[(String, String)],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let get = |key: &str, var: &str| {
            given
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .or_else(|| env(var))
                .filter(|v| !v.is_empty())
        };
        for unsupported in ["sslcrl", "sslcrldir", "sslpassword"] {
            if given.iter().any(|(k, _)| k == unsupported) {
                return Err(format!("{unsupported} is not supported by dbarch"));
            }
        }
        let root_cert = get("sslrootcert", "PGSSLROOTCERT").map(|r| {
            if r == "system" {
                Roots::System
            } else {
                Roots::File(PathBuf::from(r))
            }
        });
        let mut mode = match get("sslmode", "PGSSLMODE") {
            Some(m) => m.parse()?,
            None => SslMode::Prefer,
        };
        if root_cert == Some(Roots::System) {
            if matches!(mode, SslMode::Disable | SslMode::Allow | SslMode::Prefer) {
                return Err(format!(
                    "sslrootcert=system needs sslmode=verify-full (not {})",
                    get("sslmode", "PGSSLMODE").unwrap_or_else(|| "prefer".into())
                ));
            }
            mode = SslMode::VerifyFull;
        }
        Ok(TlsSettings {
            mode,
            root_cert,
            cert: get("sslcert", "PGSSLCERT").map(PathBuf::from),
            key: get("sslkey", "PGSSLKEY").map(PathBuf::from),
        })
    }

    /// The driver's view: whether TLS is tried, and whether it is required.
    pub fn driver_mode(&self) -> postgres::config::SslMode {
        use postgres::config::SslMode as D;
        match self.mode {
            SslMode::Disable => D::Disable,
            SslMode::Allow | SslMode::Prefer => D::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => D::Require,
        }
    }

    /// The TLS client configuration, or `None` for `sslmode=disable`. Errors name the file and the mode.
    pub fn client_config(&self) -> Result<Option<ClientConfig>, String> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let default_root = postgresql_dir().map(|d| d.join("root.crt"));
        let roots: Option<RootCertStore> = match &self.root_cert {
            Some(Roots::System) => Some(system_roots()?),
            Some(Roots::File(p)) => Some(file_roots(p)?),
            None => match &default_root {
                Some(p) if p.is_file() => Some(file_roots(p)?),
                _ => None,
            },
        };
        let verify = matches!(self.mode, SslMode::VerifyCa | SslMode::VerifyFull);
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match roots {
            None if verify => {
                let shown = default_root
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "~/.postgresql/root.crt".into());
                return Err(format!(
                    "sslmode={} needs the server's root certificate, and {shown} does not exist: give sslrootcert=FILE (or sslrootcert=system for the system's trusted roots)",
                    self.mode_name()
                ));
            }
            // No root certificate and no verification asked: encrypted, the server not authenticated.
            None => Arc::new(Lenient {
                chain: None,
                provider: provider.clone(),
            }),
            Some(roots) => {
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| format!("TLS setup: {e}"))?;
                if self.mode == SslMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(Lenient {
                        chain: Some(webpki),
                        provider: provider.clone(),
                    })
                }
            }
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let (cert, key) = self.client_files();
        let config = match (cert, key) {
            (Some(cert), Some(key)) => {
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
                    .map_err(|e| format!("sslcert {}: {e}", cert.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("sslcert {}: {e}", cert.display()))?;
                let key = PrivateKeyDer::from_pem_file(&key)
                    .map_err(|e| format!("sslkey {}: {e}", key.display()))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("sslcert/sslkey: {e}"))?
            }
            (Some(cert), None) => {
                return Err(format!("sslcert {} given without sslkey", cert.display()));
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(Some(config))
    }

    fn mode_name(&self) -> &'static str {
        match self.mode {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// The client certificate and key: as given, else libpq's default files when the certificate exists.
    fn client_files(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        if self.cert.is_some() {
            let key = self.key.clone().or_else(|| {
                postgresql_dir()
                    .map(|d| d.join("postgresql.key"))
                    .filter(|p| p.is_file())
            });
            return (self.cert.clone(), key);
        }
        let Some(dir) = postgresql_dir() else {
            return (None, None);
        };
        let cert = dir.join("postgresql.crt");
        if !cert.is_file() {
            return (None, None);
        }
        let key = self
            .key
            .clone()
            .unwrap_or_else(|| dir.join("postgresql.key"));
        (Some(cert), Some(key))
    }
}

fn file_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        store
            .add(cert)
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    }
    if store.is_empty() {
        return Err(format!(
            "sslrootcert {}: no PEM certificate in the file",
            path.display()
        ));
    }
    Ok(store)
}

fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err("sslrootcert=system: no trusted root certificate found on this system".into());
    }
    Ok(store)
}

/// The checks short of `verify-full`. With a chain verifier (`verify-ca`, or a root certificate at hand):
/// the chain must lead to a trusted root, but the name in the certificate is not compared with the host
/// (webpki checks the chain before the name, so a name mismatch means the chain was good). Without one
/// (`prefer`/`require` and no root certificate): encryption only, as libpq does. Either way the handshake
/// signatures are checked against the certificate the server sent.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<TlsSettings, String> {
        let given: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TlsSettings::from_parameters(&given, |_| None)
    }

    #[test]
    fn modes_and_defaults() {
        assert_eq!(settings(&[]).unwrap().mode, SslMode::Prefer);
        assert_eq!(
            settings(&[("sslmode", "verify-ca")]).unwrap().mode,
            SslMode::VerifyCa
        );
        assert!(settings(&[("sslmode", "verify")]).is_err());
        // sslrootcert=system implies verify-full; with prefer it is refused.
        assert_eq!(
            settings(&[("sslmode", "require"), ("sslrootcert", "system")])
                .unwrap()
                .mode,
            SslMode::VerifyFull
        );
        assert!(settings(&[("sslrootcert", "system")]).is_err());
        assert!(settings(&[("sslcrl", "/x")]).is_err());
        // The environment fills what the string leaves out.
        let s = TlsSettings::from_parameters(&[], |k| {
            (k == "PGSSLMODE").then(|| "require".to_string())
        })
        .unwrap();
        assert_eq!(s.mode, SslMode::Require);
    }

    #[test]
    fn verification_without_a_root_certificate_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let s = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some(Roots::File(home.path().join("missing.pem"))),
            ..Default::default()
        };
        let e = s.client_config().unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
    }
}
