use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "DB019",
    name: "md5-passwords",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "Passwords are stored, or will be, as MD5 hashes.",
    doc: Doc {
        what: "`password_encryption = md5`, and roles whose stored password is an MD5 hash.",
        why: "MD5 password hashes can be replayed by anyone who reads them (the hash is the secret), and MD5 is deprecated in PostgreSQL 18. SCRAM-SHA-256 stores a salted verifier and never sends the password.",
        example: "SET password_encryption = 'md5';\nALTER ROLE app PASSWORD '...';",
        use_instead: "ALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();\n-- then set each password again (\\password app in psql)",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/auth-password.html"],
    },
    fixtures: fixtures!("DB019"),
    check: Check::Live,
};
