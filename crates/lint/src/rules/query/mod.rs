//! Query rules: one query of a workload at a time.

pub mod cartesian_join;
pub mod comparison_with_null;
pub mod deep_offset;
pub mod function_on_column;
pub mod huge_in_list;
pub mod insert_without_columns;
pub mod leading_wildcard;
pub mod not_in_nullable;
pub mod or_across_columns;
pub mod order_by_random;
pub mod select_star;
pub mod write_without_where;

pub(crate) use crate::query::QueryContext;
