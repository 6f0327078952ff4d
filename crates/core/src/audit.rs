//! Per-record history and the outbox: every change appends both, in the transaction of the change.
//!
//! History answers "who changed what, when" per record (`GET /{id}/history`); the outbox is the
//! one event stream that feeds the change feed, webhooks, subscriptions and automation.
//! Its order for the feed is PostgreSQL's `txid` (a column default) and SQLite's `seq` (set
//! here), see migration 000011.

use crate::ctx::Ctx;
use crate::error::Result;
use crate::{Page, PageRequest, cursor, new_id};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, Value as DbValue};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The columns a history row is written with.
const HISTORY_COLUMNS: [&str; 9] = [
    "id",
    "org_id",
    "record_type",
    "record_id",
    "action",
    "actor_user_id",
    "actor_api_key_id",
    "changes",
    "at",
];

/// The columns an outbox row is written with (SQLite adds `seq`).
const OUTBOX_COLUMNS: [&str; 9] = [
    "id",
    "org_id",
    "topic",
    "record_type",
    "record_id",
    "actor_user_id",
    "actor_api_key_id",
    "payload",
    "created_at",
];

/// Fields that change on every write and say nothing to a reader of the history.
const IGNORED: &[&str] = &["version", "updated_at", "search_text", "created_at"];

/// One entry of a record's history.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct HistoryEntry {
    /// Identifier of the entry.
    pub id: Uuid,
    /// `created`, `updated`, `deleted`, `restored`, `merged`, `merged_away` or `owner_changed`.
    pub action: String,
    /// The user who acted (for an API key: its creator).
    pub actor_user_id: Option<Uuid>,
    /// The API key used, if any.
    pub actor_api_key_id: Option<Uuid>,
    /// Changed fields: `{"field": {"before": ..., "after": ...}}`.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub changes: Value,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// The changed fields between two JSON objects: `{"field": {"before", "after"}}`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    for key in b.keys().chain(a.keys()) {
        if IGNORED.contains(&key.as_str()) || out.contains_key(key) {
            continue;
        }
        let (old, new) = (
            b.get(key).unwrap_or(&Value::Null),
            a.get(key).unwrap_or(&Value::Null),
        );
        if old != new {
            out.insert(key.clone(), json!({ "before": old, "after": new }));
        }
    }
    Value::Object(out)
}

fn json_value(backend: DbBackend, v: Value) -> sea_orm::sea_query::SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_values("CAST($1 AS jsonb)", [DbValue::from(v.to_string())])
        }
        _ => Expr::val(v.to_string()),
    }
}

/// Appends a history entry and an outbox event for a change of one record.
pub async fn record(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    record_id: Uuid,
    action: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    let changes = match action {
        "deleted" | "restored" => json!({}),
        _ => diff(before, after),
    };
    append(
        db,
        ctx,
        record_type,
        record_id,
        action,
        changes,
        json!({ "before": before, "after": after }),
    )
    .await
}

/// Appends a history entry with explicit `changes` and an outbox event with `payload`.
pub async fn append(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    record_id: Uuid,
    action: &str,
    changes: Value,
    mut payload: Value,
) -> Result<()> {
    if let (Some(origin), Value::Object(map)) = (ctx.origin, &mut payload) {
        map.insert(
            "origin".to_owned(),
            json!({ "type": origin.kind, "id": origin.id }),
        );
    }
    let backend = db.get_database_backend();
    let now = Utc::now();
    if backend == DbBackend::Postgres {
        // Both rows in one statement: one round trip per change instead of two.
        let stmt = sea_orm::Statement::from_sql_and_values(
            backend,
            "WITH h AS (INSERT INTO record_history (id, org_id, record_type, record_id, action, \
             actor_user_id, actor_api_key_id, changes, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS jsonb), $9)) \
             INSERT INTO outbox_events (id, org_id, topic, record_type, record_id, actor_user_id, \
             actor_api_key_id, payload, created_at) \
             VALUES ($10, $2, $11, $3, $4, $6, $7, CAST($12 AS jsonb), $9)",
            [
                new_id().into(),
                ctx.org_id().into(),
                record_type.into(),
                record_id.into(),
                action.into(),
                Some(ctx.actor.user_id).into(),
                ctx.actor.api_key_id.into(),
                changes.to_string().into(),
                now.into(),
                new_id().into(),
                format!("{record_type}.{action}").into(),
                payload.to_string().into(),
            ],
        );
        db.execute_raw(stmt).await?;
        return Ok(());
    }
    let history = Query::insert()
        .into_table(Alias::new("record_history"))
        .columns(HISTORY_COLUMNS.map(Alias::new))
        .values([
            new_id().into(),
            ctx.org_id().into(),
            record_type.into(),
            record_id.into(),
            action.into(),
            Some(ctx.actor.user_id).into(),
            ctx.actor.api_key_id.into(),
            json_value(backend, changes),
            now.into(),
        ])
        .map_err(crate::Error::internal)?
        .to_owned();
    db.execute(&history).await?;
    let outbox = Query::insert()
        .into_table(Alias::new("outbox_events"))
        .columns(OUTBOX_COLUMNS.into_iter().chain(["seq"]).map(Alias::new))
        .values([
            new_id().into(),
            ctx.org_id().into(),
            format!("{record_type}.{action}").into(),
            record_type.into(),
            record_id.into(),
            Some(ctx.actor.user_id).into(),
            ctx.actor.api_key_id.into(),
            json_value(backend, payload),
            now.into(),
            // The change feed's order: numbered under the write lock, which the transaction
            // holds until it commits, so `seq` order is commit order (migration 000011).
            Expr::cust("(SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox_events)"),
        ])
        .map_err(crate::Error::internal)?
        .to_owned();
    db.execute(&outbox).await?;
    Ok(())
}

