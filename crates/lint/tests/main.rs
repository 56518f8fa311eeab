//! The rule engine's integration tests, linked into one test binary (one link instead of one per file,
//! and the server tests of one file run beside the quick tests of the others). Each module is one
//! subject; `cargo test -p dbarch-lint --test integration MODULE::` runs one of them.

mod fixes_server;
mod fixtures;
mod fuzz;
mod fuzz_workload;
mod knowledge_server;
mod refused_statements_server;
