//! Every rule, in code order. A code, once published, is never reused for another rule.

use crate::rule::Rule;
use crate::rules::*;

static RULES: &[&Rule] = &[
    &migration::require_concurrent_index_creation::RULE,
    &migration::concurrently_in_transaction::RULE,
    &migration::require_concurrent_index_deletion::RULE,
    &migration::add_column_rewrite::RULE,
    &migration::add_column_not_null_without_default::RULE,
    &migration::set_not_null::RULE,
    &migration::add_foreign_key_without_not_valid::RULE,
    &migration::add_check_without_not_valid::RULE,
    &migration::missing_lock_timeout::RULE,
    &migration::reindex_not_concurrently::RULE,
    &migration::alter_column_type::RULE,
    &migration::rename::RULE,
    &migration::drop_column_or_table::RULE,
    &migration::add_unique_without_index::RULE,
    &migration::table_rewrite_maintenance::RULE,
    &migration::enum_add_value_in_transaction::RULE,
    &migration::truncate_or_cascade::RULE,
    &migration::validate_in_same_transaction::RULE,
    &migration::backfill_in_ddl_transaction::RULE,
    &migration::multiple_access_exclusive::RULE,
    &migration::down_does_not_restore::RULE,
    &migration::manifest::EDITED,
    &migration::manifest::OUT_OF_ORDER,
    &migration::drop_not_null_or_default::RULE,
    &migration::drop_routine_type_or_schema::RULE,
    &migration::identifier_too_long::RULE,
    &migration::drop_database::RULE,
    &migration::transaction_nesting::RULE,
    &migration::alter_domain_add_constraint::RULE,
    &migration::drop_view::RULE,
    &migration::non_rerunnable_concurrent_index::RULE,
    &migration::dependent_view::RULE,
    &migration::fails_against_schema::RULE,
    &query::select_star::RULE,
    &query::write_without_where::RULE,
    &query::insert_without_columns::RULE,
    &query::comparison_with_null::RULE,
    &query::leading_wildcard::RULE,
    &query::order_by_random::RULE,
    &query::not_in_nullable::RULE,
    &query::deep_offset::RULE,
    &query::function_on_column::RULE,
    &query::huge_in_list::RULE,
    &query::or_across_columns::RULE,
    &query::cartesian_join::RULE,
    &query::unbounded_select::RULE,
    &query::distinct_fanout::RULE,
    &query::count_for_existence::RULE,
    &query::correlated_select_subquery::RULE,
    &query::implicit_conversion::RULE,
    &query::union_without_all::RULE,
    &query::limit_without_order::RULE,
    &query::having_without_aggregate::RULE,
    &query::n_plus_one::RULE,
    &keys::table_without_primary_key::RULE,
    &keys::fk_without_index::RULE,
    &keys::fk_type_mismatch::RULE,
    &keys::fk_to_non_unique::RULE,
    &keys::circular_fk_not_deferrable::RULE,
    &keys::integer_primary_key::RULE,
    &keys::serial_instead_of_identity::RULE,
    &keys::unique_on_nullable_columns::RULE,
    &keys::soft_delete_unique::RULE,
    &keys::partitioned_key_without_partition_columns::RULE,
    &keys::case_sensitive_unique_email::RULE,
    &keys::id_column_without_foreign_key::RULE,
    &indexes::duplicate_index::RULE,
    &indexes::redundant_index::RULE,
    &indexes::low_cardinality_index::RULE,
    &types::timestamp_without_time_zone::RULE,
    &types::money_type::RULE,
    &types::float_for_money::RULE,
    &types::json_instead_of_jsonb::RULE,
    &types::char_n::RULE,
    &types::arbitrary_varchar_length::RULE,
    &types::temporal_as_text::RULE,
    &normalization::repeating_group::RULE,
    &normalization::list_in_column::RULE,
    &normalization::eav_table::RULE,
    &normalization::wide_table::RULE,
    &normalization::copied_referenced_attribute::RULE,
    &design::updated_at_not_maintained::RULE,
    &naming::mixed_case_identifier::RULE,
    &naming::mixed_plural_singular::RULE,
    &naming::inconsistent_key_naming::RULE,
    &naming::reserved_word_identifier::RULE,
    &security::plaintext_sensitive_column::RULE,
    &security::tenant_table_without_rls::RULE,
    &security::grant_to_public::RULE,
    &security::rls_policies_not_enforced::RULE,
    &security::security_definer_search_path::RULE,
    &security::extension_in_public::RULE,
    &health::unused_index::RULE,
    &health::invalid_index::RULE,
    &health::not_valid_constraint::RULE,
    &health::dead_tuples::RULE,
    &health::autovacuum_disabled::RULE,
    &health::xid_wraparound::RULE,
    &health::sequence_near_max::RULE,
    &health::low_cache_hit_ratio::RULE,
    &health::long_transaction::RULE,
    &health::blocked_query::RULE,
    &health::connections_near_max::RULE,
    &health::slow_query::RULE,
    &health::replication_slot::RULE,
    &health::over_privileged_login::RULE,
    &health::md5_passwords::RULE,
    &health::ssl_off::RULE,
    &health::setting::RULE,
    &health::table_bloat::RULE,
    &health::index_bloat::RULE,
    &health::replication_lag::RULE,
    &plan::slow_node::RULE,
    &plan::row_misestimate::RULE,
    &plan::seq_scan_with_selective_filter::RULE,
    &plan::rows_removed_by_filter::RULE,
    &plan::spills_to_disk::RULE,
    &plan::nested_loop_many_loops::RULE,
    &plan::heap_fetches::RULE,
    &plan::lossy_bitmap::RULE,
    &plan::workers_not_launched::RULE,
    &plan::not_in_subplan::RULE,
    &plan::jit_overhead::RULE,
];

