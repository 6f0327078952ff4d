//! The typed configuration of the server: defaults, then an optional TOML file, then `CRM_*`
//! environment variables, then command-line flags. Validated once at start and passed in.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A secret value: redacted in `Debug` output and logs.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Interactive docs and GraphiQL served, GraphQL introspection on.
    Development,
    /// No interactive docs, no GraphiQL, no GraphQL introspection.
    Production,
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Everything the server can be configured with. Every field has a default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on (`CRM_LISTEN`).
    pub listen: String,
    /// Folder for the embedded database and the generated JWT secret (`CRM_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://path?mode=rwc` or `postgres://...` (`CRM_DATABASE_URL`); default: SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    /// Largest number of pooled database connections (`CRM_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// PostgreSQL connections held beside the pool for the hot reads (single records, list
    /// pages, the timeline), which then skip the check sqlx makes of every connection taken
    /// back into its pool (`CRM_DB_READ_CONNECTIONS`); `0` reads through the pool. The server
    /// opens up to `db_max_connections + db_read_connections`. Unused on SQLite.
    pub db_read_connections: u32,
    /// `development` or `production` (`CRM_ENV`).
    pub env: Environment,
    /// `pretty` or `json` (`CRM_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `crm_gateway=debug,info` (`CRM_LOG_LEVEL`).
    pub log_level: String,
    /// HTTP worker threads (`CRM_WORKERS`); default: one per core.
    pub workers: Option<usize>,
    /// HMAC secret for access tokens, at least 32 bytes (`CRM_JWT_SECRET`); default: generated
    /// once and kept in `data_dir/jwt-secret`.
    pub jwt_secret: Option<Secret>,
    /// `iss` of access tokens (`CRM_JWT_ISSUER`).
    pub jwt_issuer: String,
    /// `aud` of access tokens (`CRM_JWT_AUDIENCE`).
    pub jwt_audience: String,
    /// Access token lifetime in seconds (`CRM_ACCESS_TOKEN_TTL_SECS`).
    pub access_token_ttl_secs: i64,
    /// Refresh token lifetime in seconds (`CRM_REFRESH_TOKEN_TTL_SECS`).
    pub refresh_token_ttl_secs: i64,
    /// Whether `POST /api/v1/auth/signup` creates organizations (`CRM_SIGNUP_ENABLED`).
    pub signup_enabled: bool,
    /// Login attempts allowed per email per minute (`CRM_LOGIN_ATTEMPTS_PER_MINUTE`).
    pub login_attempts_per_minute: u32,
    /// Login attempts allowed per client address per minute
    /// (`CRM_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE`); IPv6 clients count per /64.
    pub login_attempts_per_ip_per_minute: u32,
    /// Sign-ups allowed per client address per hour (`CRM_SIGNUPS_PER_IP_PER_HOUR`).
    pub signups_per_ip_per_hour: u32,
    /// Whether the client address is taken from `Forwarded` / `X-Forwarded-For`
    /// (`CRM_TRUST_FORWARDED_FOR`): only behind a proxy that sets them, since clients can forge
    /// them. Otherwise it is the address of the TCP peer.
    pub trust_forwarded_for: bool,
    /// Largest accepted request body in bytes, REST and GraphQL (`CRM_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Deepest GraphQL selection accepted (`CRM_GRAPHQL_MAX_DEPTH`).
    pub graphql_max_depth: usize,
    /// Largest GraphQL query complexity accepted (`CRM_GRAPHQL_MAX_COMPLEXITY`).
    pub graphql_max_complexity: usize,
    /// Most GraphQL operations in one batch request (`CRM_GRAPHQL_MAX_BATCH`).
    pub graphql_max_batch: usize,
    /// Origins a browser front end may call the API from (`CRM_CORS_ORIGINS`, comma-separated,
    /// such as `https://app.example.com,http://localhost:5173`); `*` alone allows any origin
    /// (credentials are never allowed, so bearer tokens still travel only in headers). Empty:
    /// no CORS headers at all.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub cors_origins: Vec<String>,
    /// Organization created on first start (`CRM_BOOTSTRAP_ORG`).
    pub bootstrap_org: Option<String>,
    /// Admin created on first start (`CRM_BOOTSTRAP_ADMIN_EMAIL`).
    pub bootstrap_admin_email: Option<String>,
    /// Password of that admin (`CRM_BOOTSTRAP_ADMIN_PASSWORD`); else one is generated and printed.
    pub bootstrap_admin_password: Option<Secret>,
    /// Requests allowed per principal (user, API key, or client address) and minute on the API
    /// and GraphQL (`CRM_RATE_LIMIT_PER_MINUTE`); `0` turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Redis shared by the replicas for the request limit, `redis://host:port[/db]`
    /// (`CRM_REDIS_URL`); unset: each process counts for itself.
    pub redis_url: Option<Secret>,
    /// Prefix of this deployment's Redis keys (`CRM_REDIS_KEY_PREFIX`).
    pub redis_key_prefix: String,
    /// OTLP/HTTP collector to export trace spans to, such as `http://127.0.0.1:4318`
    /// (`CRM_OTLP_ENDPOINT`; spans go to `<endpoint>/v1/traces`); unset: no export.
    pub otlp_endpoint: Option<String>,
    /// How often, in seconds, the last use of API keys is written to the database
    /// (`CRM_API_KEY_USAGE_FLUSH_SECS`, 1 to 60): requests only note it in memory.
    pub api_key_usage_flush_secs: u64,
    /// Whether `crm serve` runs the job workers beside HTTP (`CRM_JOBS_ENABLED`; `crm serve
    /// --no-workers` turns them off, `crm worker` runs them without HTTP).
    pub jobs_enabled: bool,
    /// Jobs one process runs at once (`CRM_JOB_CONCURRENCY`).
    pub job_concurrency: usize,
    /// How often, in milliseconds, the workers look for due jobs when nothing wakes them
    /// (`CRM_JOB_POLL_INTERVAL_MS`); jobs enqueued by the same process start at once.
    pub job_poll_interval_ms: u64,
    /// Seconds a worker holds a claimed job without extending it (`CRM_JOB_LEASE_SECS`): the
    /// lease is extended every third of it while the job runs; after a crash, the job runs
    /// again elsewhere once it has passed.
    pub job_lease_secs: u64,
    /// Milliseconds a job waits after its first failure (`CRM_JOB_BACKOFF_BASE_MS`), doubled
    /// for each further failure, with +-25 % jitter.
    pub job_backoff_base_ms: u64,
    /// Longest wait between two attempts, in seconds (`CRM_JOB_BACKOFF_MAX_SECS`).
    pub job_backoff_max_secs: u64,
    /// Hours succeeded jobs are kept before they are deleted (`CRM_JOB_RETENTION_HOURS`).
    pub job_retention_hours: u64,
    /// Seconds a graceful stop waits for running jobs before it releases them to another
    /// worker (`CRM_JOB_SHUTDOWN_GRACE_SECS`).
    pub job_shutdown_grace_secs: u64,
    /// Seconds change-feed events are kept (`CRM_EVENT_RETENTION_SECS`, default 30 days): a
    /// feed cursor older than this is refused with 410 `cursor_expired`, and events are
    /// deleted an hour after it.
    pub event_retention_secs: u64,
    /// How often, in milliseconds, a long-polling feed reader looks for events when no write
    /// of this process wakes it (`CRM_EVENT_POLL_INTERVAL_MS`): the delay before it sees
    /// another replica's writes.
    pub event_poll_interval_ms: u64,
    /// Hours an export file built in the background (`POST /api/v1/exports`) can be downloaded
    /// before it is deleted (`CRM_EXPORT_RETENTION_HOURS`).
    pub export_retention_hours: u64,
    /// The largest file `POST /api/v1/imports` takes, in bytes (`CRM_IMPORT_MAX_BYTES`,
    /// default 2 GiB); uploads are streamed to disk, never held in memory.
    pub import_max_bytes: u64,
    /// Seconds after which an uploaded import file that no queued or running import owns, and
    /// that nothing has written to, is deleted (`CRM_IMPORT_ORPHAN_SECS`, default 3600): the
    /// part of an upload a stopped server was receiving, or the file of an import whose server
    /// stopped before it could delete it.
    pub import_orphan_secs: u64,
    /// Waits between webhook delivery attempts (`CRM_WEBHOOK_RETRY_SCHEDULE`, default
    /// `5s,5m,30m,2h,5h,10h`: about a day; units ms, s, m, h, d). After the last one the
    /// delivery has failed.
    pub webhook_retry_schedule: String,
    /// Seconds one webhook POST may take (`CRM_WEBHOOK_TIMEOUT_SECS`, 1 to 60, default 10).
    pub webhook_timeout_secs: u64,
    /// Send webhooks to loopback, private, link-local and metadata addresses too
    /// (`CRM_WEBHOOKS_ALLOW_PRIVATE`, default false): for receivers on the operator's own
    /// network, and tests.
    pub webhooks_allow_private: bool,
    /// Seconds of failures without a success after which a webhook endpoint is disabled
    /// (`CRM_WEBHOOK_DISABLE_AFTER_SECS`, default 5 days).
    pub webhook_disable_after_secs: u64,
    /// How often, in milliseconds, new events are fanned out to webhook endpoints
    /// (`CRM_WEBHOOK_FANOUT_INTERVAL_MS`, 10 to 60000, default 1000).
    pub webhook_fanout_interval_ms: u64,
    /// Job handlers a program embedding the server adds to the built-in ones; the test suite
    /// uses it. Not settable from files or the environment.
    #[serde(skip)]
    pub extra_job_handlers: Option<crm_worker::Registry>,
    /// Routes a program embedding the server adds under `/api/v1` (behind the same middleware as
    /// every API route); the test suite uses it. Not settable from files or the environment.
    #[serde(skip)]
    pub extra_api_routes: Option<fn(&mut actix_web::web::ServiceConfig)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./crm-data"),
            database_url: None,
            db_max_connections: 16,
            db_read_connections: 8,
            env: Environment::Development,
            log_format: LogFormat::Pretty,
            log_level: "info".to_owned(),
            workers: None,
            jwt_secret: None,
            jwt_issuer: "crm".to_owned(),
            jwt_audience: "crm-api".to_owned(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            signup_enabled: true,
            login_attempts_per_minute: 10,
            login_attempts_per_ip_per_minute: 60,
            signups_per_ip_per_hour: 20,
            trust_forwarded_for: false,
            max_body_bytes: 1024 * 1024,
            graphql_max_depth: 15,
            graphql_max_complexity: 2000,
            graphql_max_batch: 10,
            cors_origins: Vec::new(),
            bootstrap_org: None,
            bootstrap_admin_email: None,
            bootstrap_admin_password: None,
            rate_limit_per_minute: 1200,
            redis_url: None,
            redis_key_prefix: "crm:".to_owned(),
            otlp_endpoint: None,
            api_key_usage_flush_secs: 60,
            jobs_enabled: true,
            job_concurrency: 4,
            job_poll_interval_ms: 1000,
            job_lease_secs: 60,
            job_backoff_base_ms: 1000,
            job_backoff_max_secs: 3600,
            job_retention_hours: 7 * 24,
            job_shutdown_grace_secs: 25,
            event_retention_secs: 30 * 86_400,
            event_poll_interval_ms: 500,
            export_retention_hours: 72,
            import_max_bytes: 2 * 1024 * 1024 * 1024,
            import_orphan_secs: 3600,
            webhook_retry_schedule: crm_integration::webhooks::settings::DEFAULT_SCHEDULE
                .to_owned(),
            webhook_timeout_secs: 10,
            webhooks_allow_private: false,
            webhook_disable_after_secs: 5 * 86_400,
            webhook_fanout_interval_ms: 1000,
            extra_job_handlers: None,
            extra_api_routes: None,
        }
    }
}

