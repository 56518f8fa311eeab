//! Connection strings as libpq reads them: a URL (`postgres://user@host/db?key=value`) or `key=value`
//! pairs (values optionally in single quotes, `\'` and `\\` escaped). Used to take out the parameters the
//! driver does not know (the TLS ones dbarch handles itself) and to hide passwords in messages.

/// One `key=value` pair of a key/value connection string, with the byte range it covers.
struct Pair {
    key: String,
    value: String,
    start: usize,
    end: usize,
}

fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The pairs of a `key=value` string; `None` when it is not one (a bare word, an unclosed quote).
/// Whitespace is what the driver skips (`char::is_whitespace`, vertical tab and Unicode spaces too).
fn pairs(s: &str) -> Option<Vec<Pair>> {
    let c: Vec<(usize, char)> = s.char_indices().collect();
    let at = |i: usize| c.get(i).map_or(s.len(), |&(o, _)| o);
    let mut i = 0;
    let mut out = vec![];
    loop {
        while i < c.len() && c[i].1.is_whitespace() {
            i += 1;
        }
        if i == c.len() {
            return Some(out);
        }
        let start = i;
        while i < c.len() && c[i].1 != '=' && !c[i].1.is_whitespace() {
            i += 1;
        }
        let key = s[at(start)..at(i)].to_string();
        while i < c.len() && c[i].1.is_whitespace() {
            i += 1;
        }
        if i == c.len() || c[i].1 != '=' || key.is_empty() {
            return None;
        }
        i += 1;
        while i < c.len() && c[i].1.is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < c.len() && c[i].1 == '\'' {
            i += 1;
            loop {
                match c.get(i).map(|&(_, ch)| ch) {
                    None => return None,
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if i + 1 < c.len() => {
                        value.push(c[i + 1].1);
                        i += 2;
                    }
                    Some(ch) => {
                        value.push(ch);
                        i += 1;
                    }
                }
            }
        } else {
            while i < c.len() && !c[i].1.is_whitespace() {
                if c[i].1 == '\\' && i + 1 < c.len() {
                    i += 1;
                }
                value.push(c[i].1);
                i += 1;
            }
        }
        out.push(Pair {
            key,
            value,
            start: at(start),
            end: at(i),
        });
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Take the parameters named in `keys` out of a connection string: the string without them, and their
/// values (the last one given wins, as in libpq).
pub fn take(conn: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut taken: Vec<(String, String)> = vec![];
    let mut put = |k: &str, v: String| {
        taken.retain(|(key, _)| key != k);
        taken.push((k.to_string(), v));
    };
    if is_url(conn) {
        let Some((base, query)) = conn.split_once('?') else {
            return (conn.to_string(), taken);
        };
        let (query, fragment) = match query.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (query, None),
        };
        let mut kept = vec![];
        for param in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = param.split_once('=').unwrap_or((param, ""));
            let key = percent_decode(k);
            if keys.contains(&key.as_str()) {
                put(&key, percent_decode(v));
            } else {
                kept.push(param);
            }
        }
        let mut rest = base.to_string();
        if !kept.is_empty() {
            rest.push('?');
            rest.push_str(&kept.join("&"));
        }
        if let Some(f) = fragment {
            rest.push('#');
            rest.push_str(f);
        }
        return (rest, taken);
    }
    let Some(found) = pairs(conn) else {
        return (conn.to_string(), taken);
    };
    let mut rest = String::new();
    let mut last = 0;
    for p in found {
        if keys.contains(&p.key.as_str()) {
            rest.push_str(&conn[last..p.start]);
            last = p.end;
            put(&p.key, p.value);
        }
    }
    rest.push_str(&conn[last..]);
    (rest.trim().to_string(), taken)
}

/// Whether a parameter's name may hold a secret: libpq's `password` and `sslpassword`, and whatever
/// other spellings users bring from other drivers (`PASSWORD`, `pass`, `passwd`, `pwd`, `secret`,
/// `token`), in any case.
fn is_secret_key(key: &str) -> bool {
    let k = key.trim().to_ascii_lowercase();
    ["pass", "pwd", "secret", "token"]
        .iter()
        .any(|w| k.contains(w))
}

