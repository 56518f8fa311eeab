//! Normalization: first normal form violations, entity-attribute-value, denormalized copies.
pub mod copied_referenced_attribute;
pub mod eav_table;
pub mod list_in_column;
pub mod repeating_group;
pub mod wide_table;
