//! The `doorward` binary: the command line (which starts logging once its configuration is
//! read).

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = doorward::cli::Cli::parse();
    match doorward::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("doorward: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
