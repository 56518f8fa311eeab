fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let (mut n, mut re, mut bytes) = (0, 0, 0);
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path().join("up.sql");
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let split = dbarch_sql::split::split(&text);
        for r in &split.statements {
            let sql = &text[r.start..r.end];
            if sql.trim().is_empty() {
                continue;
            }
            let Ok(parsed) = dbarch_sql::raw::parse(sql) else {
                continue;
            };
            for s in parsed.stmts {
                n += 1;
                let loc = s.stmt_location.max(0) as usize;
                let inner = &sql[loc..];
                let lead = inner.len() - inner.trim_start().len();
                if loc + lead != 0 {
                    re += 1;
                    bytes += sql.len();
                }
            }
        }
    }
    println!("{n} statements, {re} reparsed ({bytes} bytes)");
}
