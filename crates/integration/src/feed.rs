//! The change feed: the organization's domain events in commit order, from a resumable cursor,
//! optionally long-polled (see "The change feed" in docs/architecture.md).
//!
//! The rule that makes resuming safe: a page only holds events that no later commit can place
//! before them. On PostgreSQL those are the events of transactions below the snapshot's
//! `xmin` (every one of them has ended, so nothing new can appear there), read in
//! `(txid, id)` order; an event of a transaction still running waits until it ends, and so
//! does every event after it. On SQLite writers run one at a time and number their events
//! `seq` under the write lock, so `seq` order is commit order and every committed event can be
//! returned at once.

use crate::dto::{Event, EventActor, EventOrigin, EventPage, EventQuery, EventRecord};
use crate::error::Result;
use crate::position::Position;
use crate::types::{self, TypePattern};
use chrono::{DateTime, Utc};
use crm_core::{Action, Ctx, Error, audit};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value as DbValue};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// Events per page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 100;
/// Most events per page.
pub const MAX_LIMIT: u64 = 1000;
/// Longest long-poll, in seconds.
pub const MAX_WAIT_SECS: u64 = 60;

/// Settings of the change feed.
#[derive(Debug, Clone, Copy)]
pub struct FeedSettings {
    /// How long events are kept; older cursors are refused (410).
    pub retention: Duration,
    /// How often a long-poll looks again when nothing in this process wakes it (events
    /// committed by other replicas, or held back behind a running transaction).
    pub poll_interval: Duration,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(30 * 86_400),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// The change feed of one process: its settings and the signal that wakes long-polls.
#[derive(Debug, Clone, Default)]
pub struct Feed {
    /// The settings.
    pub settings: FeedSettings,
    signal: Arc<Notify>,
}

impl Feed {
    /// A feed with `settings`.
    pub fn new(settings: FeedSettings) -> Self {
        Self {
            settings,
            signal: Arc::new(Notify::new()),
        }
    }

    /// Wakes every long-poll of this process to look again: called after a write committed
    /// (here, or on another replica: [`crate::follow::listen`]).
    pub fn committed(&self) {
        self.signal.notify_waiters();
    }

    /// The signal [`Feed::committed`] raises.
    pub(crate) fn signal(&self) -> Arc<Notify> {
        self.signal.clone()
    }
}

/// Reads the organization's events after `query.after` (any member and API key that may read).
/// With `wait`, an empty answer is delayed until an event arrives or the wait is over.
pub async fn list_events(ctx: &Ctx, feed: &Feed, query: &EventQuery) -> Result<EventPage> {
    ctx.require(Action::Read)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid_field(
            "/limit",
            "out_of_range",
            format!("must be from 1 to {MAX_LIMIT}"),
        )
        .into());
    }
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(Error::invalid_field(
            "/wait",
            "out_of_range",
            format!("must be from 0 to {MAX_WAIT_SECS} seconds"),
        )
        .into());
    }
    let patterns = types::parse(&query.types)?;
    let from = match &query.after {
        Some(after) => Position::decode(after, ctx.org_id(), Utc::now(), feed.settings.retention)?,
        None => Position::start(ctx.org_id(), Utc::now()),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        // Listen before reading, so that a commit between the read and the wait still wakes us.
        let notified = feed.signal.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (page, _) = read_page(ctx, from, patterns.as_deref(), limit).await?;
        let now = tokio::time::Instant::now();
        if !page.data.is_empty() || now >= deadline {
            return Ok(page);
        }
        let nap = feed.settings.poll_interval.min(deadline - now);
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
}

/// One read of the feed, without waiting: the page and where it ends.
pub(crate) async fn read_page(
    ctx: &Ctx,
    from: Position,
    patterns: Option<&[TypePattern]>,
    limit: u64,
) -> Result<(EventPage, Position)> {
    let (data, next, has_more) =
        read_positioned(&ctx.db, ctx.org_id(), from, patterns, None, limit).await?;
    Ok((
        EventPage {
            data,
            next_cursor: next.encode(),
            has_more,
        },
        next,
    ))
}

