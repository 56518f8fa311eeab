use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB020",
    name: "ssl-off",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "The server does not accept TLS connections.",
    doc: Doc {
        what: "`ssl = off`.",
        why: "Without TLS, passwords (for md5 and password authentication), queries and results cross the network in clear text, and clients cannot verify they reached the right server.",
        example: "-- SHOW ssl;  off",
        use_instead: "-- install a certificate and key, then:\nALTER SYSTEM SET ssl = on;\nSELECT pg_reload_conf();\n-- and require it in pg_hba.conf (hostssl) and in clients (sslmode=verify-full)",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/ssl-tcp.html"],
    },
    fixtures: fixtures!("DB020"),
    check: Check::Live,
};
