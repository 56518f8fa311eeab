//! TLS to a live database with libpq's sslmode meanings, against a throwaway cluster serving a
//! certificate signed by a test CA for the name `db.test`: verify-full accepts it for that name and refuses
//! it for another, verify-ca accepts it for any name, a foreign CA is refused, require encrypts without
//! checking, and verify-full without a root certificate says which file is missing.

use std::process::Command;

use crate::common::*;
use dbarch_testkit::{cluster, database};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca { cert, key }
}

fn run(args: &[&str], home: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dbarch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("PGSSLMODE")
        .env_remove("PGSSLROOTCERT")
        .output()
        .expect("run dbarch")
}

#[test]
fn sslmodes_check_certificates_as_libpq_does() {
    let c = cluster();
    let mut db = database(&c, "tls_shop");
    db.batch_execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        .unwrap();

    let authority = ca("dbarch test CA");
    let mut server = CertificateParams::new(vec!["db.test".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "db.test");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server
        .signed_by(&server_key, &authority.cert, &authority.key)
        .unwrap();
    c.enable_tls(&server_cert.pem(), &server_key.serialize_pem())
        .unwrap_or_else(|e| panic!("{e}\n{}", c.log()));

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let ca_file = write(dir.path(), "ca.pem", &authority.cert.pem());
    let other_ca = write(dir.path(), "other-ca.pem", &ca("someone else").cert.pem());
    let conn = |host: &str, mode: &str, root: Option<&std::path::Path>| {
        let mut s = format!(
            "host={host} hostaddr=127.0.0.1 port={} user=postgres dbname=tls_shop sslmode={mode}",
            c.port()
        );
        if let Some(r) = root {
            s.push_str(&format!(" sslrootcert='{}'", r.display()));
        }
        s
    };

    // The session is encrypted, and the server sees it so.
    let target =
        dbarch_live::target(Some(&conn("db.test", "verify-full", Some(&ca_file)))).unwrap();
    let mut client = dbarch_live::connect_read_only(&target).unwrap();
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "verify-full connected without TLS");

    // `dbarch lint --db CONN` connects (exit 0 or 1: findings or none) or is refused in one line (exit 2).
    let ok = |conn: &str| {
        let o = run(&["lint", "--db", conn], &home);
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{conn}: {}",
            stderr(&o)
        );
    };
    let refused = |conn: &str, says: &str| {
        let o = run(&["lint", "--db", conn], &home);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{conn} was accepted: {}",
            stdout(&o)
        );
        assert!(err.contains(says), "{conn}: expected `{says}` in: {err}");
        assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    };

    ok(&conn("db.test", "verify-full", Some(&ca_file)));
    // The certificate names db.test, not 127.0.0.1: verify-full refuses, verify-ca does not compare names.
    refused(
        &conn("127.0.0.1", "verify-full", Some(&ca_file)),
        "not valid for name",
    );
    ok(&conn("127.0.0.1", "verify-ca", Some(&ca_file)));
    // A certificate from another authority is refused under verify-ca.
    refused(
        &conn("db.test", "verify-ca", Some(&other_ca)),
        "UnknownIssuer",
    );
    // require: encrypted, the certificate not checked (no root certificate at hand).
    ok(&conn("127.0.0.1", "require", None));
    // verify-full without a root certificate: the missing default file is named.
    refused(&conn("db.test", "verify-full", None), "root.crt");
    // The URL form takes the same parameters.
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/tls_shop?sslmode=verify-ca&sslrootcert={}",
        c.port(),
        ca_file.display()
    );
    ok(&url);
}
