//! The users behind access tokens, kept in memory so that a request does not read its user row,
//! and yet a deactivation or a role change applies at once.
//!
//! Used on PostgreSQL only, and only while this process listens on channel `crm_principals`:
//! a trigger notifies it of every change of a user's organization, role or active flag and of
//! every deletion, whichever process or statement made it. The process that makes the change
//! through the API also forgets the entry itself right after its commit. While the listener is
//! down (not connected yet, or its connection lost) the cache is neither read nor filled, and it
//! is emptied whenever the listener (re)connects, since notifications may have been missed.
//! A read that started before an invalidation does not refill the cache afterwards (a
//! generation counter). SQLite keeps reading the row on each request.

use crm_core::Role;
use sea_orm::{DatabaseConnection, DbBackend};
use sqlx::postgres::{PgListener, PgPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, RwLock};
use std::time::Duration;
use uuid::Uuid;

/// The notification channel the `users` triggers send on (the payload is the user id).
pub const CHANNEL: &str = "crm_principals";

/// At most this many users are kept; past it the cache starts over.
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

struct Cache {
    users: RwLock<HashMap<Uuid, CachedUser>>,
    generation: AtomicU64,
    listeners: AtomicUsize,
}

static CACHE: LazyLock<Cache> = LazyLock::new(|| Cache {
    users: RwLock::new(HashMap::new()),
    generation: AtomicU64::new(0),
    listeners: AtomicUsize::new(0),
});

fn usable(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres && CACHE.listeners.load(Ordering::Acquire) > 0
}

/// The cached user `id`, when the cache may be used on `db`.
pub fn get(db: &DatabaseConnection, id: Uuid) -> Option<CachedUser> {
    if !usable(db) {
        return None;
    }
    CACHE.users.read().ok()?.get(&id).copied()
}

/// The generation to pass to [`remember`]: take it before reading the user row.
pub fn generation() -> u64 {
    CACHE.generation.load(Ordering::Acquire)
}

/// Keeps `user` unless something was invalidated since `generation` was taken.
pub fn remember(db: &DatabaseConnection, id: Uuid, user: CachedUser, generation: u64) {
    if !usable(db) {
        return;
    }
    if let Ok(mut users) = CACHE.users.write()
        && CACHE.generation.load(Ordering::Acquire) == generation
    {
        if users.len() >= CAPACITY {
            users.clear();
        }
        users.insert(id, user);
    }
}

/// Drops user `id` (after a change of the user is committed).
pub fn forget(id: Uuid) {
    if let Ok(mut users) = CACHE.users.write() {
        CACHE.generation.fetch_add(1, Ordering::AcqRel);
        users.remove(&id);
    }
}

/// Drops every user.
pub fn clear() {
    if let Ok(mut users) = CACHE.users.write() {
        CACHE.generation.fetch_add(1, Ordering::AcqRel);
        users.clear();
    }
}

/// Marks one connected listener for as long as it lives.
struct Listening;

impl Listening {
    fn start() -> Self {
        clear();
        CACHE.listeners.fetch_add(1, Ordering::AcqRel);
        Listening
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        CACHE.listeners.fetch_sub(1, Ordering::AcqRel);
        clear();
    }
}

/// Listens on [`CHANNEL`] until the task running it is dropped, reconnecting after a failure.
/// Run it (spawned) for each PostgreSQL pool a server uses.
pub async fn listen(pool: PgPool) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    let live = Listening::start();
                    while let Ok(Some(n)) = listener.try_recv().await {
                        match n.payload().parse::<Uuid>() {
                            Ok(id) => forget(id),
                            Err(_) => clear(),
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
