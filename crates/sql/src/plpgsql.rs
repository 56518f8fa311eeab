//! What a DO block or a routine runs, read with libpg_query's PL/pgSQL parser: its static SQL, the
//! strings its `EXECUTE`s run when they can be worked out (constants, `format(...)`, `||`,
//! `quote_ident(...)` over constants and arguments known at the call site), and what stays unknown.
//!
//! Each step says whether it is guarded: under IF / CASE, in a loop, or in a block with an exception
//! handler, it may or may not have run.

use std::collections::HashMap;

use pg_query::protobuf::{self as ast, node::Node as NodeEnum};
use serde_json::Value;

use crate::{Span, Statement};

/// One thing a body runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// It may or may not run (a branch, a loop, a block whose exception handler may undo it).
    pub guarded: bool,
    /// The line of the body it is on, counted from the line the body opens on (PL/pgSQL's `lineno`);
    /// 0 when not known.
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// SQL the body runs, as text: static SQL, or an EXECUTE whose string is known.
    Sql(String),
    /// An EXECUTE (or a FOR ... IN EXECUTE) whose string is known only at run time: the expression.
    Unknown(String),
}

/// How deep routine calls are followed (a routine calling itself, or a long chain, stops here).
pub const MAX_DEPTH: usize = 8;

/// Values bound to names in a body: the routine's parameters (by name and as `$n`) and its constants.
pub type Bindings = HashMap<String, String>;

/// The steps of a DO block or a `CREATE FUNCTION` / `CREATE PROCEDURE` in PL/pgSQL (`definition` is the
/// whole statement), with `args` bound to its parameters, in order (`None`: not known at the call).
pub fn steps(definition: &str, args: &[Option<String>]) -> Result<Vec<Step>, String> {
    let json = pg_query::parse_plpgsql(definition).map_err(|e| e.to_string())?;
    let func = json
        .as_array()
        .and_then(|a| a.first())
        .and_then(|f| f.get("PLpgSQL_function"))
        .ok_or("no PL/pgSQL function in the statement")?;
    let mut bindings = Bindings::new();
    for (i, (name, value)) in parameters(definition).iter().zip(args).enumerate() {
        if let Some(v) = value {
            bindings.insert(format!("${}", i + 1), v.clone());
            if let Some(n) = name {
                bindings.insert(n.to_lowercase(), v.clone());
            }
        }
    }
    // CONSTANT declarations with a value that can be worked out.
    for d in func
        .get("datums")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(var) = d.get("PLpgSQL_var") else {
            continue;
        };
        if var.get("isconst").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let (Some(name), Some(expr)) = (
            var.get("refname").and_then(Value::as_str),
            expr_query(var.get("default_val")),
        ) else {
            continue;
        };
        if let Some(v) = eval_text(expr, &bindings) {
            bindings.insert(name.to_lowercase(), v);
        }
    }
    let mut out = vec![];
    if let Some(action) = func.get("action") {
        walk_stmt(action, false, &bindings, &mut out);
    }
    Ok(out)
}

/// The names of a routine's input parameters, in order (`None` for an unnamed one); empty for a DO block.
fn parameters(definition: &str) -> Vec<Option<String>> {
    let Ok(parsed) = crate::raw::parse(definition) else {
        return vec![];
    };
    let Some(NodeEnum::CreateFunctionStmt(f)) = parsed
        .stmts
        .first()
        .and_then(|s| s.stmt.as_ref())
        .and_then(|s| s.node.as_ref())
    else {
        return vec![];
    };
    f.parameters
        .iter()
        .filter_map(|p| match p.node.as_ref() {
            Some(NodeEnum::FunctionParameter(p)) => Some(p),
            _ => None,
        })
        .filter(|p| {
            !matches!(
                ast::FunctionParameterMode::try_from(p.mode),
                Ok(ast::FunctionParameterMode::FuncParamOut
                    | ast::FunctionParameterMode::FuncParamTable)
            )
        })
        .map(|p| (!p.name.is_empty()).then(|| p.name.clone()))
        .collect()
}

fn expr_query(v: Option<&Value>) -> Option<&str> {
    v?.get("PLpgSQL_expr")?.get("query")?.as_str()
}

