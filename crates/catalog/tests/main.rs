//! The catalog's integration tests as one binary (docs/ARCHITECTURE.md, Conventions);
//! `cargo test -p dbarch-catalog --test integration MODULE::` runs one module.

mod changes;
mod replay;