/// A connection string with every password replaced by `****`, for messages. Whatever its form —
/// a URL of any scheme (`postgresql+psycopg2://`, `jdbc:postgresql://`, `mysql://`, any case, leading
/// space), `key=value` pairs, or something dbarch cannot read — nothing that may be a password is kept:
/// a URL's user info keeps its user name only (up to the last `@`, so an unencoded `/` or `@` in the
/// password does not end it early), parameters whose names may hold a secret lose their values, and a
/// string of no known form that could hold one is not shown at all.
pub fn redact(conn: &str) -> String {
    mask_leftovers(&structured(conn))
}

/// [`redact`] by the string's form.
fn structured(conn: &str) -> String {
    // A URL when `://` follows a scheme (no space or `=` before it); `://` inside a key=value string's
    // value does not make it one.
    let url = conn
        .find("://")
        .filter(|&i| !conn[..i].contains(|c: char| c.is_whitespace() || c == '='));
    if let Some(scheme) = url {
        let scheme_end = scheme + 3;
        // The user info runs to the last `@` of the string, as the driver reads it (a password may hold
        // `/`, `?` or `@` unencoded); the parameters follow the host.
        let rest = &conn[scheme_end..];
        let (mut out, tail) = match rest.rfind('@') {
            Some(at) => {
                let auth = &rest[..at];
                let user = match auth.find(':') {
                    Some(colon) => format!("{}:****", &auth[..colon]),
                    None => auth.to_string(),
                };
                (format!("{}{user}", &conn[..scheme_end]), &rest[at..])
            }
            None => (conn[..scheme_end].to_string(), rest),
        };
        let (host, query) = match tail.find(['?', ';']) {
            Some(q) => tail.split_at(q),
            None => (tail, ""),
        };
        out.push_str(host);
        // Parameters: `?a=b&c=d` (URLs), `;a=b;c=d` (JDBC's other form).
        let mut param = String::new();
        let flush = |param: &mut String, out: &mut String| {
            match param.split_once('=') {
                Some((k, _)) if is_secret_key(&percent_decode(k)) => {
                    out.push_str(k);
                    out.push_str("=****");
                }
                _ => out.push_str(param),
            }
            param.clear();
        };
        for c in query.chars() {
            if matches!(c, '?' | '&' | ';') {
                flush(&mut param, &mut out);
                out.push(c);
            } else {
                param.push(c);
            }
        }
        flush(&mut param, &mut out);
        return out;
    }
    match pairs(conn) {
        Some(found) => {
            let mut out = String::new();
            let mut last = 0;
            for p in found.iter().filter(|p| is_secret_key(&p.key)) {
                out.push_str(&conn[last..p.start]);
                out.push_str(&format!("{}=****", p.key));
                last = p.end;
            }
            out.push_str(&conn[last..]);
            out
        }
        // Not a connection string of a known form: it may be a password given by mistake, or hold one
        // anywhere.
        None if conn.trim().is_empty() => conn.to_string(),
        None => "<connection string>".to_string(),
    }
}

/// The last pass of [`redact`], whatever the form: a password the form's reading missed (the string is
/// malformed in a way no driver reads) is still masked — the text from the first `:` after the scheme's
/// `://` (or the start) up to each `@`, and the value of every parameter whose name may hold a secret.
fn mask_leftovers(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut mask = vec![false; c.len()];
    let scheme_end = (2..c.len())
        .find(|&j| c[j - 2] == ':' && c[j - 1] == '/' && c[j] == '/')
        .map(|j| j + 1);
    for at in (0..c.len()).filter(|&i| c[i] == '@') {
        let from = scheme_end.filter(|&e| e <= at).unwrap_or(0);
        if let Some(colon) = (from..at).find(|&j| c[j] == ':') {
            mask[colon + 1..at].iter_mut().for_each(|m| *m = true);
        }
    }
    let lower: Vec<char> = c.iter().map(|ch| ch.to_ascii_lowercase()).collect();
    for start in 0..c.len() {
        if !["pass", "pwd", "secret", "token"]
            .iter()
            .any(|w| lower[start..].starts_with(&w.chars().collect::<Vec<_>>()))
        {
            continue;
        }
        let mut i = start;
        while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '-') {
            i += 1;
        }
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        if i >= c.len() || c[i] != '=' {
            continue;
        }
        i += 1;
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        // Already masked by the form's reading: a URL parameter, which ends at `&`.
        if c[i..].starts_with(&['*', '*', '*', '*']) {
            continue;
        }
        // Otherwise the value runs to the next space (or closing quote): more may be hidden than the
        // password, never less.
        let quoted = c.get(i) == Some(&'\'');
        let mut j = i + usize::from(quoted);
        while j < c.len() {
            let end = if quoted {
                c[j] == '\''
            } else {
                c[j].is_whitespace()
            };
            if end {
                break;
            }
            j += 1;
        }
        mask[i..j.min(c.len())].iter_mut().for_each(|m| *m = true);
    }
    let mut out = String::with_capacity(s.len());
    for (i, ch) in c.iter().enumerate() {
        if !mask[i] {
            out.push(*ch);
        } else if i == 0 || !mask[i - 1] {
            out.push_str("****");
        }
    }
    out
}