fn walk_list(v: Option<&Value>, guarded: bool, b: &Bindings, out: &mut Vec<Step>) {
    for s in v.and_then(Value::as_array).into_iter().flatten() {
        walk_stmt(s, guarded, b, out);
    }
}

fn walk_stmt(node: &Value, guarded: bool, b: &Bindings, out: &mut Vec<Step>) {
    let Some((kind, f)) = node.as_object().and_then(|o| o.iter().next()) else {
        return;
    };
    let line = f
        .get("lineno")
        .and_then(Value::as_u64)
        .and_then(|l| u32::try_from(l).ok())
        .unwrap_or(0);
    match kind.as_str() {
        "PLpgSQL_stmt_block" => {
            // A handler may swallow a failure of the body, whose work is then rolled back.
            let handled = f.get("exceptions").is_some();
            walk_list(f.get("body"), guarded || handled, b, out);
            if let Some(list) = f
                .get("exceptions")
                .and_then(|e| e.get("PLpgSQL_exception_block"))
                .and_then(|e| e.get("exc_list"))
                .and_then(Value::as_array)
            {
                for e in list {
                    walk_list(
                        e.get("PLpgSQL_exception").and_then(|e| e.get("action")),
                        true,
                        b,
                        out,
                    );
                }
            }
        }
        "PLpgSQL_stmt_if" => {
            walk_list(f.get("then_body"), true, b, out);
            for e in f
                .get("elsif_list")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk_list(
                    e.get("PLpgSQL_if_elsif").and_then(|e| e.get("stmts")),
                    true,
                    b,
                    out,
                );
            }
            walk_list(f.get("else_body"), true, b, out);
        }
        "PLpgSQL_stmt_case" => {
            for w in f
                .get("case_when_list")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk_list(
                    w.get("PLpgSQL_case_when").and_then(|w| w.get("stmts")),
                    true,
                    b,
                    out,
                );
            }
            walk_list(f.get("else_stmts"), true, b, out);
        }
        "PLpgSQL_stmt_loop"
        | "PLpgSQL_stmt_while"
        | "PLpgSQL_stmt_fori"
        | "PLpgSQL_stmt_fors"
        | "PLpgSQL_stmt_forc"
        | "PLpgSQL_stmt_foreach_a" => walk_list(f.get("body"), true, b, out),
        "PLpgSQL_stmt_dynfors" => {
            dynamic(expr_query(f.get("query")), guarded, line, b, out);
            walk_list(f.get("body"), true, b, out);
        }
        "PLpgSQL_stmt_execsql" => {
            if let Some(q) = expr_query(f.get("sqlstmt")) {
                out.push(Step {
                    kind: StepKind::Sql(q.to_string()),
                    guarded,
                    line,
                });
            }
        }
        "PLpgSQL_stmt_perform" | "PLpgSQL_stmt_call" => {
            if let Some(q) = expr_query(f.get("expr")) {
                let q = q.trim_start();
                // PERFORM's expression is kept as written after the keyword.
                let sql = match q.get(..7) {
                    Some(p) if p.eq_ignore_ascii_case("perform") => format!("SELECT{}", &q[7..]),
                    _ => q.to_string(),
                };
                out.push(Step {
                    kind: StepKind::Sql(sql),
                    guarded,
                    line,
                });
            }
        }
        "PLpgSQL_stmt_dynexecute" => dynamic(expr_query(f.get("query")), guarded, line, b, out),
        _ => {}
    }
}

fn dynamic(expr: Option<&str>, guarded: bool, line: u32, b: &Bindings, out: &mut Vec<Step>) {
    let Some(expr) = expr else { return };
    let kind = match eval_text(expr, b) {
        Some(sql) => StepKind::Sql(sql),
        None => StepKind::Unknown(expr.trim().to_string()),
    };
    out.push(Step {
        kind,
        guarded,
        line,
    });
}

/// Where in a DO statement's text (`sql`) the body's line `line` ([`Step::line`]) is: the byte range of
/// that line from its first non-blank character, when the statement has a quoted body that long.
pub fn body_line(sql: &str, line: u32) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let mut at = sql.find(['$', '\''])?;
    for _ in 1..line {
        at += sql.get(at..)?.find('\n')? + 1;
    }
    let rest = sql.get(at..)?;
    let start = at + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    let end = sql
        .get(start..)?
        .find('\n')
        .map_or(sql.len(), |n| start + n);
    (end > start).then_some((start, end))
}

