//! The change feed's cursor: where a reader stands, for which organization, and since when.
//!
//! `p` and `i` are the last event's place in the feed's order, `(txid, id)` on PostgreSQL and
//! `seq` on SQLite (`i` unused there); `(0, nil)` is the start. `t` (Unix milliseconds) is the
//! time of the last event returned, or of the answer when it returned none: a cursor whose `t`
//! is older than the retention is refused, since events after it may have been pruned.

use crate::error::{IntegrationError, Result};
use chrono::{DateTime, Utc};
use crm_core::{Error, cursor};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// A decoded cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The organization it was issued to.
    pub o: Uuid,
    /// `txid` (PostgreSQL) or `seq` (SQLite) of the last event seen; 0 at the start.
    pub p: i64,
    /// Id of the last event seen (PostgreSQL's tie-break within one transaction).
    pub i: Uuid,
    /// Unix milliseconds of the last event seen, or of the answer that saw none.
    pub t: i64,
}

impl Position {
    /// The start of the feed, stamped `now`.
    pub fn start(org: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            o: org,
            p: 0,
            i: Uuid::nil(),
            t: now.timestamp_millis(),
        }
    }

    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        cursor::encode(self)
    }

    /// Decodes `after` for organization `org`: 422 on `/after` when it is not a feed cursor or
    /// was issued to another organization, 410 when it is older than `retention`.
    pub fn decode(after: &str, org: Uuid, now: DateTime<Utc>, retention: Duration) -> Result<Self> {
        let bad = |detail: &str| Error::invalid_field("/after", "invalid_cursor", detail);
        let pos: Position =
            cursor::decode(after).map_err(|_| bad("is not a cursor of the change feed"))?;
        if pos.o != org {
            return Err(bad("was issued to another organization").into());
        }
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        if pos.t < now.timestamp_millis().saturating_sub(retention_ms) {
            return Err(IntegrationError::CursorExpired {
                retention_days: retention.as_secs() / 86_400,
            });
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_expiry_and_garbage() {
        let org = Uuid::now_v7();
        let now = Utc::now();
        let day = Duration::from_secs(86_400);
        let pos = Position {
            o: org,
            p: 42,
            i: Uuid::now_v7(),
            t: now.timestamp_millis() - 1000,
        };
        assert_eq!(Position::decode(&pos.encode(), org, now, day).unwrap(), pos);
        let other = Position::decode(&pos.encode(), Uuid::now_v7(), now, day);
        assert!(matches!(other, Err(IntegrationError::Core(_))));
        let old = Position::decode(&pos.encode(), org, now, Duration::from_millis(10));
        assert!(matches!(old, Err(IntegrationError::CursorExpired { .. })));
        assert!(Position::decode("nope", org, now, day).is_err());
    }
}