/// Codes a rule had before it became one rule with another: configurations and `dbarch rule` still take
/// them. `dbarch inspect` found these six under codes of its own; they are the static rules' hazards,
/// found in the live database.
static ALIASES: &[(&str, &str)] = &[
    ("DB001", "IDX001"),
    ("DB003", "KEY002"),
    ("DB006", "KEY001"),
    ("DB017", "SEC002"),
    ("DB021", "SEC005"),
    ("DB022", "SEC003"),
];

/// The other codes a rule is known by.
pub fn aliases_of(code: &str) -> impl Iterator<Item = &'static str> + '_ {
    ALIASES
        .iter()
        .filter(move |(_, to)| to.eq_ignore_ascii_case(code))
        .map(|(from, _)| *from)
}

/// The rules `dbarch inspect` also finds in a live database, besides its own (`Check::Live`).
pub static FOUND_LIVE: &[&str] = &["IDX001", "KEY002", "KEY001", "SEC002", "SEC005", "SEC003"];

pub fn all_rules() -> &'static [&'static Rule] {
    RULES
}

/// A rule by code, name or former code ([`aliases_of`]).
pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    let code = ALIASES
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(code_or_name))
        .map_or(code_or_name, |(_, to)| *to);
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name.eq_ignore_ascii_case(code))
}

/// The generated documentation pages: `(file name, Markdown)`, one per rule plus an index.
pub fn doc_pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (format!("{}.md", r.code), r.markdown()))
        .collect();
    let mut index = String::from(
        "# Rules\n\nGenerated from the rule definitions by `dbarch rules --write-docs docs/rules`; do not edit by hand.\n\n| Code | Name | Category | Severity | Summary |\n|---|---|---|---|---|\n",
    );
    for r in RULES {
        index.push_str(&format!(
            "| [{}]({}.md) | `{}` | {} | {} | {} |\n",
            r.code,
            r.code,
            r.name,
            r.category.as_str(),
            r.severity,
            r.summary
        ));
    }
    pages.push(("README.md".to_string(), index));
    pages
}
