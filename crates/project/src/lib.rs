//! The pipeline between the command line and the analyses. A command's inputs are discovered and
//! classified once (schema files, migration histories with their tool, workload files, statistics, a
//! live database), the schema model is built once, the analyses run, and one report comes back. The
//! binary parses arguments, calls this crate and renders what it returns; it builds no model and runs no
//! analysis of its own.

pub mod advise;
pub mod down;
pub mod inputs;
pub mod live;
pub mod migrations;
pub mod review;
pub mod schema;
pub mod trace;
pub mod workload;

/// The pipeline's errors are the inputs' (each names its file, line and column) and the analyses'.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
