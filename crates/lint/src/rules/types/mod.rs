//! Column types.
pub mod arbitrary_varchar_length;
pub mod char_n;
pub mod float_for_money;
pub mod json_instead_of_jsonb;
pub mod money_type;
pub mod temporal_as_text;
pub mod timestamp_without_time_zone;

use dbarch_catalog::{Column, Table};

use crate::rule::Context;

/// Every column of every ordinary table.
pub(crate) fn columns<'a>(cx: &'a Context) -> impl Iterator<Item = (&'a Table, &'a Column)> + 'a {
    cx.tables()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
}