/// A message about `conn` (a driver's error, say) without anything of `conn` that [`redact`] hides,
/// wherever the message repeats it: every word of `conn` its redacted form does not show is masked.
pub fn scrub(message: &str, conn: &str) -> String {
    let shown = redact(conn);
    let mut words: Vec<String> = conn
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '@' | ':' | '=' | '/' | '?' | '&' | ';' | '\'' | '"')
        })
        .filter(|w| w.len() >= 2 && !shown.contains(w))
        .map(str::to_string)
        .collect();
    // The password exactly as the driver reads it, when it reads the string (with or without the TLS
    // parameters dbarch takes out first).
    for candidate in [conn.to_string(), take(conn, &crate::tls::PARAMETERS).0] {
        if let Ok(config) = candidate.parse::<postgres::Config>()
            && let Some(p) = config.get_password()
        {
            words.push(String::from_utf8_lossy(p).into_owned());
        }
    }
    // Every place any of them occurs in the message, masked in one pass over it (replacing word by word
    // could grow the text without bound: a word of asterisks would match the masks).
    let mut hidden = vec![false; message.len()];
    for w in &words {
        for form in [w.to_string(), percent_decode(w)] {
            if form.len() < 2 {
                continue;
            }
            for (at, _) in message.match_indices(form.as_str()) {
                hidden[at..at + form.len()]
                    .iter_mut()
                    .for_each(|h| *h = true);
            }
        }
    }
    let mut out = String::with_capacity(message.len());
    for (i, ch) in message.char_indices() {
        if !hidden[i] {
            out.push(ch);
        } else if i == 0 || !hidden[i - 1] {
            out.push_str("****");
        }
    }
    out
}

