//! Views read as outlines: the statement is checked by the real parser, but only its head (name, column
//! list, options) becomes a tree; of the query, the relations it reads are kept.
//!
//! Turning a parse tree into the protobuf the Rust binding decodes costs libpg_query several times the
//! parse itself, and the queries of views are the largest trees in a migration history (lemmy's 180 views
//! are 43 % of its parse time). libpg_query's summary call parses the whole statement and walks it in C
//! without sending the tree; the head is parsed on its own as `<head> AS SELECT NULL`.
//!
//! Anything unusual (a recursive view, a check option, a statement the summary does not describe as
//! exactly one view) is parsed in full instead, so an outline is only ever a shortcut, never a guess.

use pg_query::protobuf::summary_result::Context;

use crate::NodeEnum;
use crate::ast;
use crate::{lex, raw};

/// What an outline knows of a view's query.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// The relations the query reads, named as the query names them (CTE names are not relations).
    pub reads: Vec<ast::RangeVar>,
}

/// The view statement `sql` (one statement, possibly after comments) as an outline: its ViewStmt node
/// without a query, its statement location in `sql`, and what the query reads. `None` when `sql` is not a
/// plain view or anything about it is unusual; the caller then parses it in full.
pub fn view(sql: &str) -> Option<(NodeEnum, i32, Outline)> {
    let head_end = head_end(sql)?;
    let summary = raw::summary(sql)?;
    if !summary
        .statement_types
        .iter()
        .all(|t| t == "ViewStmt" || t == "SelectStmt")
    {
        return None;
    }
    let ddl = Context::Ddl as i32;
    let mut created = summary.tables.iter().filter(|t| t.context == ddl);
    let (Some(view), None) = (created.next(), created.next()) else {
        return None;
    };
    let stub = format!("{} SELECT NULL", &sql[..head_end]);
    let parsed = raw::parse(&stub).ok()?;
    let [stmt] = parsed.stmts.as_slice() else {
        return None;
    };
    let Some(NodeEnum::ViewStmt(mut v)) = stmt.stmt.as_ref().and_then(|n| n.node.clone()) else {
        return None;
    };
    let rv = v.view.as_ref()?;
    if rv.relname != view.table_name || rv.schemaname != view.schema_name {
        return None;
    }
    v.query = None;
    let select = Context::Select as i32;
    let mut reads: Vec<ast::RangeVar> = vec![];
    for t in summary.tables.iter().filter(|t| t.context == select) {
        if !reads
            .iter()
            .any(|r| r.relname == t.table_name && r.schemaname == t.schema_name)
        {
            reads.push(ast::RangeVar {
                schemaname: t.schema_name.clone(),
                relname: t.table_name.clone(),
                inh: true,
                relpersistence: "p".into(),
                location: -1,
                ..Default::default()
            });
        }
    }
    Some((NodeEnum::ViewStmt(v), stmt.stmt_location, Outline { reads }))
}

/// An INSERT of data (a schema dump's rows, a seed): the schema model and the migration rules need only
/// which table it writes, so a long one is checked by the parser through the summary call (no tree is
/// sent to Rust, which is most of the cost of rows of data) and becomes an InsertStmt naming its table.
/// `None` for a short statement or anything the summary does not describe as one INSERT into one table.
pub fn insert(sql: &str) -> Option<(NodeEnum, i32)> {
    const LONG: usize = 1024;
    if sql.len() < LONG {
        return None;
    }
    let first = lex::tokens(sql).next()?;
    if !first.text.eq_ignore_ascii_case("insert") {
        return None;
    }
    let summary = raw::summary(sql)?;
    if summary.statement_types.first().map(String::as_str) != Some("InsertStmt")
        || summary
            .statement_types
            .iter()
            .any(|t| t != "InsertStmt" && t != "SelectStmt")
    {
        return None;
    }
    let dml = Context::Dml as i32;
    let mut written = summary.tables.iter().filter(|t| t.context == dml);
    let (Some(table), None) = (written.next(), written.next()) else {
        return None;
    };
    let node = NodeEnum::InsertStmt(Box::new(ast::InsertStmt {
        relation: Some(ast::RangeVar {
            schemaname: table.schema_name.clone(),
            relname: table.table_name.clone(),
            inh: true,
            relpersistence: "p".into(),
            location: -1,
            ..Default::default()
        }),
        r#override: ast::OverridingKind::OverridingNotSet as i32,
        ..Default::default()
    }));
    Some((node, i32::try_from(first.start).ok()?))
}

/// Where the head of a plain view statement ends: just after the `AS` that starts its query. `None`
/// unless `sql` reads `CREATE [OR REPLACE] [TEMP | TEMPORARY] VIEW ... AS ...` without a trailing check
/// option.
fn head_end(sql: &str) -> Option<usize> {
    // The words outside parentheses (a column list, WITH options), quoted names aside.
    let mut depth = 0usize;
    let mut words = lex::tokens(sql).filter_map(|t| {
        match (t.kind, t.text) {
            (lex::Kind::Punct, "(") => depth += 1,
            (lex::Kind::Punct, ")") => depth = depth.saturating_sub(1),
            (lex::Kind::Word, w) if depth == 0 => return Some((t.start, w)),
            _ => {}
        }
        None
    });
    let mut next = || words.next();
    if !next()?.1.eq_ignore_ascii_case("create") {
        return None;
    }
    let mut w = next()?.1;
    if w.eq_ignore_ascii_case("or") {
        if !next()?.1.eq_ignore_ascii_case("replace") {
            return None;
        }
        w = next()?.1;
    }
    if w.eq_ignore_ascii_case("temp") || w.eq_ignore_ascii_case("temporary") {
        w = next()?.1;
    }
    if !w.eq_ignore_ascii_case("view") {
        return None;
    }
    let (at, _) = words.find(|(_, w)| w.eq_ignore_ascii_case("as"))?;
    if ends_with_check_option(sql) {
        return None;
    }
    Some(at + 2)
}

