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
fn pairs(s: &str) -> Option<Vec<Pair>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = vec![];
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            return Some(out);
        }
        let start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = s[start..i].to_string();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() || b[i] != b'=' || key.is_empty() {
            return None;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Vec::new();
        if i < b.len() && b[i] == b'\'' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < b.len() => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                value.push(b[i]);
                i += 1;
            }
        }
        out.push(Pair {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            start,
            end: i,
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

/// A connection string with every password replaced by `****` (the user info of a URL, `password` and
/// `sslpassword` parameters of either form), for messages.
pub fn redact(conn: &str) -> String {
    const SECRET: [&str; 2] = ["password", "sslpassword"];
    if is_url(conn) {
        let scheme_end = conn.find("://").map(|i| i + 3).unwrap_or(0);
        let (head, query) = match conn.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (conn, None),
        };
        let rest = &head[scheme_end..];
        let path_start = rest.find('/').unwrap_or(rest.len());
        let mut out = match rest[..path_start].rfind('@') {
            Some(at) => {
                let auth = &rest[..at];
                match auth.find(':') {
                    Some(colon) => {
                        format!(
                            "{}{}:****{}",
                            &head[..scheme_end],
                            &auth[..colon],
                            &rest[at..]
                        )
                    }
                    None => head.to_string(),
                }
            }
            None => head.to_string(),
        };
        if let Some(q) = query {
            let params: Vec<String> = q
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if SECRET.contains(&percent_decode(k).as_str()) => {
                        format!("{k}=****")
                    }
                    _ => p.to_string(),
                })
                .collect();
            out.push('?');
            out.push_str(&params.join("&"));
        }
        return out;
    }
    match pairs(conn) {
        Some(found) => {
            let mut out = String::new();
            let mut last = 0;
            for p in found.iter().filter(|p| SECRET.contains(&p.key.as_str())) {
                out.push_str(&conn[last..p.start]);
                out.push_str(&format!("{}=****", p.key));
                last = p.end;
            }
            out.push_str(&conn[last..]);
            out
        }
        // Not a connection string the driver would take either: show nothing that could be a secret.
        None if conn.contains("password") => "<connection string>".to_string(),
        None => conn.to_string(),
    }
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
}
