//! Quotes: created with server-priced lines like orders, and accepted into a confirmed order
//! with the same lines in one transaction.

use super::document_lines::{reprice, to_dto};
use super::documents::{DocType, PreparedOrder, find, insert_document, prepare_order};
use crate::dto::*;
use crate::error::Result;
use crate::model::line;
use crate::totals;
use chrono::{Duration, NaiveDate, Utc};
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

/// Creates a quote (an offer); every amount is computed from the lines.
pub async fn create_quote(ctx: &Ctx, input: NewQuote) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let o = prepare_order(
        &tx,
        ctx,
        NewOrder {
            currency: input.currency,
            price_list_id: input.price_list_id,
            company_id: input.company_id,
            contact_id: input.contact_id,
            status: None,
            lines: input.lines,
            ordered_at: None,
        },
    )
    .await?;
    let saved = insert_document(&tx, ctx, DocType::Quote, &o, "draft", None).await?;
    let valid = input
        .valid_until
        .unwrap_or_else(|| (Utc::now() + Duration::days(30)).date_naive());
    let mut a = saved.into_active_model();
    a.valid_until = Set(Some(valid.format("%Y-%m-%d").to_string()));
    let saved = a.update(&tx).await?;
    let out = to_dto(&tx, saved).await?;
    audit::record(
        &tx,
        ctx,
        "quote",
        out.id,
        "created",
        None,
        Some(&json!(out)),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Accepts a quote: it becomes `accepted` and a confirmed order with its lines is created, in one
/// transaction. An expired, rejected or already accepted quote is a 409.
pub async fn accept_quote(ctx: &Ctx, id: Uuid) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let quote = find(&tx, ctx, DocType::Quote, id).await?;
    let expired = quote
        .valid_until
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|d| d < Utc::now().date_naive());
    if !matches!(quote.status.as_str(), "draft" | "sent") || expired {
        return Err(Error::conflict(if expired {
            "The quote has expired".to_owned()
        } else {
            format!("A {} quote cannot be accepted", quote.status)
        })
        .into());
    }
    let lines = line::Entity::find()
        .filter(line::Column::OrgId.eq(quote.org_id))
        .filter(line::Column::DocumentId.eq(quote.id))
        .order_by_asc(line::Column::Position)
        .all(&tx)
        .await?;
    let scale = totals::scale_of(&quote.currency);
    let priced = reprice(lines, scale)?;
    let prepared = PreparedOrder {
        currency: quote.currency.clone(),
        scale,
        status: OrderStatus::Confirmed,
        company_id: quote.company_id,
        contact_id: quote.contact_id,
        lines: priced,
        ordered_at: None,
    };
    let order = insert_document(&tx, ctx, DocType::Order, &prepared, "confirmed", None).await?;
    let mut a = order.into_active_model();
    a.source_id = Set(Some(quote.id));
    let order = a.update(&tx).await?;
    let version = quote.version;
    let mut q = quote.into_active_model();
    q.status = Set("accepted".to_owned());
    q.version = Set(version + 1);
    q.updated_at = Set(Utc::now());
    q.update(&tx).await?;
    let out = to_dto(&tx, order).await?;
    audit::append(
        &tx,
        ctx,
        "quote",
        id,
        "updated",
        json!({ "status": { "after": "accepted" } }),
        json!({ "order_id": out.id }),
    )
    .await?;
    audit::record(
        &tx,
        ctx,
        "order",
        out.id,
        "created",
        None,
        Some(&json!(out)),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