/// Appends the history entries and outbox events of many created records set-based: one
/// statement for the history and one for the outbox, with the same rows [`record`] writes
/// one by one (`created`, the changes from nothing, `{before: null, after}`). On SQLite the
/// events are numbered from the current `MAX(seq)`, which the write transaction holds.
pub async fn record_created_many(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    records: &[(Uuid, Value)],
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let now = Utc::now();
    let topic = format!("{record_type}.created");
    let origin = ctx.origin.map(|o| json!({ "type": o.kind, "id": o.id }));
    if backend == DbBackend::Postgres {
        let now = chrono::SubsecRound::trunc_subsecs(now, 6);
        return created_many_pg(db, ctx, record_type, records, &topic, origin, now).await;
    }
    let mut history = Query::insert()
        .into_table(Alias::new("record_history"))
        .columns(HISTORY_COLUMNS.map(Alias::new))
        .to_owned();
    let mut columns = OUTBOX_COLUMNS.to_vec();
    let sqlite = backend != DbBackend::Postgres;
    let mut seq: i64 = 0;
    if sqlite {
        columns.push("seq");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT COALESCE(MAX(seq), 0) AS s FROM outbox_events",
            ))
            .await?;
        seq = row
            .map(|r| r.try_get::<i64>("", "s"))
            .transpose()?
            .unwrap_or(0);
    }
    let mut outbox = Query::insert()
        .into_table(Alias::new("outbox_events"))
        .columns(columns.into_iter().map(Alias::new))
        .to_owned();
    for (id, after) in records {
        let changes = diff(None, Some(after));
        let mut payload = json!({ "before": null, "after": after });
        if let (Some(o), Value::Object(m)) = (&origin, &mut payload) {
            m.insert("origin".to_owned(), o.clone());
        }
        history
            .values([
                new_id().into(),
                ctx.org_id().into(),
                record_type.into(),
                (*id).into(),
                "created".into(),
                Some(ctx.actor.user_id).into(),
                ctx.actor.api_key_id.into(),
                json_value(backend, changes),
                now.into(),
            ])
            .map_err(crate::Error::internal)?;
        let mut values: Vec<sea_orm::sea_query::SimpleExpr> = vec![
            new_id().into(),
            ctx.org_id().into(),
            topic.clone().into(),
            record_type.into(),
            (*id).into(),
            Some(ctx.actor.user_id).into(),
            ctx.actor.api_key_id.into(),
            json_value(backend, payload),
            now.into(),
        ];
        if sqlite {
            seq += 1;
            values.push(seq.into());
        }
        outbox.values(values).map_err(crate::Error::internal)?;
    }
    db.execute(&history).await?;
    db.execute(&outbox).await?;
    Ok(())
}

/// A history row as [`crate::bulk::insert_json_rows`] reads it (keys are [`HISTORY_COLUMNS`]).
#[derive(Serialize)]
struct HistoryRow<'a> {
    id: Uuid,
    org_id: Uuid,
    record_type: &'a str,
    record_id: Uuid,
    action: &'a str,
    actor_user_id: Uuid,
    actor_api_key_id: Option<Uuid>,
    changes: Value,
    at: DateTime<Utc>,
}

/// An outbox row as [`crate::bulk::insert_json_rows`] reads it (keys are [`OUTBOX_COLUMNS`]).
#[derive(Serialize)]
struct OutboxRow<'a> {
    id: Uuid,
    org_id: Uuid,
    topic: &'a str,
    record_type: &'a str,
    record_id: Uuid,
    actor_user_id: Uuid,
    actor_api_key_id: Option<Uuid>,
    payload: Value,
    created_at: DateTime<Utc>,
}

