//! Following the change feed as it grows (GraphQL subscriptions), and the PostgreSQL wake-up
//! that makes every replica's followers and long-polls see a commit at once.
//!
//! A follower reads pages with the same rule as the feed (nothing is returned that a later
//! commit could place before it), then sleeps until this process commits a write, another
//! replica's commit is announced on [`CHANNEL`], or the poll interval passes (SQLite has no
//! notifications; another process on the same file is seen at the next poll).

use crate::dto::Event;
use crate::error::Result;
use crate::feed::{Feed, read_page};
use crate::position::Position;
use crate::types::{self, TypePattern};
use chrono::Utc;
use crm_core::{Action, Ctx};
use futures_util::Stream;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::VecDeque;
use std::time::Duration;

/// The PostgreSQL notification channel a trigger on `outbox_events` raises once per writing
/// statement (migration `m20261205_000014_feed_notify`); delivered at commit.
pub const CHANNEL: &str = "crm_events";

/// Events a follower reads at a time.
const BATCH: u64 = 100;

/// How soon a follower looks again after a wake-up that found nothing new; doubled each time
/// until the poll interval.
const FIRST_RETRY: Duration = Duration::from_millis(20);

/// Where the organization's feed ends now: a follower starting here gets only what commits
/// from now on (on PostgreSQL, and anything still held back behind a running transaction).
pub async fn head(ctx: &Ctx) -> Result<Position> {
    let backend = ctx.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT CAST(CAST(txid AS text) AS bigint) AS pos, id FROM outbox_events \
             WHERE org_id = $1 AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY txid DESC, id DESC LIMIT 1"
        }
        _ => "SELECT seq AS pos, id FROM outbox_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1",
    };
    let row = ctx
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [ctx.org_id().into()],
        ))
        .await?;
    let mut pos = Position::start(ctx.org_id(), Utc::now());
    if let Some(row) = row {
        pos.p = row.try_get("", "pos")?;
        pos.i = row.try_get("", "id")?;
    }
    Ok(pos)
}

struct Follower {
    ctx: Ctx,
    feed: Feed,
    patterns: Option<Vec<TypePattern>>,
    from: Position,
    ready: VecDeque<Event>,
}

/// Every event of the caller's organization committed after the feed cursor `after` (or from
/// now), matching `types`, in commit order, as it commits; the stream never ends by itself.
/// Bad patterns or cursors fail at once, as the feed's list does.
pub async fn follow(
    ctx: Ctx,
    feed: Feed,
    types: &[String],
    after: Option<&str>,
) -> Result<impl Stream<Item = Result<Event>> + Send + use<>> {
    ctx.require(Action::Read)?;
    let patterns = types::parse(types)?;
    let from = match after {
        Some(a) => Position::decode(a, ctx.org_id(), Utc::now(), feed.settings.retention)?,
        None => head(&ctx).await?,
    };
    let follower = Follower {
        ctx,
        feed,
        patterns,
        from,
        ready: VecDeque::new(),
    };
    Ok(futures_util::stream::unfold(follower, |mut f| async move {
        // After a wake-up that found nothing (its event is held back behind an older running
        // transaction, on PostgreSQL), look again soon, and then less and less often.
        let mut soon: Option<Duration> = None;
        loop {
            if let Some(event) = f.ready.pop_front() {
                return Some((Ok(event), f));
            }
            // Listen before reading, so that a commit between the read and the wait counts.
            let signal = f.feed.signal();
            let notified = signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match read_page(&f.ctx, f.from, f.patterns.as_deref(), BATCH).await {
                Ok((page, next)) => {
                    f.from = next;
                    if !page.data.is_empty() {
                        soon = None;
                        f.ready.extend(page.data);
                        continue;
                    }
                }
                Err(e) => {
                    // A database failure ends nothing: the follower says so and tries again.
                    tracing::warn!(error = %e, "a feed follower's read failed");
                    tokio::time::sleep(f.feed.settings.poll_interval).await;
                    return Some((Err(e), f));
                }
            }
            let poll = f.feed.settings.poll_interval;
            let nap = soon.map_or(poll, |d| d.min(poll));
            tokio::select! {
                () = &mut notified => soon = Some(FIRST_RETRY),
                () = tokio::time::sleep(nap) => soon = soon.map(|d| d * 2).filter(|d| *d < poll),
            }
        }
    }))
}

/// Listens on [`CHANNEL`] with its own connection (a transaction-pooling proxy would not pass
/// it) and wakes `feed` at every announced commit, until the task running it is dropped;
/// reconnects after a failure. Run it (spawned) beside each server on PostgreSQL.
pub async fn listen(pool: sqlx::PgPool, feed: Feed) {
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    // Whatever committed while the listener was away.
                    feed.committed();
                    while let Ok(Some(_)) = listener.try_recv().await {
                        feed.committed();
                    }
                    tracing::warn!("lost the {CHANNEL} listener; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN {CHANNEL}"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect the {CHANNEL} listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
