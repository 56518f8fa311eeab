//! The `dbarch` command line. It only wires: parse arguments, pick inputs, run analyses, render.

mod advise;
mod analyze;
mod args;
mod commands;
mod downgen;
mod live;
mod migrations;
mod review;
mod rules;
mod trace;

use std::process::ExitCode;

use clap::Parser;

/// Parsing allocates and frees a tree node by node; mimalloc does that faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The stack of every thread that parses or walks a tree. libpg_query hands over trees up to 10,000
/// levels deep (checking its own recursion against 2 MB, PostgreSQL's default `max_stack_depth`); the
/// protobuf decoder, the analyses that walk a tree and its drop all recurse once per level, so they run
/// on stacks sized for the deepest tree. Only the pages a thread touches are ever allocated.
const STACK: usize = 256 << 20;

/// mimalloc's `mi_option_arena_eager_commit` and `mi_option_purge_delay` (the same numbers in its v2 and
/// v3 headers).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Commit arena memory as it is used, and give freed pages back after 10 ms: a history's replay allocates
/// and frees trees migration by migration, and eager commits only add touched pages (measured on a
/// 342-migration history: 100 MB peak to 52 MB). Giving pages back at once instead (a delay of 0) costs
/// a page fault each time one is used again: 8-17% more wall time on the three real histories for 1 MB
/// less peak. Set before the first allocation reserves an arena: a constructor that runs before the
/// runtime's own.
extern "C" fn allocator_options() {
    // SAFETY: options are plain integers mimalloc reads when it next needs them.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00101")]
static ALLOCATOR_OPTIONS: extern "C" fn() = allocator_options;

fn main() -> ExitCode {
    #[cfg(not(target_os = "linux"))]
    allocator_options();
    // SAFETY: no other thread exists yet. Threads spawned without a size (the parser's producer thread,
    // scoped helpers) get the same stack as the pool's.
    unsafe { std::env::set_var("RUST_MIN_STACK", STACK.to_string()) };
    // A failure here means the pool exists already, with the sizes set above.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("dbarch".into())
        .stack_size(STACK)
        .spawn(run);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> ExitCode {
    let cli = args::Cli::parse();
    let result = commands::run(cli);
    // Statements refused on their own (too deeply nested) were skipped while the rest was judged: say
    // where each is, and never exit 0 over them.
    let refused = dbarch_sql::take_refused();
    for e in &refused {
        eprintln!("error: {e}");
    }
    match result {
        Ok(code) if refused.is_empty() => ExitCode::from(code),
        Ok(code) => ExitCode::from(code.max(2)),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