/// The value of an expression of constants and bound names, as text (`None` when it depends on anything
/// else).
pub fn eval_text(expr: &str, b: &Bindings) -> Option<String> {
    let parsed = crate::raw::parse(&format!("SELECT {expr}")).ok()?;
    let stmt = parsed.stmts.first()?.stmt.as_ref()?.node.as_ref()?;
    let NodeEnum::SelectStmt(s) = stmt else {
        return None;
    };
    if s.target_list.len() != 1 || !s.from_clause.is_empty() {
        return None;
    }
    let NodeEnum::ResTarget(t) = s.target_list.first()?.node.as_ref()? else {
        return None;
    };
    eval(t.val.as_deref()?, b)
}

fn eval(node: &ast::Node, b: &Bindings) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) if !c.isnull => crate::expr::const_text(node),
        NodeEnum::TypeCast(c) => eval(c.arg.as_deref()?, b),
        NodeEnum::ColumnRef(c) => {
            let [f] = c.fields.as_slice() else {
                return None;
            };
            b.get(&crate::expr::string_value(f)?.to_lowercase())
                .cloned()
        }
        NodeEnum::ParamRef(p) => b.get(&format!("${}", p.number)).cloned(),
        NodeEnum::AExpr(e)
            if e.kind() == ast::AExprKind::AexprOp && crate::expr::name_list(&e.name) == ["||"] =>
        {
            Some(eval(e.lexpr.as_deref()?, b)? + &eval(e.rexpr.as_deref()?, b)?)
        }
        NodeEnum::FuncCall(f) => {
            let name = crate::expr::name_list(&f.funcname);
            let name = name.last()?.to_lowercase();
            let args: Option<Vec<String>> = f.args.iter().map(|a| eval(a, b)).collect();
            let args = args?;
            match (name.as_str(), args.as_slice()) {
                ("format", [fmt, rest @ ..]) => format(fmt, rest),
                ("quote_ident", [a]) => Some(quote_ident(a)),
                ("quote_literal" | "quote_nullable", [a]) => Some(quote_literal(a)),
                ("concat", _) => Some(args.concat()),
                ("lower", [a]) => Some(a.to_lowercase()),
                ("upper", [a]) => Some(a.to_uppercase()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An identifier quoted (always: a quoted lower-case name means what the bare one does).
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// PostgreSQL's `format()` for `%s`, `%I`, `%L`, `%%` and positions (`%2$s`); `None` for widths and
/// flags, and for too few arguments (the server raises an error then).
fn format(fmt: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let index = if digits.is_empty() {
            None
        } else {
            if chars.next() != Some('$') {
                return None;
            }
            Some(digits.parse::<usize>().ok()?.checked_sub(1)?)
        };
        let kind = chars.next()?;
        if kind == '%' && index.is_none() {
            out.push('%');
            continue;
        }
        let at = index.unwrap_or(next);
        let arg = args.get(at)?;
        next = at + 1;
        match kind {
            's' => out.push_str(arg),
            'I' => out.push_str(&quote_ident(arg)),
            'L' => out.push_str(&quote_literal(arg)),
            _ => return None,
        }
    }
    Some(out)
}

/// A routine call a statement makes at its top level: `SELECT f(...)`, `SELECT * FROM f(...)`,
/// `CALL p(...)`, `PERFORM f(...)`. The name as written, and each argument's value when it is a constant
/// (or a name `bindings` holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: Vec<String>,
    pub args: Vec<Option<String>>,
}

/// What a statement runs besides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runs {
    /// A DO block, in this language (`None`: not written, PL/pgSQL).
    DoBlock { language: Option<String> },
    /// Routine calls at its top level.
    Calls(Vec<Call>),
}

/// `stmt` lowered, and `stmt` without its parse tree unless [`runs`] still reads it (a DO block, a
/// SELECT or CALL that may call routines): a long migration's trees need not all be held while it is
/// judged. Without its tree a statement keeps its text and span; its node is a placeholder.
pub fn lowered_for_replay(mut stmt: Statement) -> (Statement, crate::change::Lowered) {
    let lowered = crate::change::lower(&stmt);
    if !matches!(
        stmt.node,
        NodeEnum::DoStmt(_) | NodeEnum::CallStmt(_) | NodeEnum::SelectStmt(_)
    ) {
        stmt.node = NodeEnum::Integer(ast::Integer::default());
    }
    (stmt, lowered)
}

