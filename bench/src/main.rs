//! `crm-bench`: fills a database with a deterministic data set and measures the API's hot paths
//! against the same work done directly on the database, in one run.
//!
//! `crm-bench run --scale ci` (the CI run: small, fails only on a broken scenario),
//! `crm-bench run --scale medium --database-url postgres://... --duration-secs 10`,
//! `crm-bench generate --scale full --database-url postgres://...` (data only).

/// The harness allocates with jemalloc like the server: it shares the two cores with the server
/// and the database, and glibc's allocator was a tenth of its CPU.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod generate;
mod load;
mod pgbench;
mod scenarios;
mod server;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Benchmark harness of the CRM API.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill an empty database (migrated here) with the data set.
    Generate {
        /// Database URL; the database must be empty.
        #[arg(long)]
        database_url: String,
        /// `ci`, `small`, `medium` or `full`.
        #[arg(long, default_value = "small")]
        scale: String,
        /// Seed of the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Generate the data set and run every scenario against the server and the baseline.
    Run {
        /// Database URL of an empty database (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// `ci`, `small`, `medium` or `full`.
        #[arg(long, default_value = "ci")]
        scale: String,
        /// Seed of the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Seconds each measurement lasts.
        #[arg(long, default_value_t = 3)]
        duration_secs: u64,
        /// Concurrent workers (connections).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Fail when a target is missed (not only when a scenario is broken).
        #[arg(long)]
        enforce_targets: bool,
        /// Only these scenarios, comma-separated (such as `S1,S2`).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// The `crm` binary to run as the server (default: the one beside crm-bench; without
        /// one, the server runs inside the harness).
        #[arg(long)]
        server_bin: Option<std::path::PathBuf>,
        /// Use the data set already in the database (from `generate` or an earlier run) instead
        /// of generating one; `--scale` is then ignored.
        #[arg(long)]
        reuse_data: bool,
        /// Run the server inside the harness even when a `crm` binary is there.
        #[arg(long)]
        in_process: bool,
    },
}

#[actix_rt::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Generate {
            database_url,
            scale,
            seed,
        } => {
            let Some(scale) = generate::Scale::named(&scale) else {
                eprintln!("unknown scale");
                return ExitCode::from(2);
            };
            match scenarios::prepare(&database_url, scale, seed, false).await {
                Ok((_, data, took)) => {
                    println!(
                        "generated {} contacts in {:.1} s",
                        scale.contacts,
                        took.as_secs_f64()
                    );
                    let _ = data;
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("crm-bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Run {
            database_url,
            scale,
            seed,
            duration_secs,
            concurrency,
            enforce_targets,
            only,
            server_bin,
            in_process,
            reuse_data,
        } => {
            let Some(scale) = generate::Scale::named(&scale) else {
                eprintln!("unknown scale");
                return ExitCode::from(2);
            };
            let options = scenarios::Options {
                only,
                duration: std::time::Duration::from_secs(duration_secs),
                concurrency,
                enforce_targets,
                reuse_data,
                server_bin: if in_process {
                    None
                } else {
                    server_bin.or_else(server::sibling_binary)
                },
            };
            match scenarios::run_all(database_url, scale, seed, options).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("crm-bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
