//! Naming: consistent, unquoted, non-reserved identifiers.
pub mod inconsistent_key_naming;
pub mod mixed_case_identifier;
pub mod mixed_plural_singular;
pub mod reserved_word_identifier;
