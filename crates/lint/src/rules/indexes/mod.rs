//! Indexes: duplicates, redundancy, indexes that cannot pay for themselves.
pub mod duplicate_index;
pub mod low_cardinality_index;
pub mod redundant_index;

use dbarch_catalog::{Index, IndexSource};
use dbarch_sql::expr::quote_ident;

/// The statement that removes an index, whether it was written as an index or implied by a constraint.
pub(crate) fn drop_sql(i: &Index) -> String {
    match &i.source {
        IndexSource::Constraint(n) => format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            i.table,
            quote_ident(n)
        ),
        IndexSource::CreateIndex => {
            let name = if i.name.schema == "public" {
                quote_ident(&i.name.name)
            } else {
                i.name.to_string()
            };
            format!("DROP INDEX CONCURRENTLY {name};")
        }
    }
}

/// Keys compared as PostgreSQL would use them: expression, opclass, collation, order.
pub(crate) fn same_key(a: &dbarch_catalog::IndexKey, b: &dbarch_catalog::IndexKey) -> bool {
    a.expr == b.expr
        && a.opclass == b.opclass
        && a.collation == b.collation
        && a.descending == b.descending
        && a.nulls_first == b.nulls_first
}
