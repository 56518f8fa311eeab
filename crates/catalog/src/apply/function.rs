//! Functions and procedures.

use dbarch_sql::change::CreateFunction;

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn create_function(&mut self, s: &CreateFunction, cx: &Ctx) {
        let f = Function {
            name: self.qualify(&s.name),
            arg_types: s.arg_types.clone(),
            returns: s.returns.clone(),
            language: s.language.clone(),
            body: s.body.clone(),
            security_definer: s.security_definer,
            volatility: s.volatility.clone(),
            search_path: s.search_path.clone(),
            is_procedure: s.is_procedure,
            definition: s.definition.clone(),
            origin: cx.whole(),
        };
        self.functions
            .retain(|x| !(x.name == f.name && x.arg_types == f.arg_types));
        self.functions.push(Arc::new(f));
    }
}