/// [`record_created_many`] on PostgreSQL: the rows as one JSON array each
/// ([`crate::bulk::insert_json_rows`]); the outbox's `txid` is its column default.
async fn created_many_pg(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    records: &[(Uuid, Value)],
    topic: &str,
    origin: Option<Value>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (org_id, actor_user_id, actor_api_key_id) =
        (ctx.org_id(), ctx.actor.user_id, ctx.actor.api_key_id);
    let mut history = Vec::with_capacity(records.len());
    let mut outbox = Vec::with_capacity(records.len());
    for (id, after) in records {
        history.push(HistoryRow {
            id: new_id(),
            org_id,
            record_type,
            record_id: *id,
            action: "created",
            actor_user_id,
            actor_api_key_id,
            changes: diff(None, Some(after)),
            at: now,
        });
        let mut payload = Map::with_capacity(3);
        payload.insert("before".to_owned(), Value::Null);
        payload.insert("after".to_owned(), after.clone());
        if let Some(o) = &origin {
            payload.insert("origin".to_owned(), o.clone());
        }
        outbox.push(OutboxRow {
            id: new_id(),
            org_id,
            topic,
            record_type,
            record_id: *id,
            actor_user_id,
            actor_api_key_id,
            payload: Value::Object(payload),
            created_at: now,
        });
    }
    let history = serde_json::to_string(&history).map_err(crate::Error::internal)?;
    let outbox = serde_json::to_string(&outbox).map_err(crate::Error::internal)?;
    crate::bulk::insert_json_rows(db, "record_history", &HISTORY_COLUMNS, history).await?;
    crate::bulk::insert_json_rows(db, "outbox_events", &OUTBOX_COLUMNS, outbox).await?;
    Ok(())
}

/// Moves the history of `from` onto `to` (when `from` is merged into `to`).
pub async fn move_history(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    from: Uuid,
    to: Uuid,
) -> Result<()> {
    let update = Query::update()
        .table(Alias::new("record_history"))
        .value(Alias::new("record_id"), to)
        .and_where(Expr::col(Alias::new("org_id")).eq(ctx.org_id()))
        .and_where(Expr::col(Alias::new("record_type")).eq(record_type))
        .and_where(Expr::col(Alias::new("record_id")).eq(from))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

/// The columns of `record_history` that make a [`HistoryEntry`], in the order
/// [`history_entry_at`] reads them.
pub const ENTRY_COLUMNS: [&str; 6] = [
    "id",
    "action",
    "actor_user_id",
    "actor_api_key_id",
    "changes",
    "at",
];

/// The history entry in `row`, whose [`ENTRY_COLUMNS`] start at column `start`.
pub fn history_entry_at(
    row: &sea_orm::QueryResult,
    start: usize,
    backend: DbBackend,
) -> Result<HistoryEntry> {
    use crate::row::Cell;
    let changes: Value = match backend {
        DbBackend::Postgres => Cell::cell(row, start + 4)?,
        _ => serde_json::from_str(&String::cell(row, start + 4)?).unwrap_or(Value::Null),
    };
    Ok(HistoryEntry {
        id: Cell::cell(row, start)?,
        action: Cell::cell(row, start + 1)?,
        actor_user_id: Cell::cell(row, start + 2)?,
        actor_api_key_id: Cell::cell(row, start + 3)?,
        changes,
        at: Cell::cell(row, start + 5)?,
    })
}

/// The history of one record, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    record_id: Uuid,
    page: &PageRequest,
) -> Result<Page<HistoryEntry>> {
    let limit = page.limit()?;
    let mut select = Query::select()
        .columns(ENTRY_COLUMNS.map(Alias::new))
        .from(Alias::new("record_history"))
        .and_where(Expr::col(Alias::new("org_id")).eq(ctx.org_id()))
        .and_where(Expr::col(Alias::new("record_type")).eq(record_type))
        .and_where(Expr::col(Alias::new("record_id")).eq(record_id))
        .order_by(Alias::new("id"), Order::Desc)
        .limit(limit + 1)
        .to_owned();
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        select.and_where(Expr::col(Alias::new("id")).lt(before));
    }
    let backend = db.get_database_backend();
    let entries = db
        .query_all(&select)
        .await?
        .iter()
        .map(|row| history_entry_at(row, 0, backend))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(entries, limit, |e| {
        cursor::encode(&e.id)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields_only() {
        let d = diff(
            Some(&json!({"a": 1, "b": "x", "version": 1})),
            Some(&json!({"a": 2, "b": "x", "c": true, "version": 2})),
        );
        assert_eq!(
            d,
            json!({"a": {"before": 1, "after": 2}, "c": {"before": null, "after": true}})
        );
    }
}
