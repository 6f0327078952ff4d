//! A fixed-window rate limiter kept in the database, so every gateway replica shares the count.

use crate::error::{Error, Result};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DeriveIden};

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Bucket,
    WindowStart,
    Hits,
}

/// Counts one hit on `bucket` in the current window of `window_secs` seconds and fails with
/// [`crate::Code::RateLimited`] (with the seconds until the window ends) past `max` hits.
pub async fn hit(
    db: &impl ConnectionTrait,
    bucket: &str,
    max: u32,
    window_secs: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let window_secs = Ord::max(window_secs, 1) as i64;
    let now_secs = now.timestamp();
    let window_start = now_secs - now_secs.rem_euclid(window_secs);
    let insert = Query::insert()
        .into_table(RateLimits::Table)
        .columns([
            RateLimits::Bucket,
            RateLimits::WindowStart,
            RateLimits::Hits,
        ])
        .values([bucket.into(), window_start.into(), 1i32.into()])
        .map_err(Error::internal)?
        .on_conflict(
            OnConflict::columns([RateLimits::Bucket, RateLimits::WindowStart])
                .value(
                    RateLimits::Hits,
                    Expr::col((RateLimits::Table, RateLimits::Hits)).add(1),
                )
                .to_owned(),
        )
        .returning_col(RateLimits::Hits)
        .to_owned();
    let row = db.query_one(&insert).await?;
    let hits: i32 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 1,
    };
    if hits == 1 {
        // First hit of a new window: forget the bucket's older windows.
        let cleanup = Query::delete()
            .from_table(RateLimits::Table)
            .and_where(Expr::col(RateLimits::Bucket).eq(bucket))
            .and_where(Expr::col(RateLimits::WindowStart).lt(window_start))
            .to_owned();
        db.execute(&cleanup).await?;
    }
    if hits as i64 > max as i64 {
        let retry = Ord::max(window_start + window_secs - now_secs, 1) as u64;
        return Err(Error::rate_limited(retry));
    }
    Ok(())
}
