//! Payments on issued invoices.

use super::common::{finish, text};
use super::document_lines::to_dto;
use super::documents::{DocType, find, money};
use crate::dto::*;
use crate::error::Result;
use crate::model::payment;
use crate::totals;
use chrono::Utc;
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::money::{Sign, parse_decimal};
use crm_core::{Action, Ctx, Error, FieldError, new_id};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::json;
use std::str::FromStr;
use uuid::Uuid;

/// Records a payment; an invoice paid in full becomes `paid`. Overpaying is a 422.
pub async fn add_payment(ctx: &Ctx, id: Uuid, input: NewPayment) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let row = find(&tx, ctx, DocType::Invoice, id).await?;
    if row.status != "issued" {
        return Err(Error::conflict(format!("A {} invoice takes no payment", row.status)).into());
    }
    let mut errors = Vec::new();
    let scale = totals::scale_of(&row.currency);
    let amount = match parse_decimal(&input.amount, "/amount", Sign::Positive, scale) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            Decimal::ZERO
        }
    };
    let total = Decimal::from_str(&row.total).unwrap_or_default();
    let paid = Decimal::from_str(&row.amount_paid).unwrap_or_default();
    if paid.checked_add(amount).is_none_or(|sum| sum > total) {
        errors.push(FieldError::new(
            "/amount",
            "overpaid",
            format!("exceeds the {} still due", total - paid),
        ));
    }
    let method = text(input.method, "/method", 40, &mut errors);
    let reference = text(input.reference, "/reference", 200, &mut errors);
    finish(errors)?;
    let now = Utc::now();
    payment::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        document_id: Set(id),
        amount: Set(money(amount, scale)),
        paid_at: Set(input.paid_at.unwrap_or(now)),
        method: Set(method),
        reference: Set(reference),
        created_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let version = row.version;
    let mut a = row.into_active_model();
    a.amount_paid = Set(money(paid + amount, scale));
    if paid + amount == total {
        a.status = Set("paid".to_owned());
    }
    a.version = Set(version + 1);
    a.updated_at = Set(now);
    let saved = a.update(&tx).await?;
    let out = to_dto(&tx, saved).await?;
    audit::append(
        &tx,
        ctx,
        "invoice",
        id,
        "payment",
        json!({ "amount_paid": { "before": paid.to_string(), "after": out.amount_paid } }),
        json!(out),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
