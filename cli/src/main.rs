//! `noorle`: the command line of the Noorle API-key SDK.

mod args;
mod commands;
mod context;
mod duration;
mod fail;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use fail::Failure;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2.
    let cli = Cli::parse();
    if !matches!(cli.command, Command::DevServer(_)) {
        noorle::logging::init_from_env();
    }
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            Failure::new(
                fail::code::GENERIC,
                format!("cannot start the async runtime: {e}"),
                "check the process limits (threads, file descriptors)",
            )
            .report(json);
            return ExitCode::from(fail::code::GENERIC);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report(json);
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let g = cli.global;
    match cli.command {
        Command::ApiKey(c) => commands::api_key::run(c, &g).await,
        Command::ServiceAccount(c) => commands::service_account::run(c, &g).await,
        Command::Whoami => commands::whoami::run(&g).await,
        Command::Doctor => commands::doctor::run(&g).await,
        Command::Login(a) => commands::login::run(a, &g).await,
        Command::DevServer(a) => commands::dev_server::run(a).await,
        Command::Scan(a) => commands::scan::run(a, &g).await,
    }
}
