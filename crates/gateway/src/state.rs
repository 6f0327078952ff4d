//! What every request handler shares.

use crate::config::Config;
use crate::graphql::CrmSchema;
use crm_identity::Auth;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared application state: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Where the hot reads run (connections held out of the pool on PostgreSQL).
    pub reads: crm_core::reads::Reads,
    /// Authentication keys and settings.
    pub auth: Arc<Auth>,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The GraphQL schema, with its limits.
    pub schema: CrmSchema,
    /// The OpenAPI document, serialised once.
    pub openapi_json: Arc<String>,
    /// Set when shutdown begins: `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
    /// Request and SQL counters.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The change feed: its settings and the signal that wakes long-polls after a write.
    pub feed: Arc<crm_integration::Feed>,
    /// The general request limit; `None` when it is off.
    pub rate_limiter: Option<Arc<crate::ratelimit::RateLimiter>>,
    /// The exports that may each hold a connection for their length.
    pub streams: crate::rest::export::Streams,
}

impl AppState {
    /// Whether the server is shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
