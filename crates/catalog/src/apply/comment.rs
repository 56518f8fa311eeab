//! COMMENT ON.

use dbarch_sql::change::CommentOn;

use std::sync::Arc;

use super::*;

impl Catalog {
    pub(super) fn comment(&mut self, on: &CommentOn, text: &Option<String>) {
        match on {
            CommentOn::Table(table) => {
                let name = self.resolve(table);
                if let Some(t) = self.tables.get_mut(&name).map(Arc::make_mut) {
                    t.comment = text.clone();
                }
            }
            CommentOn::Column { table, column } => {
                let name = self.resolve(table);
                if let Some(c) = self
                    .tables
                    .get_mut(&name)
                    .map(Arc::make_mut)
                    .and_then(|t| t.column_mut(column))
                {
                    c.comment = text.clone();
                }
            }
            CommentOn::Object { .. } | CommentOn::Other => {}
        }
    }
}
