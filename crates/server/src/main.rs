use std::process::ExitCode;

use clap::Parser;
use socialrx_server::cli::{Cli, run};

#[actix_web::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
