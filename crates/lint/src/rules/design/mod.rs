//! Design conventions that keep data trustworthy.
pub mod updated_at_not_maintained;