/// What `stmt` runs besides itself: a DO block's body, or the routines it calls (with `bindings` for
/// names in the arguments).
pub fn runs(stmt: &Statement, bindings: &Bindings) -> Runs {
    if let NodeEnum::DoStmt(d) = &stmt.node {
        let language = d.args.iter().find_map(|a| match a.node.as_ref() {
            Some(NodeEnum::DefElem(e)) if e.defname == "language" => {
                e.arg.as_deref().and_then(crate::expr::const_text)
            }
            _ => None,
        });
        return Runs::DoBlock { language };
    }
    Runs::Calls(calls(&stmt.node, bindings))
}

fn calls(node: &NodeEnum, b: &Bindings) -> Vec<Call> {
    let mut out = vec![];
    let mut call = |f: &ast::FuncCall| {
        out.push(Call {
            name: crate::expr::name_list(&f.funcname),
            args: f.args.iter().map(|a| eval(a, b)).collect(),
        })
    };
    match node {
        NodeEnum::CallStmt(c) => {
            if let Some(f) = &c.funccall {
                call(f);
            }
        }
        NodeEnum::SelectStmt(s) => {
            for t in &s.target_list {
                if let Some(NodeEnum::ResTarget(t)) = t.node.as_ref()
                    && let Some(NodeEnum::FuncCall(f)) =
                        t.val.as_ref().and_then(|v| v.node.as_ref())
                {
                    call(f);
                }
            }
            for r in &s.from_clause {
                if let Some(NodeEnum::RangeFunction(r)) = r.node.as_ref() {
                    for l in &r.functions {
                        if let Some(NodeEnum::List(l)) = l.node.as_ref()
                            && let Some(NodeEnum::FuncCall(f)) =
                                l.items.first().and_then(|i| i.node.as_ref())
                        {
                            call(f);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// The statements of an SQL text a body runs, each with the span of the statement that ran the body
/// (`at`): the text is not in the file where the span points.
pub fn statements_of(sql: &str, at: Span) -> Result<Vec<Statement>, String> {
    let parsed = crate::raw::parse(sql).map_err(|e| e.message)?;
    let mut out = vec![];
    for raw in parsed.stmts {
        let Some(node) = raw.stmt.and_then(|s| s.node) else {
            continue;
        };
        let start = usize::try_from(raw.stmt_location).unwrap_or(0);
        let text = match usize::try_from(raw.stmt_len) {
            Ok(0) | Err(_) => sql.get(start..),
            Ok(len) => sql.get(start..start + len),
        }
        .unwrap_or(sql);
        out.push(Statement {
            span: at,
            sql: text.trim().to_string(),
            node,
            outline: None,
        });
    }
    Ok(out)
}

/// The statements of an SQL-language routine's body.
pub fn sql_body_steps(body: &str) -> Vec<Step> {
    match pg_query::split_with_parser(body) {
        Ok(parts) => parts
            .into_iter()
            .map(|s| Step {
                kind: StepKind::Sql(s.trim().to_string()),
                guarded: false,
                line: 0,
            })
            .collect(),
        Err(_) => vec![Step {
            kind: StepKind::Unknown("a body that does not parse".into()),
            guarded: false,
            line: 0,
        }],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_is_placed_on_its_line_of_the_block() {
        let sql =
            "DO $$\nBEGIN\n  IF true THEN\n    ALTER TABLE a ADD COLUMN y int;\n  END IF;\nEND\n$$";
        let s = steps(sql, &[]).unwrap();
        assert_eq!(s[0].line, 4);
        let (start, end) = body_line(sql, s[0].line).unwrap();
        assert_eq!(&sql[start..end], "ALTER TABLE a ADD COLUMN y int;");
        // One line: the body opens on the statement's own line.
        let one = "DO LANGUAGE plpgsql 'BEGIN DROP TABLE t; END'";
        let s = steps(one, &[]).unwrap();
        let (start, _) = body_line(one, s[0].line).unwrap();
        assert_eq!(&one[start..start + 7], "'BEGIN ");
        assert_eq!(body_line(sql, 40), None);
        assert_eq!(body_line(sql, 0), None);
    }

    use super::*;

    fn sql(steps: &[Step]) -> Vec<(String, bool)> {
        steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::Sql(q) => (q.clone(), s.guarded),
                StepKind::Unknown(e) => (format!("? {e}"), s.guarded),
            })
            .collect()
    }

    #[test]
    fn execute_format_with_an_argument_known_at_the_call() {
        let def = "CREATE FUNCTION add_tenant(t text) RETURNS void AS $$
            BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN tenant_id integer', t); END;
            $$ LANGUAGE plpgsql";
        let s = steps(def, &[Some("a".into())]).unwrap();
        assert_eq!(
            sql(&s),
            [(
                "ALTER TABLE \"a\" ADD COLUMN tenant_id integer".to_string(),
                false
            )]
        );
        // Not known at the call: the EXECUTE stays unknown.
        let s = steps(def, &[None]).unwrap();
        assert!(matches!(&s[0].kind, StepKind::Unknown(e) if e.starts_with("format(")));
    }

    #[test]
    fn do_block_static_sql_under_if_is_guarded() {
        let def = "DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'y') THEN
                ALTER TABLE a ADD COLUMN y int;
            END IF;
            CREATE INDEX a_y ON a (y);
            EXECUTE 'ALTER TABLE a ' || 'ADD COLUMN z int';
            PERFORM helper('x', 2);
        END $$";
        let s = steps(def, &[]).unwrap();
        assert_eq!(
            sql(&s),
            [
                ("ALTER TABLE a ADD COLUMN y int".to_string(), true),
                ("CREATE INDEX a_y ON a (y)".to_string(), false),
                ("ALTER TABLE a ADD COLUMN z int".to_string(), false),
                ("SELECT helper('x', 2)".to_string(), false),
            ]
        );
    }

    #[test]
    fn loops_and_exception_blocks_are_guarded_and_loop_variables_unknown() {
        let def = "DO $$ DECLARE r record; BEGIN
            FOR r IN SELECT tablename FROM pg_tables LOOP
                EXECUTE format('ALTER TABLE %I OWNER TO app', r.tablename);
            END LOOP;
            BEGIN ALTER TABLE a ADD COLUMN w int; EXCEPTION WHEN duplicate_column THEN NULL; END;
        END $$";
        let s = steps(def, &[]).unwrap();
        assert!(matches!(
            &s[0],
            Step {
                kind: StepKind::Unknown(_),
                guarded: true,
                ..
            }
        ));
        assert_eq!(
            sql(&s[1..]),
            [("ALTER TABLE a ADD COLUMN w int".to_string(), true)]
        );
    }

    #[test]
    fn constants_and_positional_parameters() {
        let def = "CREATE FUNCTION f(text, n int) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE col CONSTANT text := 'c' || n;
            BEGIN EXECUTE format('ALTER TABLE %s ADD COLUMN %I int', $1, col); END $$";
        let s = steps(def, &[Some("s.t".into()), Some("7".into())]).unwrap();
        assert_eq!(
            sql(&s),
            [("ALTER TABLE s.t ADD COLUMN \"c7\" int".to_string(), false)]
        );
    }

    #[test]
    fn format_follows_the_server() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            format("%s-%I-%L-%%", &a(&["x", "Y", "o'k"])).unwrap(),
            "x-\"Y\"-'o''k'-%"
        );
        assert_eq!(format("%2$s %1$s %s", &a(&["a", "b"])).unwrap(), "b a b");
        assert_eq!(format("%s %s", &a(&["a"])), None);
        assert_eq!(format("%10s", &a(&["a"])), None);
    }

    #[test]
    fn calls_with_constant_arguments() {
        let parsed = pg_query::parse("SELECT add_tenant('a', 1 + 1)", 0).unwrap();
        let node = parsed.protobuf.stmts[0]
            .stmt
            .as_ref()
            .unwrap()
            .node
            .as_ref()
            .unwrap();
        assert_eq!(
            calls(node, &Bindings::new()),
            [Call {
                name: vec!["add_tenant".into()],
                args: vec![Some("a".into()), None]
            }]
        );
    }
}
