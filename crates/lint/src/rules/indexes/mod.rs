//! Indexes: duplicates, redundancy, indexes that cannot pay for themselves.
pub mod duplicate_index;
pub mod low_cardinality_index;
pub mod redundant_index;

/// Keys compared as PostgreSQL would use them: expression, opclass, collation, order.
pub(crate) fn same_key(a: &dbarch_catalog::IndexKey, b: &dbarch_catalog::IndexKey) -> bool {
    a.expr == b.expr
        && a.opclass == b.opclass
        && a.collation == b.collation
        && a.descending == b.descending
        && a.nulls_first == b.nulls_first
}
