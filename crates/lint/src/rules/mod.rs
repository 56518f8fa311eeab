//! The rules, one per file, grouped by what they judge.

pub mod design;
pub mod fix;
pub mod health;
pub mod indexes;
pub mod keys;
pub mod migration;
pub mod naming;
pub mod normalization;
pub mod plan;
pub mod query;
pub mod security;
pub mod types;
mod util;

/// The two fixture files of a rule, from `fixtures/CODE/` (`triggers.sql` and `clean.sql`, or with
/// another extension: `json` for the plans of plan rules).
macro_rules! fixtures {
    ($code:literal) => {
        $crate::rules::fixtures!($code, "sql")
    };
    ($code:literal, $ext:literal) => {
        $crate::rule::Fixtures {
            triggers: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/",
                $code,
                "/triggers.",
                $ext
            )),
            clean: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/",
                $code,
                "/clean.",
                $ext
            )),
        }
    };
}
pub(crate) use fixtures;

/// What every rule file needs.
pub(crate) mod prelude {
    pub(crate) use super::fixtures;
    pub use super::util::*;
    pub use crate::rule::{Category, Check, Context, Doc, Rule, Sink};
    pub use dbarch_catalog::{Column, Index, QualifiedName, Table};
    pub use dbarch_report::Severity;
    pub use dbarch_sql::expr::quote_ident;
}
