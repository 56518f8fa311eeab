//! The `dbarch` command line. It only wires: parse arguments, pick inputs, run analyses, render.

mod advise;
mod analyze;
mod args;
mod commands;
mod downgen;
mod inputs;
mod live;
mod trace;

use std::process::ExitCode;

use clap::Parser;

/// Parsing allocates and frees a tree node by node; mimalloc does that faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
