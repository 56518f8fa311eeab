//! The binary's integration tests as one binary (docs/ARCHITECTURE.md, Conventions);
//! `cargo test -p dbarch --test integration MODULE::` runs one module.

mod common;

mod advise;
mod analyze;
mod architecture;
mod cli;
mod diff_server;
mod heldout;
mod hostile;
mod inspect;
mod live;
mod live_fixtures;
mod readonly;
mod tls;
mod trace;
mod transactions;
