use std::process::ExitCode;

use clap::Parser;
use socialrx_server::cli::{Cli, run};

// Many threads (HTTP workers, one per SQLite connection, tantivy) allocate and free small
// buffers for every request; glibc's malloc spent about 12% of a caseload read in its own
// bookkeeping (tests/bench/caseload.sh under perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
