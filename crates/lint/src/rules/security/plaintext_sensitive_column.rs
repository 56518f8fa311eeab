use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "SEC001",
    name: "plaintext-sensitive-column",
    category: Category::Security,
    severity: Severity::Error,
    summary: "A column appears to store a password, secret, token, card number or national id in clear.",
    doc: Doc {
        what: "Columns named like credentials or regulated data — `password`, `passwd`, `secret`, `api_key`, \
               `token`, `access_token`, `private_key`, `ssn`, `social_security_number`, `card_number`, `cvv`, \
               `iban` — of a text type, unless the name says the value is protected (`_hash`, `_digest`, \
               `_encrypted`, `_enc`, `_hmac`, `_last4`, `_fingerprint`).",
        why: "A database dump, a replica, a backup, a log of slow queries or one SQL injection then discloses \
              every user's credentials or card data. Passwords must be stored as slow salted hashes (argon2id, \
              bcrypt, scrypt); tokens and API keys as a fast hash (SHA-256) of a high-entropy value; card numbers \
              not at all (tokenize with the processor, PCI DSS); national ids encrypted.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, password text NOT NULL);",
        use_instead: "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL,\n    password_hash text NOT NULL  -- argon2id/bcrypt output, never the password\n);",
        fix_safety: None,
        references: &[
            "https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html",
            "https://www.postgresql.org/docs/current/pgcrypto.html",
        ],
    },
    fixtures: fixtures!("SEC001"),
    check: Check::Schema(check),
};

const PROTECTED: &[&str] = &[
    "hash",
    "hashed",
    "digest",
    "encrypted",
    "enc",
    "hmac",
    "last4",
    "last_four",
    "fingerprint",
    "salt",
    "bcrypt",
    "argon2",
    "scrypt",
    "crypt",
    "ciphertext",
    "sha256",
    "prefix",
    "expires",
    "expiry",
    "type",
    "kind",
    "id",
    "count",
    "at",
    "endpoint",
    "url",
    "uri",
    "path",
    "name",
    "algorithm",
    "length",
    "version",
    "issuer",
    "scope",
    "scopes",
    "public",
    "required",
    "enabled",
];

fn kind(words: &[String]) -> Option<&'static str> {
    let has = |w: &str| words.iter().any(|x| x == w);
    let joined = words.join("_");
    if has("password") || has("passwd") || has("pwd") || has("passcode") {
        Some("a password")
    } else if has("ssn")
        || joined.contains("social_security")
        || joined.contains("national_id")
        || has("sin") && words.len() == 1
    {
        Some("a national id number")
    } else if joined.contains("card_number")
        || joined.contains("credit_card")
        || has("pan") && words.len() <= 2
        || has("cvv")
        || has("cvc")
        || joined.contains("cc_number")
    {
        Some("a payment card number")
    } else if has("iban") || joined.contains("account_number") && joined.contains("bank") {
        Some("a bank account number")
    } else if has("secret")
        || joined.contains("api_key")
        || joined.contains("private_key")
        || joined.contains("apikey")
    {
        Some("a secret key")
    } else if has("token") || joined.contains("access_token") || joined.contains("refresh_token") {
        Some("a token")
    } else {
        None
    }
}

fn check(cx: &Context, out: &mut Sink) {
    for t in cx.tables() {
        for c in &t.columns {
            if !(c.data_type.is_text_like()) {
                continue;
            }
            let words = name_words(&c.name);
            if words.iter().any(|w| PROTECTED.contains(&w.as_str())) {
                continue;
            }
            let Some(what) = kind(&words) else { continue };
            let help = match what {
                "a password" => {
                    "Store a salted slow hash (argon2id, bcrypt, scrypt) computed by the application, in a column named for it (password_hash)."
                }
                "a token" | "a secret key" => {
                    "Store a SHA-256 hash of the token or key and compare hashes; show the clear value to the user once, at creation."
                }
                "a payment card number" => {
                    "Do not store card data: keep the processor's token and the last four digits (PCI DSS)."
                }
                _ => {
                    "Encrypt it (application-side envelope encryption or pgcrypto with a key outside the database) and restrict who can read it."
                }
            };
            out.column(
                t,
                c,
                format!("{}.{} looks like {what} stored in clear", t.name, c.name),
                help,
                None,
            );
        }
    }
}
