//! Checks of a live database's health: `dbarch inspect` (crates/live) gathers their evidence; the
//! registry holds what they are.
pub mod autovacuum_disabled;
pub mod blocked_query;
pub mod connections_near_max;
pub mod dead_tuples;
pub mod index_bloat;
pub mod invalid_index;
pub mod long_transaction;
pub mod low_cache_hit_ratio;
pub mod md5_passwords;
pub mod not_valid_constraint;
pub mod over_privileged_login;
pub mod replication_lag;
pub mod replication_slot;
pub mod sequence_near_max;
pub mod setting;
pub mod slow_query;
pub mod ssl_off;
pub mod table_bloat;
pub mod unused_index;
pub mod xid_wraparound;
