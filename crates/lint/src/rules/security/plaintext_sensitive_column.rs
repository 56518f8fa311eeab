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
               `_encrypted`, `_enc`, `_hmac`, `_last4`, `_fingerprint`). Names run together count too \
               (`cardnumber`, `nationalidnumber`, `accesstoken`), and so does a column comment that names a \
               national id or card number (`COMMENT ON COLUMN ... IS 'social security number'`) without \
               saying it is hashed or encrypted.",
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

/// Regulated data named in one run of letters (`cardnumber`, `nationalidnumber`), as schemas written
/// without separators (or converted from PascalCase in lower case) name it.
const RUN_TOGETHER: &[(&str, &str)] = &[
    ("creditcard", "a payment card number"),
    ("cardnumber", "a payment card number"),
    ("ccnumber", "a payment card number"),
    ("cardcvv", "a payment card number"),
    ("nationalid", "a national id number"),
    ("socialsecurity", "a national id number"),
    ("passportnumber", "a national id number"),
    ("taxpayerid", "a national id number"),
    ("bankaccountnumber", "a bank account number"),
    ("secretkey", "a secret key"),
    ("privatekey", "a secret key"),
    ("accesstoken", "a token"),
    ("refreshtoken", "a token"),
    ("authtoken", "a token"),
];

/// What a column comment says the column holds, for the kinds a comment names unambiguously (a
/// comment is prose: "attempts before a password reset" is not a password).
fn kind_by_comment(comment: &str) -> Option<&'static str> {
    let words = name_words(comment);
    const SAYS_PROTECTED: &[&str] = &[
        "hash",
        "hashed",
        "digest",
        "encrypted",
        "encryption",
        "hmac",
        "last4",
        "fingerprint",
        "masked",
        "tokenized",
        "tokenised",
        "ciphertext",
    ];
    if words.iter().any(|w| SAYS_PROTECTED.contains(&w.as_str())) {
        return None;
    }
    let joined = words.join("_");
    if joined.contains("social_security_number")
        || joined.contains("national_id")
        || joined.contains("national_identification")
        || joined.contains("passport_number")
    {
        Some("a national id number")
    } else if joined.contains("credit_card_number")
        || joined.contains("card_number")
        || joined.contains("primary_account_number")
    {
        Some("a payment card number")
    } else {
        None
    }
}

fn kind(words: &[String]) -> Option<&'static str> {
    let has = |w: &str| words.iter().any(|x| x == w);
    let joined = words.join("_");
    let squashed = words.concat();
    if let Some((_, what)) = RUN_TOGETHER.iter().find(|(run, _)| squashed.contains(run)) {
        return Some(what);
    }
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
            // A name run together hides the words that say it is protected: `cardnumberhash`.
            let squashed = words.concat();
            if ["hash", "digest", "encrypted", "last4", "hmac", "masked"]
                .iter()
                .any(|p| squashed.ends_with(p))
            {
                continue;
            }
            let by_name = kind(&words);
            let by_comment = || c.comment.as_deref().and_then(kind_by_comment);
            let Some(what) = by_name.or_else(by_comment) else {
                continue;
            };
            // A secret the application presents to another system (an OAuth client secret, a webhook
            // signing key, an SMTP password) cannot be hashed: it must be readable, so encrypted.
            let presented = words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "client" | "webhook" | "smtp" | "signing" | "oauth" | "provider" | "upstream"
                )
            });
            let help = match what {
                _ if presented => {
                    "The application must present this secret, so it cannot be hashed: encrypt it (application-side envelope encryption, or pgcrypto with a key kept outside the database) and restrict who can read the column."
                }
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
