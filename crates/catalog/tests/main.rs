//! The catalog's integration tests, linked into one test binary. Each module is one subject;
//! `cargo test -p dbarch-catalog --test integration MODULE::` runs one of them.

mod changes;
mod replay;