/// Where dbarch would show the password the driver reads from `conn` — the redacted string, a message
/// scrubbed with it, the target it builds or its error — or `None` when it shows it nowhere. The property
/// the `conninfo` fuzz target checks (and its regression test). A password the masks themselves could
/// spell (asterisks, a piece of `<connection string>`) or that appears more than once is not judged.
pub fn shown_password(conn: &str) -> Option<String> {
    let shown = redact(conn);
    let scrubbed = scrub(conn, conn);
    let config = conn.parse::<postgres::Config>().ok()?;
    let password = String::from_utf8_lossy(config.get_password()?).into_owned();
    if password.len() < 3
        || password.contains('*')
        || "<connection string>".contains(password.as_str())
        || conn.matches(password.as_str()).count() != 1
    {
        return None;
    }
    let target = match crate::target(Some(conn)) {
        Ok(t) => t.shown,
        Err(e) => e.to_string(),
    };
    [shown, scrubbed, target]
        .into_iter()
        .find(|text| text.contains(password.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_parameters_from_urls() {
        let (rest, taken) = take(
            "postgres://app@db:5432/shop?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.pem",
            &["sslmode", "sslrootcert"],
        );
        assert_eq!(rest, "postgres://app@db:5432/shop?application_name=x");
        assert_eq!(
            taken,
            vec![
                ("sslmode".to_string(), "verify-full".to_string()),
                ("sslrootcert".to_string(), "/tmp/ca.pem".to_string())
            ]
        );
        let (rest, taken) = take("postgres://db/shop?sslmode=require", &["sslmode"]);
        assert_eq!(rest, "postgres://db/shop");
        assert_eq!(taken.len(), 1);
    }

    #[test]
    fn takes_parameters_from_key_value_strings() {
        let (rest, taken) = take(
            "host=db sslmode = verify-ca  sslrootcert='/my certs/ca.pem' user=app",
            &["sslmode", "sslrootcert"],
        );
        assert_eq!(rest, "host=db    user=app");
        assert_eq!(taken[0], ("sslmode".to_string(), "verify-ca".to_string()));
        assert_eq!(
            taken[1],
            ("sslrootcert".to_string(), "/my certs/ca.pem".to_string())
        );
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/shop"),
            "postgres://app:****@db:5432/shop"
        );
        assert_eq!(redact("postgres://app@db/shop"), "postgres://app@db/shop");
        assert_eq!(
            redact("postgres://app@db/shop?password=s3cret&sslmode=require"),
            "postgres://app@db/shop?password=****&sslmode=require"
        );
        assert_eq!(
            redact("host=db password='s3 cret' user=app"),
            "host=db password=**** user=app"
        );
        assert_eq!(redact("host=db user=app"), "host=db user=app");
        assert_eq!(redact("password"), "<connection string>");
    }

    /// Strings dbarch cannot read are still never shown with their password.
    pub(crate) const MALFORMED: &[&str] = &[
        "mysql://app:Zq7pw@host/db",
        "postgresql+psycopg2://app:Zq7pw@host/db",
        "jdbc:postgresql://host:5432/db?user=app&password=Zq7pw",
        "jdbc:postgresql://host/db;user=app;password=Zq7pw",
        "POSTGRES://app:Zq7pw@host/db",
        "PostgreSQL://app:Zq7pw@host/db",
        " postgres://app:Zq7pw@host/db",
        "postgres:/app:Zq7pw@host/db",
        "postgres:app:Zq7pw@host/db",
        "postgres://app:Zq7/pw@host/db",
        "postgres://app:Zq7@pw@host/db",
        "postgres://app:Zq7pw@host:notaport/db",
        "postgres://app:Zq7pw@[::1/db",
        "postgres://app:Zq7//shop?ssl@db:/8\0/uire",
        "postgres://app:Zq7?x=1@db/shop",
        "postgres://app@host/db?PASSWORD=Zq7pw",
        "postgres://app@host/db?pass=Zq7pw",
        "host=db PASSWORD=Zq7pw user=app",
        "host=db pass=Zq7pw",
        "host=db password='Zq7pw",
        "host=db password = Zq7pw port=x",
        "app:Zq7pw@host",
        "Zq7pw",
        "user=app password=Zq7pw sslmode=bogus",
    ];

    #[test]
    fn hides_passwords_in_strings_of_no_known_form() {
        for conn in MALFORMED {
            let shown = redact(conn);
            assert!(!shown.contains("Zq7"), "{conn} -> {shown}");
            // A driver's message that repeats the string it could not read.
            let message = format!("cannot parse {conn}");
            let scrubbed = scrub(&message, conn);
            assert!(!scrubbed.contains("Zq7"), "{conn} -> {scrubbed}");
        }
        assert_eq!(
            redact("postgres://app:pa/ss@db/shop"),
            "postgres://app:****@db/shop"
        );
        assert_eq!(
            redact("jdbc:postgresql://h/db?user=app&password=x&ssl=true"),
            "jdbc:postgresql://h/db?user=app&password=****&ssl=true"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, rng_seed: proptest::test_runner::RngSeed::Fixed(13), ..Default::default() })]
        /// Whatever surrounds it, a password in any place a connection string can hold one is hidden.
        #[test]
        fn no_password_survives(
            before in "[ -~]{0,12}",
            after in "[ -~]{0,12}",
            secret in "[A-Za-z0-9]{6,16}",
            form in 0usize..6,
        ) {
            let conn = match form {
                0 => format!("{before}://app:{secret}@{after}"),
                1 => format!("{before}://h/db?password={secret}&{after}"),
                2 => format!("{before} password={secret} {after}"),
                3 => format!("{before}PASSWORD='{secret}' {after}"),
                4 => format!("{before}://app:{secret}/{after}@h/db"),
                _ => format!("{before}:{secret}@{after}"),
            };
            // Only when the secret is not also spelled by the parts around it.
            proptest::prop_assume!(!before.contains(&secret) && !after.contains(&secret));
            let shown = redact(&conn);
            proptest::prop_assert!(!shown.contains(&secret), "{} -> {}", conn, shown);
            let scrubbed = scrub(&format!("bad {conn}"), &conn);
            proptest::prop_assert!(!scrubbed.contains(&secret), "{} -> {}", conn, scrubbed);
        }
    }
}
