//! Password hashing with argon2id (default parameters: 19 MiB, 2 passes) on a bounded pool.
//!
//! Each hash needs 19 MiB of working memory and tens of milliseconds of a core, so an
//! unauthenticated caller could exhaust both by sending many logins at once. Hashes therefore
//! run at most [`concurrency`] at a time (one per core), each in one of that many working
//! buffers that are allocated once and reused: memory for hashing is bounded by
//! cores x 19 MiB, whatever the load. A few more callers may wait in a short queue (at most
//! [`queue`], for at most [`MAX_WAIT`]); beyond it the call fails at once with
//! [`IdentityError::Busy`] (503 with `Retry-After`). Unknown users are checked against a dummy
//! hash through the same pool, so an unknown email costs what a known one costs.

use crate::error::{IdentityError, Result};
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use crm_core::Error;
use rand::rngs::OsRng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a caller waits in the queue before it is told to retry.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// Hashes that may run at once: the number of cores.
pub fn concurrency() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}

/// Callers that may wait for a slot: 32 per core (a waiting caller holds no hashing memory; a
/// hash takes tens of milliseconds, so a full queue drains in about a second).
pub fn queue() -> usize {
    32 * concurrency()
}

struct Pool {
    slots: Semaphore,
    waiting: AtomicUsize,
    buffers: Mutex<Vec<Vec<Block>>>,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    slots: Semaphore::new(concurrency()),
    waiting: AtomicUsize::new(0),
    buffers: Mutex::new(Vec::new()),
});

/// Leaves the queue when dropped (also when the waiting request is cancelled).
struct Queued;

impl Drop for Queued {
    fn drop(&mut self) {
        POOL.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `work` with a working buffer on the pool, or fails with [`IdentityError::Busy`].
async fn on_pool<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let permit = match POOL.slots.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            if POOL.waiting.fetch_add(1, Ordering::AcqRel) >= queue() {
                POOL.waiting.fetch_sub(1, Ordering::AcqRel);
                return Err(IdentityError::Busy);
            }
            let _queued = Queued;
            match tokio::time::timeout(MAX_WAIT, POOL.slots.acquire()).await {
                Ok(Ok(p)) => p,
                _ => return Err(IdentityError::Busy),
            }
        }
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut buffer = POOL
            .buffers
            .lock()
            .ok()
            .and_then(|mut b| b.pop())
            .unwrap_or_default();
        let out = work(&mut buffer);
        if let Ok(mut buffers) = POOL.buffers.lock() {
            buffers.push(buffer);
        }
        out
    })
    .await
    .map_err(|e| IdentityError::Core(Error::internal(e)))?
}

fn internal(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Core(Error::internal(e.to_string()))
}

/// The argon2 hash (`len` bytes) of `password` with `salt`, using `buffer` as working memory
/// (grown to the parameters' size once, then reused).
fn compute(
    argon: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: Salt<'_>,
    len: usize,
    buffer: &mut Vec<Block>,
) -> Result<Vec<u8>> {
    if buffer.len() < params.block_count() {
        buffer.resize(params.block_count(), Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(internal)?;
    let mut out = vec![0u8; len];
    argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut buffer[..])
        .map_err(internal)?;
    Ok(out)
}

fn hash_blocking(password: &str, buffer: &mut Vec<Block>) -> Result<String> {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let out = compute(
        &argon,
        &params,
        password,
        salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
        buffer,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(internal)?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &str, phc: &str, buffer: &mut Vec<Block>) -> Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(internal)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(internal)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(internal)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(internal)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let out = compute(&argon, &params, password, salt, expected.len(), buffer)?;
    // `Output` compares in constant time.
    Ok(Output::new(&out).map_err(internal)? == expected)
}

/// Hashes `password` into a PHC string, on the bounded pool.
pub async fn hash(password: String) -> Result<String> {
    on_pool(move |buffer| hash_blocking(&password, buffer)).await
}

/// Whether `password` matches the PHC string `hash`. With `None` (unknown user), a dummy hash is
/// checked anyway, on the same pool, so that the answer takes as long as for a known user.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool> {
    on_pool(move |buffer| {
        let known = hash.is_some();
        let phc = match hash {
            Some(h) => h,
            None => dummy_hash(buffer)?.to_owned(),
        };
        let ok = verify_blocking(&password, &phc, buffer)?;
        Ok(known && ok)
    })
    .await
}

fn dummy_hash(buffer: &mut Vec<Block>) -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let h = hash_blocking("dummy password for timing", buffer)?;
    Ok(DUMMY.get_or_init(|| h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    /// The pool is process-wide: the flood test must not run beside the others.
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn hash_and_verify() {
        let _serial = SERIAL.lock().await;
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
        // The standard implementation agrees with ours, both ways.
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        use argon2::password_hash::PasswordHasher;
        let theirs = Argon2::default()
            .hash_password(b"pw", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify("pw".into(), Some(theirs)).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_is_refused_not_queued_without_bound() {
        let _serial = SERIAL.lock().await;
        let tasks: Vec<_> = (0..(concurrency() + queue() + 40))
            .map(|i| tokio::spawn(verify(format!("pw{i}"), None)))
            .collect();
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(ok) => assert!(!ok),
                Err(IdentityError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(busy >= 20, "only {busy} refused");
        let buffers = POOL.buffers.lock().unwrap().len();
        assert!(buffers <= concurrency(), "{buffers} buffers");
    }
}
