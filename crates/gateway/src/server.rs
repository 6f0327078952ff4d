//! Starting and stopping the server: connect, migrate, bootstrap, bind, drain on a signal.

use crate::config::Config;
use crate::state::AppState;
use crate::{contracts, graphql, rest};
use actix_web::dev::ServerHandle;
use actix_web::middleware::Compress;
use actix_web::{App, HttpServer, web};
use crm_core::db::{DbSettings, connect};
use crm_identity::ops::BootstrapInput;
use crm_identity::{Auth, AuthSettings};
use crm_migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be reached, opened or migrated.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The request limit cannot use the configured Redis.
    #[error("rate limit: {0}")]
    RateLimit(#[from] crate::ratelimit::shared::SharedError),
    /// The first-start bootstrap failed.
    #[error("bootstrap: {0}")]
    Bootstrap(crm_core::Error),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartError {
    let context = context.into();
    move |source| StartError::Io { context, source }
}

/// A running server.
pub struct RunningServer {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Stops the server.
    pub handle: ServerHandle,
    /// The shared state (tests read the database through it).
    pub state: AppState,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The background tasks aborted with the server: the `crm_principals` listener on
    /// PostgreSQL, and the pruning of outbox events past the feed's retention (one task, so
    /// that the struct does not grow with each).
    _background: AbortOnDrop,
    /// The writer of API keys' last use.
    key_usage: UsageFlusher,
    /// The job runtime (`None` with `--no-workers`).
    jobs: Option<crm_worker::Runtime>,
    /// How long a graceful stop waits for running jobs.
    job_grace: std::time::Duration,
}

/// The background writer of API keys' last use (`crm_identity::key_usage::run`): told to stop,
/// it writes what is pending once more; dropped, it is aborted.
struct UsageFlusher {
    stop: Arc<tokio::sync::Notify>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl UsageFlusher {
    fn start(state: &AppState) -> Self {
        let stop = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(crm_identity::key_usage::run(
            state.db.clone(),
            state.auth.key_usage.clone(),
            std::time::Duration::from_secs(state.config.api_key_usage_flush_secs),
            stop.clone(),
            state.config.db_max_connections,
        ));
        Self {
            stop,
            task: Some(task),
        }
    }

    /// Writes the pending uses and ends the task (waiting 10 s at most).
    async fn finish(mut self) {
        self.stop.notify_one();
        if let Some(task) = self.task.take()
            && tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .is_err()
        {
            tracing::warn!("the last use of API keys was not written before stopping");
        }
    }
}

impl Drop for UsageFlusher {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A background task that ends when its owner is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RunningServer {
    /// Stops gracefully: `/readyz` turns 503, in-flight requests finish, then the server stops
    /// and writes the last use of API keys still pending.
    pub async fn stop(self) -> std::io::Result<()> {
        self.state.draining.store(true, Ordering::Relaxed);
        if let Some(jobs) = &self.jobs {
            jobs.stop_claiming().stop();
        }
        self.handle.stop(true).await;
        self.wait().await
    }

    /// A handle that stops the job workers from claiming (the first step of a graceful stop);
    /// `None` when this server runs no workers.
    pub fn stop_claiming(&self) -> Option<crm_worker::StopClaiming> {
        self.jobs.as_ref().map(crm_worker::Runtime::stop_claiming)
    }

    /// Waits until the server stops (after [`RunningServer::stop`] or a signal), then stops the
    /// job workers gracefully and writes the last use of API keys still pending.
    pub async fn wait(self) -> std::io::Result<()> {
        let served = self.task.await;
        if let Some(jobs) = self.jobs {
            jobs.shutdown(self.job_grace).await;
        }
        self.key_usage.finish().await;
        served.map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

/// Opens the database and applies pending migrations.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, StartError> {
    let url = config.database_url();
    if let Some(path) = sqlite_path(&url)
        && let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    let mut settings = DbSettings::new(url);
    settings.max_connections = config.db_max_connections;
    let db = connect(&settings).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The JWT secret: configured, or generated once and kept in the data folder.
fn jwt_secret(config: &Config) -> Result<Vec<u8>, StartError> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.0.as_bytes().to_vec());
    }
    let path = config.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(io(format!("creating {}", config.data_dir.display())))?;
    let secret = crm_identity::secret::random_token(64);
    write_private(&path, &secret).map_err(io(format!("writing {}", path.display())))?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// Creates the first organization and admin on an empty database.
async fn bootstrap(db: &DatabaseConnection, config: &Config) -> Result<(), StartError> {
    let input = BootstrapInput {
        org_name: config.bootstrap_org.clone(),
        admin_email: config.bootstrap_admin_email.clone(),
        admin_password: config
            .bootstrap_admin_password
            .as_ref()
            .map(|s| s.0.clone()),
    };
    let outcome = crm_identity::ops::bootstrap(db, input)
        .await
        .map_err(|e| StartError::Bootstrap(e.into()))?;
    if let Some(done) = outcome {
        tracing::info!(org = %done.org_name, admin = %done.admin_email, "created the first organization and its admin");
        if let Some(password) = done.generated_password {
            // Printed once, on the console only: it is never logged or stored in clear.
            println!(
                "\n  First start: organization \"{}\" with admin {}\n  One-time password: {}\n  Sign in and change it: POST /api/v1/me/password\n",
                done.org_name, done.admin_email, password
            );
        }
    }
    Ok(())
}

/// Connects, migrates, bootstraps and starts serving; returns once the socket is bound.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let mut db = open_database(&config).await?;
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let counter = metrics.clone();
    db.set_metric_callback(move |_| {
        counter.sql_statements.fetch_add(1, Ordering::Relaxed);
    });
    let counter = metrics.clone();
    let reads = crm_core::reads::Reads::hold(
        db.clone(),
        config.db_read_connections,
        Some(Arc::new(move || {
            counter.sql_statements.fetch_add(1, Ordering::Relaxed);
        })),
    );
    bootstrap(&db, &config).await?;
    let auth = Auth::new(AuthSettings {
        jwt_secret: jwt_secret(&config)?,
        issuer: config.jwt_issuer.clone(),
        audience: config.jwt_audience.clone(),
        access_ttl_secs: config.access_token_ttl_secs,
        refresh_ttl_secs: config.refresh_token_ttl_secs,
        signup_enabled: config.signup_enabled,
        login_attempts_per_minute: config.login_attempts_per_minute,
        login_attempts_per_ip_per_minute: config.login_attempts_per_ip_per_minute,
        signups_per_ip_per_hour: config.signups_per_ip_per_hour,
    });
    let state = AppState {
        db,
        reads,
        auth: Arc::new(auth),
        schema: graphql::build_schema(&config),
        openapi_json: Arc::new(contracts::openapi_json()),
        draining: Arc::new(AtomicBool::new(false)),
        metrics,
        feed: Arc::new(crm_integration::Feed::new(config.feed_settings())),
        rate_limiter: crate::ratelimit::RateLimiter::from_config(&config)?.map(Arc::new),
        streams: crate::rest::export::Streams::for_config(&config),
        config: Arc::new(config.clone()),
    };

    let listener =
        TcpListener::bind(&config.listen).map_err(io(format!("binding {}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(io("reading the bound address"))?;
    let app_state = state.clone();
    let routes = rest::configure(&config);
    let mut server = HttpServer::new(move || {
        App::new()
            // Outermost: bodies are compressed as `Accept-Encoding` asks (gzip, br, zstd).
            .wrap(Compress::default())
            .app_data(web::Data::new(app_state.clone()))
            .configure(routes.clone())
    })
    .disable_signals()
    .shutdown_timeout(30)
    .listen(listener)
    .map_err(io("listening"))?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    let principals = (state.db.get_database_backend() == sea_orm::DbBackend::Postgres).then(|| {
        let pool = state.db.get_postgres_connection_pool().clone();
        let commits = crm_integration::follow::listen(pool.clone(), (*state.feed).clone());
        let principals = crm_identity::principal_cache::listen(pool, state.auth.principals.clone());
        async move {
            tokio::join!(principals, commits);
        }
    });
    let prune_events = crm_integration::prune::run(state.db.clone(), state.feed.settings);
    let sweep_uploads = crate::imports::orphans::run(
        state.db.clone(),
        crate::imports::files_dir(&config.data_dir),
        std::time::Duration::from_secs(config.import_orphan_secs),
    );
    let background = AbortOnDrop(tokio::spawn(async move {
        match principals {
            Some(listeners) => {
                tokio::join!(listeners, prune_events, sweep_uploads);
            }
            None => {
                tokio::join!(prune_events, sweep_uploads);
            }
        }
    }));
    let key_usage = UsageFlusher::start(&state);
    let jobs = if config.jobs_enabled {
        start_jobs(&state.db, &config)
    } else {
        None
    };
    tracing::info!(%addr, env = ?config.env, workers = jobs.is_some(), "serving");
    Ok(RunningServer {
        addr,
        handle,
        state,
        task,
        _background: background,
        key_usage,
        jobs,
        job_grace: std::time::Duration::from_secs(config.job_shutdown_grace_secs),
    })
}

/// Every job kind this server runs and its handler: the features' own (export files,
/// webhooks), then those the embedding program adds (`extra_job_handlers`).
pub fn job_registry(config: &Config) -> crm_worker::Registry {
    let mut registry = crm_worker::Registry::new();
    crate::exports::register(
        &mut registry,
        crate::exports::files_dir(&config.data_dir),
        chrono::Duration::hours(i64::try_from(config.export_retention_hours).unwrap_or(72)),
        crate::rest::export::Streams::for_config(config),
    );
    crate::imports::register(&mut registry, crate::imports::files_dir(&config.data_dir));
    crm_analytics::ops::register_refresh(&mut registry);
    crm_analytics::ops::register_rollups(&mut registry);
    crm_integration::webhooks::Webhooks::new(config.webhook_settings()).register(&mut registry);
    if let Some(extra) = &config.extra_job_handlers {
        registry.merge(extra);
    }
    registry
}

/// Starts the job runtime, unless no job kind is registered: with nothing it could claim, it
/// would only poll.
fn start_jobs(db: &DatabaseConnection, config: &Config) -> Option<crm_worker::Runtime> {
    let registry = job_registry(config);
    if registry.is_empty() {
        tracing::info!("no job kinds are registered: no job workers run");
        return None;
    }
    Some(crm_worker::Runtime::start(
        db.clone(),
        registry,
        config.job_settings(),
    ))
}

/// `crm worker`: runs the job workers without HTTP until SIGTERM or SIGINT, then stops them
/// gracefully (running jobs get `job_shutdown_grace_secs`, the rest are released).
pub async fn work_until_signal(config: Config) -> Result<(), StartError> {
    let db = open_database(&config).await?;
    let jobs = start_jobs(&db, &config);
    if let Some(jobs) = &jobs {
        tracing::info!(worker = jobs.worker_id(), "running job workers (no HTTP)");
    }
    wait_for_signal().await;
    if let Some(jobs) = jobs {
        tracing::info!("shutting down: finishing or releasing running jobs");
        jobs.shutdown(std::time::Duration::from_secs(
            config.job_shutdown_grace_secs,
        ))
        .await;
    }
    let _ = db.close().await;
    Ok(())
}

/// Serves until SIGTERM or SIGINT, then drains gracefully (both signals are graceful).
pub async fn serve_until_signal(config: Config) -> Result<(), StartError> {
    let running = start(config).await?;
    let handle = running.handle.clone();
    let draining = running.state.draining.clone();
    let stop_claiming = running.stop_claiming();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: draining in-flight requests");
        draining.store(true, Ordering::Relaxed);
        if let Some(jobs) = stop_claiming {
            jobs.stop();
        }
        handle.stop(true).await;
    });
    running.wait().await.map_err(io("serving"))
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
