//! Query rules: one query of a workload at a time.

pub mod cartesian_join;
pub mod comparison_with_null;
pub mod correlated_select_subquery;
pub mod count_for_existence;
pub mod deep_offset;
pub mod distinct_fanout;
pub mod function_on_column;
pub mod having_without_aggregate;
pub mod huge_in_list;
pub mod implicit_conversion;
pub mod insert_without_columns;
pub mod leading_wildcard;
pub mod limit_without_order;
pub mod n_plus_one;
pub mod not_in_nullable;
pub mod or_across_columns;
pub mod order_by_random;
pub mod select_star;
pub mod unbounded_select;
pub mod union_without_all;
pub mod write_without_where;

pub(crate) use crate::query::QueryContext;
