//! The in-process limiter: a fixed window per principal that starts with its first request,
//! in 16 shards of `Mutex<HashMap>` so that the workers seldom wait for each other. A hit
//! takes one shard lock for a hash-map lookup; keys are `Copy`, so nothing is allocated
//! once a principal has its slot. Windows that ended are swept once per window and shard.

use super::{Decision, Principal};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::Instant;

const SHARDS: usize = 16;

/// A principal's window: when it started (ms since the limiter's epoch) and its hits so far.
#[derive(Clone, Copy)]
struct Slot {
    start_ms: u64,
    hits: u32,
}

#[derive(Default)]
struct Shard {
    slots: HashMap<Principal, Slot>,
    swept_ms: u64,
}

/// Counts hits per principal in this process.
pub struct LocalLimiter {
    quota: u32,
    window_ms: u64,
    epoch: Instant,
    hasher: RandomState,
    shards: [Mutex<Shard>; SHARDS],
}

impl LocalLimiter {
    /// A limiter allowing `quota` hits per window of `window_secs` seconds.
    pub fn new(quota: u32, window_secs: u64) -> Self {
        Self {
            quota,
            window_ms: window_secs.max(1) * 1000,
            epoch: Instant::now(),
            hasher: RandomState::new(),
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
        }
    }

    /// Counts one hit of `principal` now.
    pub fn hit(&self, principal: Principal) -> Decision {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.hit_at(principal, now_ms)
    }

    fn hit_at(&self, principal: Principal, now_ms: u64) -> Decision {
        // The low bits pick the shard; the map rehashes with its own (same-keyed) hasher.
        let index = (self.hasher.hash_one(principal) as usize) % SHARDS;
        let mut shard = match self.shards[index].lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if now_ms.saturating_sub(shard.swept_ms) >= self.window_ms {
            let window_ms = self.window_ms;
            shard
                .slots
                .retain(|_, slot| now_ms.saturating_sub(slot.start_ms) < window_ms);
            shard.swept_ms = now_ms;
        }
        let slot = shard.slots.entry(principal).or_insert(Slot {
            start_ms: now_ms,
            hits: 0,
        });
        if now_ms.saturating_sub(slot.start_ms) >= self.window_ms {
            *slot = Slot {
                start_ms: now_ms,
                hits: 0,
            };
        }
        slot.hits = slot.hits.saturating_add(1);
        let reset_ms = (slot.start_ms + self.window_ms).saturating_sub(now_ms);
        Decision::new(self.quota, slot.hits, reset_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_refuses_then_starts_a_new_window() {
        let limiter = LocalLimiter::new(3, 60);
        let who = Principal::User(uuid::Uuid::nil());
        let other = Principal::Client([1; 16]);
        let d = limiter.hit_at(who, 1_000);
        assert!(d.allowed && d.remaining == 2 && d.reset_secs == 60);
        assert_eq!(limiter.hit_at(who, 2_000).remaining, 1);
        assert_eq!(limiter.hit_at(who, 3_000).remaining, 0);
        let refused = limiter.hit_at(who, 30_500);
        assert!(!refused.allowed && refused.remaining == 0 && refused.reset_secs == 31);
        assert!(
            limiter.hit_at(other, 30_500).allowed,
            "another principal passes"
        );
        let fresh = limiter.hit_at(who, 61_000);
        assert!(fresh.allowed && fresh.remaining == 2 && fresh.reset_secs == 60);
    }

    #[test]
    fn ended_windows_are_swept() {
        let limiter = LocalLimiter::new(3, 1);
        for i in 0..100u8 {
            limiter.hit_at(Principal::Client([i; 16]), 0);
        }
        // Enough new principals to touch every shard (each sweeps on its first hit).
        for i in 0..200u8 {
            let mut addr = [0u8; 16];
            addr[0] = 1;
            addr[1] = i;
            limiter.hit_at(Principal::Client(addr), 5_000);
        }
        let left: usize = limiter
            .shards
            .iter()
            .map(|s| s.lock().map(|s| s.slots.len()).unwrap_or(0))
            .sum();
        assert_eq!(left, 200, "only the new windows are left");
    }
}
