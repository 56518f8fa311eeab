use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut files: Vec<_> = glob(&dir);
    files.sort();
    let (mut full, mut summ, mut n, mut scan) = (0.0, 0.0, 0, 0.0);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let split = dbarch_sql::split::split(&text);
        for p in &split.statements {
            let sql = &text[p.start..p.end];
            let t = sql.trim_start().to_ascii_lowercase();
            if !(t.starts_with("create view")
                || t.starts_with("create or replace view")
                || t.starts_with("create materialized view"))
            {
                continue;
            }
            n += 1;
            let t = Instant::now();
            let _ = dbarch_sql::raw::parse(sql);
            full += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let s = pg_query::summary(sql, 0, -1);
            summ += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let sc = pg_query::scan(sql).unwrap();
            scan += t.elapsed().as_secs_f64();
            let _ = sc;
            if n == 3 {
                let s = s.unwrap();
                println!("{:?}\n{:?}", s.tables, s.statement_types);
            }
        }
    }
    println!("{n} views: full {full:.4}s summary {summ:.4}s scan {scan:.4}s");
}
fn glob(dir: &str) -> Vec<String> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(glob(p.to_str().unwrap()));
        } else if p.file_name().unwrap() == "up.sql" {
            out.push(p.display().to_string());
        }
    }
    out
}
