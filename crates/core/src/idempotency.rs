//! The idempotency store behind the `Idempotency-Key` header: the first request with a key runs,
//! later ones with the same key and body get its stored response; another body is refused.
//! Kept in the database so every replica sees the same keys; keys expire after 24 hours.

use crate::error::{Error, Result};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbBackend, Value as DbValue};
use serde_json::Value;
use uuid::Uuid;

/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;

/// A stored response.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The headers worth replaying (`Location`, `ETag`, `Content-Type`), as a JSON object.
    pub headers: Value,
    /// The body.
    pub body: String,
}

/// What to do with a request carrying an idempotency key.
#[derive(Debug)]
pub enum Begin {
    /// First use: run the request, then [`complete`] (or [`release`] on a server error).
    Proceed,
    /// Already answered: replay this.
    Replay(StoredResponse),
    /// The same key came with another request body.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

fn table() -> Alias {
    Alias::new("idempotency_keys")
}

/// Claims `key` for this request, or tells how it was answered before.
pub async fn begin(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    principal: &str,
    key: &str,
    request_hash: &str,
) -> Result<Begin> {
    let now = Utc::now();
    let insert = Query::insert()
        .into_table(table())
        .columns(
            [
                "org_id",
                "principal",
                "key",
                "request_hash",
                "state",
                "created_at",
            ]
            .map(Alias::new),
        )
        .values([
            org_id.into(),
            principal.into(),
            key.into(),
            request_hash.into(),
            "running".into(),
            now.into(),
        ])
        .map_err(Error::internal)?
        .on_conflict(
            OnConflict::columns(["org_id", "principal", "key"].map(Alias::new))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    if db.execute(&insert).await?.rows_affected() == 1 {
        return Ok(Begin::Proceed);
    }
    let select = Query::select()
        .columns(
            [
                "request_hash",
                "state",
                "response_status",
                "response_headers",
                "response_body",
                "created_at",
            ]
            .map(Alias::new),
        )
        .from(table())
        .and_where(Expr::col(Alias::new("org_id")).eq(org_id))
        .and_where(Expr::col(Alias::new("principal")).eq(principal))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        // Released in between: the caller may try again.
        return Ok(Begin::InProgress);
    };
    let created: chrono::DateTime<Utc> = row.try_get("", "created_at")?;
    if now - created > Duration::hours(TTL_HOURS) {
        release(db, org_id, principal, key).await?;
        return Ok(Begin::InProgress);
    }
    let hash: String = row.try_get("", "request_hash")?;
    if hash != request_hash {
        return Ok(Begin::Mismatch);
    }
    let state: String = row.try_get("", "state")?;
    if state != "done" {
        return Ok(Begin::InProgress);
    }
    let status: i32 = row.try_get("", "response_status")?;
    let headers: Value = match db.get_database_backend() {
        DbBackend::Postgres => row.try_get("", "response_headers")?,
        _ => {
            let text: String = row.try_get("", "response_headers")?;
            serde_json::from_str(&text).unwrap_or(Value::Null)
        }
    };
    Ok(Begin::Replay(StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        headers,
        body: row.try_get("", "response_body")?,
    }))
}

/// Stores the response of the request that claimed `key`.
pub async fn complete(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    principal: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<()> {
    let headers = match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust_with_values(
            "CAST($1 AS jsonb)",
            [DbValue::from(response.headers.to_string())],
        ),
        _ => Expr::val(response.headers.to_string()),
    };
    let update = Query::update()
        .table(table())
        .value(Alias::new("state"), "done")
        .value(Alias::new("response_status"), i32::from(response.status))
        .value(Alias::new("response_headers"), headers)
        .value(Alias::new("response_body"), response.body.clone())
        .and_where(Expr::col(Alias::new("org_id")).eq(org_id))
        .and_where(Expr::col(Alias::new("principal")).eq(principal))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

/// Forgets `key` (after a server error, so that a retry runs again).
pub async fn release(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    principal: &str,
    key: &str,
) -> Result<()> {
    let delete = Query::delete()
        .from_table(table())
        .and_where(Expr::col(Alias::new("org_id")).eq(org_id))
        .and_where(Expr::col(Alias::new("principal")).eq(principal))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}
