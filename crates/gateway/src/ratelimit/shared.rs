//! The limit shared by every replica through Redis (`redis_url`): one key per principal and
//! window, `<prefix>rl:<principal>`, counted with one atomic round trip
//! (`MULTI; SET key 0 PX window NX; INCR key; PTTL key; EXEC`), so the window starts with the
//! principal's first request on any replica and expires by itself.
//!
//! When Redis fails (unreachable, slow, refusing), the request is counted by the in-process
//! limiter instead (fail open) and a warning is logged at most once a minute; Redis is tried
//! again after [`RETRY_AFTER_FAILURE`].

use super::Decision;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a request waits for Redis before it is counted in process instead.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis is left alone after a failure.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Least time between two warnings about Redis.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Why Redis could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    Url(redis::RedisError),
}

/// A Redis-backed counter.
pub struct SharedLimiter {
    manager: ConnectionManager,
    prefix: String,
    quota: u32,
    window_ms: u64,
    epoch: Instant,
    /// Milliseconds since `epoch` before which Redis is not tried (after a failure).
    skip_until_ms: AtomicU64,
    /// Milliseconds since `epoch` of the last warning (`u64::MAX`: none yet).
    warned_ms: AtomicU64,
}

impl SharedLimiter {
    /// A limiter on the Redis at `url` (connected lazily, on the first request).
    pub fn new(url: &str, prefix: &str, quota: u32, window_secs: u64) -> Result<Self, SharedError> {
        let client = redis::Client::open(url).map_err(SharedError::Url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1);
        let manager =
            ConnectionManager::new_lazy_with_config(client, config).map_err(SharedError::Url)?;
        Ok(Self {
            manager,
            prefix: format!("{prefix}rl:"),
            quota,
            window_ms: window_secs.max(1) * 1000,
            epoch: Instant::now(),
            skip_until_ms: AtomicU64::new(0),
            warned_ms: AtomicU64::new(u64::MAX),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Counts one hit of `principal` (its key suffix); `None` when Redis failed or is being
    /// left alone after a failure, and the caller counts in process.
    pub async fn hit(&self, principal: &str) -> Option<Decision> {
        let now = self.now_ms();
        if now < self.skip_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        let key = format!("{}{principal}", self.prefix);
        let mut conn = self.manager.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("PX")
            .arg(self.window_ms)
            .arg("NX")
            .ignore()
            .cmd("INCR")
            .arg(&key)
            .cmd("PTTL")
            .arg(&key);
        let counted = pipe.query_async::<(u64, i64)>(&mut conn);
        match tokio::time::timeout(RESPONSE_TIMEOUT, counted).await {
            Ok(Ok((hits, pttl))) => {
                let hits = u32::try_from(hits).unwrap_or(u32::MAX);
                let reset_ms = u64::try_from(pttl).unwrap_or(self.window_ms);
                Some(Decision::new(self.quota, hits, reset_ms))
            }
            Ok(Err(e)) => {
                self.failed(now, &e.to_string());
                None
            }
            Err(_) => {
                self.failed(now, "no answer in time");
                None
            }
        }
    }

    fn failed(&self, now: u64, why: &str) {
        let pause = u64::try_from(RETRY_AFTER_FAILURE.as_millis()).unwrap_or(5_000);
        self.skip_until_ms.store(now + pause, Ordering::Relaxed);
        let last = self.warned_ms.load(Ordering::Relaxed);
        let every = u64::try_from(WARN_EVERY.as_millis()).unwrap_or(60_000);
        if (last == u64::MAX || now.saturating_sub(last) >= every)
            && self
                .warned_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                error = why,
                "Redis is not answering: rate limits are counted per replica until it does"
            );
        }
    }
}