/// A list given as a list (TOML) or as one comma-separated string (an environment variable:
/// figment reads `a,b` as a string), without empty items or surrounding spaces.
fn list_or_comma_separated<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    let items = match ListOrString::deserialize(deserializer)? {
        ListOrString::List(items) => items,
        ListOrString::String(s) => s.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Why `origin` cannot be an allowed CORS origin: it must be what browsers send in `Origin`,
/// `scheme://host[:port]`, with no path, not even a trailing `/` (it would never match).
fn origin_problem(origin: &str) -> Option<&'static str> {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return Some("must be scheme://host[:port], such as https://app.example.com");
    };
    if scheme != "http" && scheme != "https" {
        return Some("must start with http:// or https://");
    }
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@' | '*') || !c.is_ascii_graphic())
    {
        return Some("must be scheme://host[:port] with no path, not even a trailing /");
    }
    if origin.parse::<actix_web::http::Uri>().is_err() {
        return Some("is not a valid origin");
    }
    None
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The sources could not be read or parsed.
    #[error("cannot read the configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value breaks a rule.
    #[error("invalid configuration `{field}`: {reason}")]
    Invalid {
        /// The configuration key.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Config {
    /// Loads defaults, then `file` (if any), then `CRM_*` variables, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &impl Serialize) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("CRM_").ignore(&["config"]))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every rule; the server refuses to start on the first broken one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| {
            Err(ConfigError::Invalid {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.listen.parse::<SocketAddr>().is_err() {
            return invalid("listen", "must be host:port, such as 127.0.0.1:8080");
        }
        if let Some(url) = &self.database_url {
            let u = url.0.as_str();
            if !(u.starts_with("sqlite:")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://"))
            {
                return invalid("database_url", "must start with sqlite: or postgres://");
            }
        }
        if let Some(secret) = &self.jwt_secret
            && secret.0.len() < 32
        {
            return invalid("jwt_secret", "must be at least 32 bytes");
        }
        if self.access_token_ttl_secs < 30
            || self.refresh_token_ttl_secs < self.access_token_ttl_secs
        {
            return invalid(
                "access_token_ttl_secs",
                "must be at least 30 and not above refresh_token_ttl_secs",
            );
        }
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes", "must be at least 1024");
        }
        if self.graphql_max_depth == 0
            || self.graphql_max_complexity == 0
            || self.graphql_max_batch == 0
        {
            return invalid("graphql_max_depth", "GraphQL limits must be positive");
        }
        if self.db_max_connections == 0 {
            return invalid("db_max_connections", "must be positive");
        }
        if self.cors_origins.len() > 1 && self.cors_origins.iter().any(|o| o == "*") {
            return invalid("cors_origins", "`*` allows every origin and stands alone");
        }
        for origin in self.cors_origins.iter().filter(|o| *o != "*") {
            if let Some(reason) = origin_problem(origin) {
                return Err(ConfigError::Invalid {
                    field: "cors_origins",
                    reason: format!("`{origin}` {reason}"),
                });
            }
        }
        if let Some(url) = &self.redis_url
            && !(url.0.starts_with("redis://") || url.0.starts_with("unix://"))
        {
            return invalid(
                "redis_url",
                "must start with redis:// (TLS is not supported)",
            );
        }
        if let Some(url) = &self.otlp_endpoint
            && !url.starts_with("http://")
        {
            return invalid(
                "otlp_endpoint",
                "must start with http:// (TLS is not supported)",
            );
        }
        if !(1..=60).contains(&self.api_key_usage_flush_secs) {
            return invalid("api_key_usage_flush_secs", "must be from 1 to 60");
        }
        if self.workers == Some(0) {
            return invalid("workers", "must be positive");
        }
        if !(1..=1000).contains(&self.job_concurrency) {
            return invalid("job_concurrency", "must be from 1 to 1000");
        }
        if !(10..=60_000).contains(&self.job_poll_interval_ms) {
            return invalid("job_poll_interval_ms", "must be from 10 to 60000");
        }
        if !(1..=86_400).contains(&self.job_lease_secs) {
            return invalid("job_lease_secs", "must be from 1 to 86400");
        }
        if self.job_backoff_base_ms == 0
            || self.job_backoff_base_ms > self.job_backoff_max_secs.saturating_mul(1000)
        {
            return invalid(
                "job_backoff_base_ms",
                "must be positive and not above job_backoff_max_secs",
            );
        }
        if self.job_shutdown_grace_secs > 3600 {
            return invalid("job_shutdown_grace_secs", "must be at most 3600");
        }
        if self.event_retention_secs == 0 {
            return invalid("event_retention_secs", "must be positive");
        }
        if !(10..=10_000).contains(&self.event_poll_interval_ms) {
            return invalid("event_poll_interval_ms", "must be from 10 to 10000");
        }
        if self.import_max_bytes < 1024 {
            return invalid("import_max_bytes", "must be at least 1024");
        }
        if !(1..=30 * 86_400).contains(&self.import_orphan_secs) {
            return invalid("import_orphan_secs", "must be from 1 to 2592000");
        }
        if !(1..=8760).contains(&self.export_retention_hours) {
            return invalid("export_retention_hours", "must be from 1 to 8760");
        }
        if let Err(e) =
            crm_integration::webhooks::settings::parse_schedule(&self.webhook_retry_schedule)
        {
            return invalid("webhook_retry_schedule", &e);
        }
        if !(1..=60).contains(&self.webhook_timeout_secs) {
            return invalid("webhook_timeout_secs", "must be from 1 to 60");
        }
        if self.webhook_disable_after_secs == 0 {
            return invalid("webhook_disable_after_secs", "must be positive");
        }
        if !(10..=60_000).contains(&self.webhook_fanout_interval_ms) {
            return invalid("webhook_fanout_interval_ms", "must be from 10 to 60000");
        }
        Ok(())
    }

    /// The database URL: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.0.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("crm.db").display()
            ),
        }
    }

    /// The settings of the job runtime.
    pub fn job_settings(&self) -> crm_worker::Settings {
        crm_worker::Settings {
            concurrency: self.job_concurrency,
            poll_interval: Duration::from_millis(self.job_poll_interval_ms),
            lease: Duration::from_secs(self.job_lease_secs),
            backoff_base: Duration::from_millis(self.job_backoff_base_ms),
            backoff_max: Duration::from_secs(self.job_backoff_max_secs),
            retention: Duration::from_secs(self.job_retention_hours.saturating_mul(3600)),
        }
    }

    /// The settings of the change feed.
    pub fn feed_settings(&self) -> crm_integration::FeedSettings {
        crm_integration::FeedSettings {
            retention: Duration::from_secs(self.event_retention_secs),
            poll_interval: Duration::from_millis(self.event_poll_interval_ms),
        }
    }

    /// The settings of webhooks (`https` is required in production).
    pub fn webhook_settings(&self) -> crm_integration::webhooks::WebhookSettings {
        use crm_integration::webhooks::{WebhookSettings, settings::parse_schedule};
        let defaults = WebhookSettings::default();
        WebhookSettings {
            retry_schedule: parse_schedule(&self.webhook_retry_schedule)
                .unwrap_or(defaults.retry_schedule),
            timeout: Duration::from_secs(self.webhook_timeout_secs),
            allow_private: self.webhooks_allow_private,
            require_https: self.env == Environment::Production,
            disable_after: Duration::from_secs(self.webhook_disable_after_secs),
            fanout_interval: Duration::from_millis(self.webhook_fanout_interval_ms),
            rotation_overlap: defaults.rotation_overlap,
        }
    }

    /// Whether interactive docs, GraphiQL and introspection are served.
    pub fn is_development(&self) -> bool {
        self.env == Environment::Development
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_secrets_are_redacted() {
        let mut c = Config::default();
        c.validate().unwrap();
        c.jwt_secret = Some(Secret("x".repeat(40)));
        let shown = format!("{c:?}");
        assert!(!shown.contains("xxxx"), "{shown}");
        c.jwt_secret = Some(Secret("short".into()));
        assert!(c.validate().is_err());
    }

    #[test]
    fn api_key_usage_is_written_at_least_once_a_minute() {
        let with = |secs| Config {
            api_key_usage_flush_secs: secs,
            ..Config::default()
        };
        assert!(with(1).validate().is_ok() && with(60).validate().is_ok());
        assert!(with(0).validate().is_err() && with(61).validate().is_err());
    }

    #[test]
    fn layers_file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crm.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nsignup_enabled = false\n",
        )
        .unwrap();
        let overrides = serde_json::json!({ "listen": "127.0.0.1:9100" });
        let c = Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9100");
        assert!(!c.signup_enabled);
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error.
    fn cors_origins_from_a_comma_separated_variable_or_a_list() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "CRM_CORS_ORIGINS",
                "https://app.example.com, http://localhost:5173,",
            );
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(
                c.cors_origins,
                ["https://app.example.com", "http://localhost:5173"]
            );
            jail.set_env("CRM_CORS_ORIGINS", "*");
            assert_eq!(
                Config::load(None, &serde_json::json!({}))
                    .unwrap()
                    .cors_origins,
                ["*"]
            );
            jail.set_env("CRM_CORS_ORIGINS", "");
            assert!(
                Config::load(None, &serde_json::json!({}))
                    .unwrap()
                    .cors_origins
                    .is_empty()
            );
            jail.create_file("crm.toml", "cors_origins = [\"http://a.test:8000\"]\n")?;
            jail.set_env("CRM_CORS_ORIGINS", "http://a.test:8000");
            let c = Config::load(Some(Path::new("crm.toml")), &serde_json::json!({})).unwrap();
            assert_eq!(c.cors_origins, ["http://a.test:8000"]);
            Ok(())
        });
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let with = |origins: &[&str]| Config {
            cors_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..Config::default()
        };
        assert!(
            with(&["https://app.example.com", "http://127.0.0.1:5173"])
                .validate()
                .is_ok()
        );
        assert!(with(&["*"]).validate().is_ok());
        for bad in [
            "*,https://a.test",
            "https://app.example.com/",
            "app.example.com",
            "ftp://a.test",
            "https://a.test/path",
            "https://",
            "https://a b.test",
        ] {
            let origins: Vec<&str> = bad.split(',').collect();
            assert!(with(&origins).validate().is_err(), "{bad}");
        }
    }
}
