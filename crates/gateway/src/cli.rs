//! The `crm` command line.

use crate::config::{Config, ConfigError};
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;

/// Headless CRM API server.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about)]
pub struct Cli {
    /// TOML configuration file (`CRM_CONFIG`).
    #[arg(long, global = true, env = "CRM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on, such as 127.0.0.1:8080.
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// Database URL (`sqlite://path?mode=rwc` or `postgres://...`).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Folder for the embedded database and generated secrets.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// `development` or `production`.
    #[arg(long, global = true)]
    pub env: Option<String>,
    /// `pretty` or `json`.
    #[arg(long, global = true)]
    pub log_format: Option<String>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API with the job workers (the default).
    Serve {
        /// Serve HTTP only, without job workers (run them with `crm worker` elsewhere).
        #[arg(long)]
        no_workers: bool,
    },
    /// Run only the job workers, without HTTP (for replicas split by role).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (or write it to --out).
    ExportOpenapi {
        /// File to write instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the GraphQL schema SDL (or write it to --out).
    ExportGraphql {
        /// File to write instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The flags that override configuration, in configuration key names.
#[derive(Debug, Serialize)]
struct Overrides<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<&'a PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<&'a str>,
}

impl Cli {
    /// The configuration from every layer, validated; `serve --no-workers` turns the job
    /// workers off.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let mut config = self.layered()?;
        if let Some(Command::Serve { no_workers: true }) = self.command {
            config.jobs_enabled = false;
        }
        Ok(config)
    }

    fn layered(&self) -> Result<Config, ConfigError> {
        let overrides = Overrides {
            listen: self.listen.as_deref(),
            database_url: self.database_url.as_deref(),
            data_dir: self.data_dir.as_ref(),
            env: self.env.as_deref(),
            log_format: self.log_format.as_deref(),
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_runs_workers_unless_told_not_to_and_worker_runs_only_them() {
        let cli = Cli::try_parse_from(["crm", "serve", "--no-workers"]).unwrap();
        assert!(!cli.config().unwrap().jobs_enabled);
        let cli = Cli::try_parse_from(["crm", "serve"]).unwrap();
        assert!(cli.config().unwrap().jobs_enabled);
        let cli = Cli::try_parse_from(["crm"]).unwrap();
        assert!(cli.config().unwrap().jobs_enabled);
        let cli = Cli::try_parse_from(["crm", "worker"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Worker)));
        assert!(Cli::try_parse_from(["crm", "worker", "--no-workers"]).is_err());
    }
}
