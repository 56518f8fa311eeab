//! The rule engine's integration tests as one binary (docs/ARCHITECTURE.md, Conventions);
//! `cargo test -p dbarch-lint --test integration MODULE::` runs one module.

mod fixes_server;
mod fixtures;
mod fuzz;
mod fuzz_workload;
mod knowledge_server;
mod refused_statements_server;
