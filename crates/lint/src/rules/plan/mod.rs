//! Tips on an EXPLAIN plan: `dbarch explain` (crates/advisor's `explain`) finds them; the registry
//! holds what they are.
pub mod heap_fetches;
pub mod jit_overhead;
pub mod lossy_bitmap;
pub mod nested_loop_many_loops;
pub mod not_in_subplan;
pub mod row_misestimate;
pub mod rows_removed_by_filter;
pub mod seq_scan_with_selective_filter;
pub mod slow_node;
pub mod spills_to_disk;
pub mod workers_not_launched;
