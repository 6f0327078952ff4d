//! The users, sessions and API keys behind credentials, kept in memory so that a request does
//! not read them, and yet a deactivation, a role change, the end of a session or the revocation
//! of a key applies at once.
//!
//! Each server has its own cache (in its [`crate::Auth`]). Used on PostgreSQL only, and only
//! while that server listens on channel `crm_principals`:
//! triggers notify it of every change of a user's organization, role or active flag, of every
//! session revoked, of every API key revoked or changed (role, scope, secret, prefix,
//! organization, creator), and of every deletion of any of them, whichever process or statement
//! made it (the payload is the row's id; all are UUIDv7, so one `forget` serves).
//! A token is served from memory only when both its user and its session are cached. An API key
//! is kept by its prefix with what authentication needs, its secret's hash included: the
//! secret a request presents is compared with it every time, never remembered as valid.
//! The process that makes the change
//! through the API also forgets the entry itself right after its commit. While the listener is
//! down (not connected yet, or its connection lost) the cache is neither read nor filled, and it
//! is emptied whenever the listener (re)connects, since notifications may have been missed.
//! A read that started before an invalidation does not refill the cache afterwards (a
//! generation counter). SQLite keeps reading the row on each request.

use crm_core::{ApiKeyScope, Role};
use sea_orm::{DatabaseConnection, DbBackend};
use sqlx::postgres::{PgListener, PgPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock, Weak};
use std::time::Duration;
use uuid::Uuid;

/// The notification channel the `users`, `sessions` and `api_keys` triggers send on (the payload
/// is the row's id).
pub const CHANNEL: &str = "crm_principals";

/// At most this many users (sessions, keys) are kept; past it the cache starts over.
const CAPACITY: usize = 100_000;

/// What authentication needs of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedUser {
    /// The user's organization.
    pub org_id: Uuid,
    /// Whether the user may sign in.
    pub active: bool,
    /// The user's role.
    pub role: Role,
}

/// What authentication needs of an active (unrevoked) API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    /// The key's id.
    pub id: Uuid,
    /// The organization the key belongs to.
    pub org_id: Uuid,
    /// The user who created it (the actor's user).
    pub created_by: Uuid,
    /// The role the key acts with.
    pub role: Role,
    /// What the key may do within its role.
    pub scope: ApiKeyScope,
    /// Lowercase hex SHA-256 of the key's secret, compared with every presented secret.
    pub secret_hash: String,
}

/// Cached keys by prefix, and the prefix of each cached key id (notifications name the id).
#[derive(Debug, Default)]
struct Keys {
    by_prefix: HashMap<String, Arc<CachedKey>>,
    prefix_of: HashMap<Uuid, String>,
}

impl Keys {
    fn remove(&mut self, id: Uuid) {
        if let Some(prefix) = self.prefix_of.remove(&id) {
            self.by_prefix.remove(&prefix);
        }
    }

    fn clear(&mut self) {
        self.by_prefix.clear();
        self.prefix_of.clear();
    }
}

/// One server's cache: its entries, its generation and whether its listener is connected.
#[derive(Debug, Default)]
pub struct PrincipalCache {
    users: RwLock<HashMap<Uuid, CachedUser>>,
    /// Live sessions: session id -> its user.
    sessions: RwLock<HashMap<Uuid, Uuid>>,
    /// Active API keys.
    keys: RwLock<Keys>,
    generation: AtomicU64,
    listening: AtomicBool,
}

/// Every live cache of this process, so that [`forget`] reaches them all.
static REGISTRY: LazyLock<Mutex<Vec<Weak<PrincipalCache>>>> =
    LazyLock::new(|| Mutex::new(Vec::new()));

impl PrincipalCache {
    /// A new, empty cache, unused until [`listen`] connects for it.
    pub fn new() -> Arc<Self> {
        let cache = Arc::new(Self::default());
        if let Ok(mut all) = REGISTRY.lock() {
            all.retain(|c| c.strong_count() > 0);
            all.push(Arc::downgrade(&cache));
        }
        cache
    }

    fn usable(&self, db: &DatabaseConnection) -> bool {
        db.get_database_backend() == DbBackend::Postgres && self.listening.load(Ordering::Acquire)
    }

