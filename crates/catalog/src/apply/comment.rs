//! COMMENT ON.

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self, ObjectType as Ot};

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn comment(&mut self, s: &ast::CommentStmt, _cx: &Ctx) {
        let Some(NodeEnum::List(l)) = s.object.as_ref().and_then(|o| o.node.as_ref()) else {
            return;
        };
        let parts = strings(&l.items);
        let text = if s.comment.is_empty() {
            None
        } else {
            Some(s.comment.clone())
        };
        match ot(s.objtype) {
            Ot::ObjectTable => {
                let name = self.resolve_name(&parts);
                if let Some(t) = self.tables.get_mut(&name).map(Arc::make_mut) {
                    t.comment = text;
                }
            }
            Ot::ObjectColumn => {
                if let Some((col, table)) = parts.split_last() {
                    let name = self.resolve_name(table);
                    if let Some(c) = self
                        .tables
                        .get_mut(&name)
                        .map(Arc::make_mut)
                        .and_then(|t| t.column_mut(col))
                    {
                        c.comment = text;
                    }
                }
            }
            _ => {}
        }
    }
}

pub(super) fn object_word(o: Ot) -> &'static str {
    match o {
        Ot::ObjectTable => "TABLE",
        Ot::ObjectSequence => "SEQUENCE",
        Ot::ObjectFunction => "FUNCTION",
        Ot::ObjectProcedure => "PROCEDURE",
        Ot::ObjectRoutine => "ROUTINE",
        Ot::ObjectSchema => "SCHEMA",
        Ot::ObjectDatabase => "DATABASE",
        Ot::ObjectType => "TYPE",
        Ot::ObjectDomain => "DOMAIN",
        Ot::ObjectLanguage => "LANGUAGE",
        Ot::ObjectTablespace => "TABLESPACE",
        Ot::ObjectForeignServer => "FOREIGN SERVER",
        Ot::ObjectFdw => "FOREIGN DATA WRAPPER",
        Ot::ObjectLargeobject => "LARGE OBJECT",
        _ => "OBJECT",
    }
}
