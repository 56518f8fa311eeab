//! The binary's integration tests, linked into one test binary: one link instead of one per file, and
//! the slow server tests of one file run beside the quick tests of the others. Each module is one
//! subject; `cargo test -p dbarch --test integration MODULE::` runs one of them.

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
