//! Functions and procedures.

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self};
use dbarch_sql::expr::{const_text, deparse_stmt};

use std::sync::Arc;

use crate::types::data_type;

use super::*;

impl Catalog {
    pub(super) fn create_function(&mut self, s: &ast::CreateFunctionStmt, cx: &Ctx) {
        let name = self.resolve_function_name(&strings(&s.funcname));
        let arg_types: Vec<String> = s
            .parameters
            .iter()
            .filter_map(|p| match p.node.as_ref()? {
                NodeEnum::FunctionParameter(fp)
                    if fp.mode != ast::FunctionParameterMode::FuncParamOut as i32
                        && fp.mode != ast::FunctionParameterMode::FuncParamTable as i32 =>
                {
                    fp.arg_type.as_ref().map(|t| data_type(t).0.to_string())
                }
                _ => None,
            })
            .collect();
        let mut f = Function {
            name: name.clone(),
            arg_types,
            returns: s.return_type.as_ref().map(|t| data_type(t).0.to_string()),
            language: "sql".into(),
            body: None,
            security_definer: false,
            volatility: "volatile".into(),
            search_path: None,
            is_procedure: s.is_procedure,
            origin: cx.whole(),
        };
        for o in &s.options {
            let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                continue;
            };
            let arg = d.arg.as_ref().and_then(|a| a.node.as_ref());
            match (d.defname.as_str(), arg) {
                ("language", _) => {
                    f.language = d
                        .arg
                        .as_ref()
                        .and_then(|a| const_text(a))
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                }
                ("as", Some(NodeEnum::List(l))) => f.body = l.items.first().and_then(const_text),
                ("volatility", _) => {
                    if let Some(v) = d.arg.as_ref().and_then(|a| const_text(a)) {
                        f.volatility = v.to_ascii_lowercase();
                    }
                }
                ("security", _) => {
                    f.security_definer = d
                        .arg
                        .as_ref()
                        .and_then(|a| const_text(a))
                        .is_some_and(|v| v == "true")
                }
                ("set", Some(NodeEnum::VariableSetStmt(v)))
                    if v.name.eq_ignore_ascii_case("search_path") =>
                {
                    f.search_path = Some(
                        v.args
                            .iter()
                            .filter_map(const_text)
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                }
                _ => {}
            }
        }
        if let Some(b) = &s.sql_body {
            f.body = b.node.as_ref().map(deparse_stmt).or(Some(String::new()));
        }
        self.functions
            .retain(|x| !(x.name == f.name && x.arg_types == f.arg_types));
        self.functions.push(Arc::new(f));
    }
}
