//! The `crm` binary: `serve` (default), `worker`, `migrate`, `export-openapi`, `export-graphql`.

use clap::Parser;
use crm_gateway::cli::{Cli, Command};
use crm_gateway::{contracts, server, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

fn write_out(out: Option<PathBuf>, content: &str) -> ExitCode {
    match out {
        Some(path) => match std::fs::write(&path, content) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        None => {
            print!("{content}");
            ExitCode::SUCCESS
        }
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::ExportOpenapi { out }) => return write_out(out, &contracts::openapi_json()),
        Some(Command::ExportGraphql { out }) => return write_out(out, &contracts::graphql_sdl()),
        _ => {}
    }
    let config = match cli.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("crm: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config);
    let result = match cli.command {
        Some(Command::Migrate) => server::open_database(&config).await.map(|_| {
            tracing::info!("migrations applied");
        }),
        Some(Command::Worker) => server::work_until_signal(config).await,
        _ => server::serve_until_signal(config).await,
    };
    crm_gateway::otel::shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "crm stopped with an error");
            eprintln!("crm: {e}");
            ExitCode::FAILURE
        }
    }
}
