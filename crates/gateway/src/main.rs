//! The `crm` binary: `serve` (default), `worker`, `migrate`, `export-openapi`, `export-graphql`.

use clap::Parser;
use crm_gateway::cli::{Cli, Command};
use crm_gateway::{contracts, server, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc instead of the system allocator, for Rust and (unprefixed, see Cargo.toml) for
/// SQLite's C code too: glibc keeps what a burst of large answers allocated (on SQLite, 277 MB
/// resident after the benchmark's nested GraphQL scenario, against 168 MB falling to 124 MB
/// with jemalloc, which returns freed pages to the system).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