/// Reads up to `limit` events of organization `org` after `from` through `conn` (a
/// connection or a transaction), in feed order, optionally only those that occurred in
/// `[since, until)`. Returns the events, the position after the last one (or `from`
/// restamped when there was none) and whether more follow.
pub async fn read_positioned(
    conn: &impl ConnectionTrait,
    org: Uuid,
    from: Position,
    patterns: Option<&[TypePattern]>,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    limit: u64,
) -> Result<(Vec<Event>, Position, bool)> {
    let backend = conn.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    let mut values: Vec<DbValue> = Vec::new();
    let mut ph = |v: DbValue| {
        values.push(v);
        if pg {
            format!("${}", values.len())
        } else {
            "?".to_owned()
        }
    };
    let mut sql = String::from(
        "SELECT id, topic, record_type, record_id, actor_user_id, actor_api_key_id, payload, \
         created_at, ",
    );
    sql.push_str(if pg {
        "CAST(CAST(txid AS text) AS bigint) AS pos FROM outbox_events WHERE org_id = "
    } else {
        "seq AS pos FROM outbox_events WHERE org_id = "
    });
    sql.push_str(&ph(org.into()));
    if pg {
        sql.push_str(" AND txid < pg_snapshot_xmin(pg_current_snapshot())");
        if from.p > 0 {
            let txid = ph(from.p.to_string().into());
            let id = ph(from.i.into());
            sql.push_str(&format!(" AND (txid, id) > (CAST({txid} AS xid8), {id})"));
        }
    } else if from.p > 0 {
        sql.push_str(&format!(" AND seq > {}", ph(from.p.into())));
    }
    if let Some((since, until)) = range {
        let since = ph(since.into());
        let until = ph(until.into());
        sql.push_str(&format!(
            " AND created_at >= {since} AND created_at < {until}"
        ));
    }
    if let Some(patterns) = patterns {
        let mut alternatives = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            alternatives.push(match pattern {
                TypePattern::Exact(name) => format!("topic = {}", ph(name.clone().into())),
                TypePattern::Prefix(prefix) => format!(
                    "substr(topic, 1, {}) = {}",
                    prefix.len(),
                    ph(prefix.clone().into())
                ),
                TypePattern::Any => "1 = 1".to_owned(),
            });
        }
        sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    sql.push_str(if pg {
        " ORDER BY txid, id"
    } else {
        " ORDER BY seq"
    });
    sql.push_str(&format!(" LIMIT {}", limit + 1));
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let has_more = rows.len() as u64 > limit;
    let mut data = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        let event = to_event(row, backend)?;
        last = Some(Position {
            o: org,
            p: row.try_get("", "pos")?,
            i: event.id,
            t: event.occurred_at.timestamp_millis(),
        });
        data.push(event);
    }
    let next = last.unwrap_or(Position {
        t: Utc::now().timestamp_millis(),
        ..from
    });
    Ok((data, next, has_more))
}

fn to_event(row: &QueryResult, backend: DbBackend) -> Result<Event> {
    let payload: Value = match backend {
        DbBackend::Postgres => row.try_get("", "payload")?,
        _ => {
            let text: String = row.try_get("", "payload")?;
            serde_json::from_str(&text).unwrap_or(Value::Null)
        }
    };
    let topic: String = row.try_get("", "topic")?;
    let record_type: String = row.try_get("", "record_type")?;
    let user: Option<Uuid> = row.try_get("", "actor_user_id")?;
    let key: Option<Uuid> = row.try_get("", "actor_api_key_id")?;
    let actor = match (key, user) {
        (Some(id), _) => EventActor {
            kind: "api_key".to_owned(),
            id,
        },
        (None, Some(id)) => EventActor {
            kind: "user".to_owned(),
            id,
        },
        (None, None) => EventActor {
            kind: "system".to_owned(),
            id: Uuid::nil(),
        },
    };
    let updated = topic.strip_prefix(&record_type) == Some(".updated");
    let mut payload = payload;
    let origin = payload
        .as_object_mut()
        .and_then(|m| m.remove("origin"))
        .and_then(|o| serde_json::from_value::<EventOrigin>(o).ok());
    let (before, after) = before_after(payload, updated);
    let occurred_at: DateTime<Utc> = row.try_get("", "created_at")?;
    Ok(Event {
        id: row.try_get("", "id")?,
        kind: topic,
        occurred_at,
        actor,
        record: EventRecord {
            kind: record_type,
            id: row.try_get("", "record_id")?,
        },
        before,
        after,
        origin,
    })
}

/// The event's `before` and `after` from the outbox payload: `{before, after}` snapshots
/// (reduced to the changed fields on updates, as the history computes them), else the payload
/// as `after`.
fn before_after(payload: Value, updated: bool) -> (Option<Value>, Option<Value>) {
    let Value::Object(mut map) = payload else {
        return (None, Some(payload).filter(|v| !v.is_null()));
    };
    if !(map.contains_key("before") || map.contains_key("after")) {
        return (None, Some(Value::Object(map)));
    }
    let before = map.remove("before").filter(|v| !v.is_null());
    let after = map.remove("after").filter(|v| !v.is_null());
    if !updated {
        return (before, after);
    }
    let mut old = Map::new();
    let mut new = Map::new();
    if let Value::Object(changes) = audit::diff(before.as_ref(), after.as_ref()) {
        for (field, change) in changes {
            old.insert(field.clone(), change["before"].clone());
            new.insert(field, change["after"].clone());
        }
    }
    (Some(Value::Object(old)), Some(Value::Object(new)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn updates_carry_changed_fields_only() {
        let payload = json!({
            "before": {"name": "A", "city": "X", "version": 1},
            "after": {"name": "B", "city": "X", "version": 2}
        });
        let (b, a) = before_after(payload.clone(), true);
        assert_eq!(b, Some(json!({"name": "A"})));
        assert_eq!(a, Some(json!({"name": "B"})));
        let (b, a) = before_after(json!({"before": null, "after": {"name": "A"}}), false);
        assert_eq!((b, a), (None, Some(json!({"name": "A"}))));
        let (b, a) = before_after(json!({"into": "x"}), false);
        assert_eq!((b, a), (None, Some(json!({"into": "x"}))));
    }
}