/// Whether the statement may end with a check option (`WITH [CASCADED | LOCAL] CHECK OPTION`): the word
/// `check` near its end. Erring towards yes only sends a view to the full parse.
fn ends_with_check_option(sql: &str) -> bool {
    let tail = sql.trim_end();
    let mut from = tail.len().saturating_sub(80);
    while !tail.is_char_boundary(from) {
        from -= 1;
    }
    tail[from..].to_ascii_lowercase().contains("check")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every RangeVar of the full tree's query, named, CTE names aside (what the summary reports).
    fn full_reads(sql: &str) -> (ast::ViewStmt, Vec<(String, String)>) {
        let parsed = raw::parse(sql).unwrap();
        let Some(NodeEnum::ViewStmt(v)) =
            parsed.stmts[0].stmt.as_ref().and_then(|n| n.node.clone())
        else {
            panic!("not a view: {sql}");
        };
        let query = v.query.clone().and_then(|q| q.node).unwrap();
        let ctes: Vec<String> = query
            .nodes()
            .iter()
            .filter_map(|(n, ..)| match n {
                pg_query::NodeRef::CommonTableExpr(c) => Some(c.ctename.clone()),
                _ => None,
            })
            .collect();
        let mut reads = vec![];
        for (n, ..) in query.nodes() {
            if let pg_query::NodeRef::RangeVar(rv) = n {
                let name = (rv.schemaname.clone(), rv.relname.clone());
                if !ctes.contains(&rv.relname) && !reads.contains(&name) {
                    reads.push(name);
                }
            }
        }
        (*v, reads)
    }

    #[test]
    fn outline_matches_the_full_tree() {
        for sql in [
            "CREATE VIEW v AS SELECT * FROM a",
            "-- the feed\nCREATE OR REPLACE VIEW app.feed (id, n) WITH (security_barrier) AS\n  SELECT a.id, count(*) FROM a JOIN app.b ON b.a_id = a.id LEFT JOIN LATERAL (SELECT * FROM c WHERE c.x = a.x) l ON true GROUP BY 1",
            "create temp view \"As\" as with w as (select * from d) select * from w, e where exists (select 1 from f where f.y = e.y) union all select * from g",
            "CREATE VIEW v AS SELECT 'as (' AS x, $$ ) as $$ AS y FROM /* as */ h",
            "CREATE VIEW v AS SELECT (SELECT max(z) FROM i) AS m, j.* FROM j WHERE j.k IN (SELECT k FROM k2)",
        ] {
            let (full, reads) = full_reads(sql);
            let (node, location, outline) =
                view(sql).unwrap_or_else(|| panic!("no outline: {sql}"));
            let NodeEnum::ViewStmt(v) = node else {
                panic!()
            };
            assert_eq!(v.view, full.view, "{sql}");
            assert_eq!(v.aliases, full.aliases, "{sql}");
            assert_eq!(v.options, full.options, "{sql}");
            assert_eq!(
                (v.replace, v.with_check_option),
                (full.replace, full.with_check_option)
            );
            assert!(v.query.is_none());
            // libpg_query 18 places a statement after the comments before it.
            assert_eq!(
                location as usize,
                sql.find("CREATE").or(sql.find("create")).unwrap()
            );
            let mut got: Vec<_> = outline
                .reads
                .iter()
                .map(|r| (r.schemaname.clone(), r.relname.clone()))
                .collect();
            let mut want = reads;
            got.sort();
            want.sort();
            assert_eq!(got, want, "{sql}");
        }
    }

    #[test]
    fn long_inserts_are_outlined() {
        let rows: Vec<String> = (0..200).map(|i| format!("({i}, 'n{i}')")).collect();
        let sql = format!("INSERT INTO app.t (id, name) VALUES {};", rows.join(", "));
        let (node, at) = insert(&sql).expect("an outline");
        let NodeEnum::InsertStmt(i) = node else {
            panic!()
        };
        let rv = i.relation.unwrap();
        assert_eq!(
            (rv.schemaname.as_str(), rv.relname.as_str(), at),
            ("app", "t", 0)
        );
        // Short, broken, or not an INSERT: parsed as usual.
        assert!(insert("INSERT INTO t VALUES (1)").is_none());
        assert!(insert(&sql.replace("VALUES", "VALUE")).is_none());
        assert!(insert(&format!("SELECT {}", "1, ".repeat(500) + "1")).is_none());
    }

    #[test]
    fn unusual_views_are_parsed_in_full() {
        for sql in [
            "CREATE VIEW v AS SELECT * FROM a WITH CASCADED CHECK OPTION",
            "CREATE RECURSIVE VIEW v (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM v WHERE n < 5",
            "CREATE MATERIALIZED VIEW m AS SELECT * FROM a",
            "CREATE TABLE t (id int)",
            "CREATE VIEW v AS SELECT * FROM",
            "CREATE VIEW v AS SELECT 1; CREATE VIEW w AS SELECT 2",
            "CREATE VIEW v AS SELECT 1; DROP TABLE t",
        ] {
            assert!(view(sql).is_none(), "{sql}");
        }
    }
}