    /// The cached user `id` of live session `session`, when the cache may be used on `db`.
    pub fn get(&self, db: &DatabaseConnection, id: Uuid, session: Uuid) -> Option<CachedUser> {
        if !self.usable(db) {
            return None;
        }
        if self.sessions.read().ok()?.get(&session) != Some(&id) {
            return None;
        }
        self.users.read().ok()?.get(&id).copied()
    }

    /// The generation to pass to [`PrincipalCache::remember`]: take it before reading the row.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `user` and its live `session` unless something was invalidated since `generation`
    /// was taken.
    pub fn remember(
        &self,
        db: &DatabaseConnection,
        id: Uuid,
        session: Uuid,
        user: CachedUser,
        generation: u64,
    ) {
        if !self.usable(db) {
            return;
        }
        if let (Ok(mut users), Ok(mut sessions)) = (self.users.write(), self.sessions.write())
            && self.generation.load(Ordering::Acquire) == generation
        {
            if users.len() >= CAPACITY || sessions.len() >= CAPACITY {
                users.clear();
                sessions.clear();
            }
            users.insert(id, user);
            sessions.insert(session, id);
        }
    }

    /// The cached active API key with `prefix`, when the cache may be used on `db`. The caller
    /// still compares the presented secret with [`CachedKey::secret_hash`].
    pub fn key(&self, db: &DatabaseConnection, prefix: &str) -> Option<Arc<CachedKey>> {
        if !self.usable(db) {
            return None;
        }
        self.keys.read().ok()?.by_prefix.get(prefix).cloned()
    }

    /// Keeps active API key `key` under `prefix` unless something was invalidated since
    /// `generation` was taken.
    pub fn remember_key(
        &self,
        db: &DatabaseConnection,
        prefix: &str,
        key: CachedKey,
        generation: u64,
    ) {
        if !self.usable(db) {
            return;
        }
        if let Ok(mut keys) = self.keys.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if keys.by_prefix.len() >= CAPACITY {
                keys.clear();
            }
            keys.remove(key.id);
            keys.prefix_of.insert(key.id, prefix.to_owned());
            keys.by_prefix.insert(prefix.to_owned(), Arc::new(key));
        }
    }

    fn forget(&self, id: Uuid) {
        if let (Ok(mut users), Ok(mut sessions), Ok(mut keys)) =
            (self.users.write(), self.sessions.write(), self.keys.write())
        {
            self.generation.fetch_add(1, Ordering::AcqRel);
            users.remove(&id);
            sessions.remove(&id);
            keys.remove(id);
        }
    }

    fn clear(&self) {
        if let (Ok(mut users), Ok(mut sessions), Ok(mut keys)) =
            (self.users.write(), self.sessions.write(), self.keys.write())
        {
            self.generation.fetch_add(1, Ordering::AcqRel);
            users.clear();
            sessions.clear();
            keys.clear();
        }
    }
}

/// Drops user, session or API key `id` from every cache of this process (after a change of it
/// is committed). Forgetting a user also makes each of its sessions be read again.
pub fn forget(id: Uuid) {
    let all: Vec<Arc<PrincipalCache>> = REGISTRY
        .lock()
        .map(|all| all.iter().filter_map(Weak::upgrade).collect())
        .unwrap_or_default();
    for cache in all {
        cache.forget(id);
    }
}

/// Marks a cache's listener connected for as long as it lives.
struct Listening(Arc<PrincipalCache>);

impl Listening {
    fn start(cache: Arc<PrincipalCache>) -> Self {
        cache.clear();
        cache.listening.store(true, Ordering::Release);
        Listening(cache)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.listening.store(false, Ordering::Release);
        self.0.clear();
    }
}

/// Listens on [`CHANNEL`] for `cache` until the task running it is dropped, reconnecting after
/// a failure. Run it (spawned) beside each server on PostgreSQL.
pub async fn listen(pool: PgPool, cache: Arc<PrincipalCache>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    let live = Listening::start(cache.clone());
                    while let Ok(Some(n)) = listener.try_recv().await {
                        match n.payload().parse::<Uuid>() {
                            Ok(id) => cache.forget(id),
                            Err(_) => cache.clear(),
                        }
                    }
                    drop(live);
                    tracing::warn!("lost the {CHANNEL} listener; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN {CHANNEL}"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect the {CHANNEL} listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
