//! `boxoffice`: one binary for every service and the tools around them.

mod cli;
mod commands;
mod demo;
mod settings;

use clap::Parser;

// Every request allocates many small, short-lived values (GraphQL values, JSON, protobuf); under
// load glibc's malloc spent a quarter of the CPU on them (docs/BENCHMARKS.md, "Profile").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, mimalloc.h; the Rust
/// bindings do not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How soon mimalloc gives freed memory back to the OS, in milliseconds (its own default is
/// 1,000, and arenas wait ten times that). Memory freed by threads that then sit idle (the
/// blocking pool after a burst of password hashes, at 19 MiB each) stayed resident: 30–50 MB
/// of the embedded process's peak under the rush. Giving it back at once (0) kept the peak
/// lowest but cost ~30 % of the read throughput in page faults; 10 ms keeps the rush under
/// 170 MB at a smaller cost (docs/BENCHMARKS.md). `MIMALLOC_PURGE_DELAY` still decides when set.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

fn purge_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc allows options to be set at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

/// Everything the binary creates — the data directory, SQLite stores and their WAL files,
/// signing keys, service tokens, emails — is readable by its own user only (0700 directories,
/// 0600 files): tokens, password hashes and tickets are in there. Set before any thread starts,
/// because the mask is per process.
fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only replaces the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

fn main() -> std::process::ExitCode {
    private_files();
    purge_freed_memory_soon();
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("boxoffice: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("boxoffice: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc 3 sets purge_delay to 1000 (ms) by default; no neighbouring option has that
        // value, so this fails if the option's position ever moves.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one integer option.
            let before = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(before, 1000);
        }
        purge_freed_memory_soon();
        // SAFETY: reads one integer option.
        let after = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(after, PURGE_DELAY_MS);
        }
    }
}
