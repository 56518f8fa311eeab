//! Keys and constraints: primary keys, foreign keys, uniqueness.
pub mod case_sensitive_unique_email;
pub mod circular_fk_not_deferrable;
pub mod fk_to_non_unique;
pub mod fk_type_mismatch;
pub mod fk_without_index;
pub mod id_column_without_foreign_key;
pub mod integer_primary_key;
pub mod partitioned_key_without_partition_columns;
pub mod serial_instead_of_identity;
pub mod soft_delete_unique;
pub mod table_without_primary_key;
pub mod unique_on_nullable_columns;
