//! Merging two records into one, in one transaction: the survivor keeps every link, tag, custom
//! value and the history of both; the merged record answers 404 with `merged_into`.

use super::{companies, contacts};
use crate::dto::{Company, Contact, MergeInput};
use crate::error::{CustomersError, Result};
use crate::model::contact;
use chrono::Utc;
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Survivor values win; missing ones come from the merged record.
fn union_object(survivor: &Value, merged: &Value) -> Value {
    let mut out: Map<String, Value> = merged.as_object().cloned().unwrap_or_default();
    if let Some(s) = survivor.as_object() {
        for (k, v) in s {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn union_tags(a: &Value, b: &Value) -> Value {
    let mut out: Vec<String> = serde_json::from_value(a.clone()).unwrap_or_default();
    for t in serde_json::from_value::<Vec<String>>(b.clone()).unwrap_or_default() {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    json!(out)
}

/// Merges contact `input.source_id` into contact `survivor_id` (managers and admins).
pub async fn merge_contacts(ctx: &Ctx, survivor_id: Uuid, input: MergeInput) -> Result<Contact> {
    let tx = begin_write(&ctx.db).await?;
    let merged = merge_contacts_in(&tx, ctx, survivor_id, input).await?;
    tx.commit().await?;
    Ok(merged)
}

/// [`merge_contacts`] inside the caller's transaction, for domains that move their own links
/// to the survivor in the same transaction.
pub async fn merge_contacts_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    survivor_id: Uuid,
    input: MergeInput,
) -> Result<Contact> {
    ctx.require(Action::Delete)?;
    if survivor_id == input.source_id {
        return Err(CustomersError::SelfMerge);
    }
    let now = Utc::now();
    let survivor = contacts::find_live(tx, ctx, survivor_id).await?;
    let source = contacts::find_live(tx, ctx, input.source_id).await?;
    let before = contacts::to_dto(survivor.clone());

    let mut row = survivor.clone().into_active_model();
    macro_rules! fill {
        ($($f:ident),+) => {$(
            if survivor.$f.is_none() && source.$f.is_some() {
                row.$f = Set(source.$f.clone());
            }
        )+};
    }
    fill!(
        first_name,
        last_name,
        email,
        phone,
        title,
        company_id,
        street,
        city,
        region,
        postal_code,
        country,
        owner_id,
        lifecycle_stage,
        source_channel
    );
    row.tags = Set(union_tags(&survivor.tags, &source.tags));
    row.custom = Set(union_object(&survivor.custom, &source.custom));
    row.consent = Set(union_object(&survivor.consent, &source.consent));
    row.version = Set(survivor.version + 1);
    row.updated_at = Set(now);
    let merged = row.update(tx).await?;
    let text = contacts::search_text_of(tx, &merged).await?;
    contact::Entity::update_many()
        .col_expr(contact::Column::SearchText, Expr::value(text))
        .filter(contact::Column::Id.eq(survivor_id))
        .exec(tx)
        .await?;

    let mut gone = source.clone().into_active_model();
    gone.deleted_at = Set(Some(now));
    gone.merged_into = Set(Some(survivor_id));
    gone.version = Set(source.version + 1);
    gone.updated_at = Set(now);
    gone.update(tx).await?;

    // Records that point at a contact move to the survivor here as domains add them.
    audit::move_history(tx, ctx, contacts::TYPE, source.id, survivor_id).await?;
    let after = contacts::to_dto(merged);
    let mut changes = audit::diff(
        Some(&contacts::json_of(&before)),
        Some(&contacts::json_of(&after)),
    );
    changes["merged_from"] = json!({ "before": null, "after": source.id });
    audit::append(
        tx,
        ctx,
        contacts::TYPE,
        survivor_id,
        "merged",
        changes,
        json!({ "survivor": after, "merged": source.id }),
    )
    .await?;
    Ok(after)
}

/// Merges company `input.source_id` into company `survivor_id`: its contacts move over
/// (managers and admins).
pub async fn merge_companies(ctx: &Ctx, survivor_id: Uuid, input: MergeInput) -> Result<Company> {
    let tx = begin_write(&ctx.db).await?;
    let merged = merge_companies_in(&tx, ctx, survivor_id, input).await?;
    tx.commit().await?;
    Ok(merged)
}

/// [`merge_companies`] inside the caller's transaction.
pub async fn merge_companies_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    survivor_id: Uuid,
    input: MergeInput,
) -> Result<Company> {
    ctx.require(Action::Delete)?;
    if survivor_id == input.source_id {
        return Err(CustomersError::SelfMerge);
    }
    let now = Utc::now();
    let survivor = companies::find_live(tx, ctx, survivor_id).await?;
    let source = companies::find_live(tx, ctx, input.source_id).await?;
    let before = companies::to_dto(survivor.clone());

    let mut row = survivor.clone().into_active_model();
    macro_rules! fill {
        ($($f:ident),+) => {$(
            if survivor.$f.is_none() && source.$f.is_some() {
                row.$f = Set(source.$f.clone());
            }
        )+};
    }
    fill!(
        legal_name,
        domain,
        industry,
        size_band,
        street,
        city,
        region,
        postal_code,
        country,
        owner_id,
        lifecycle_stage
    );
    if survivor.annual_revenue_amount.is_none() && source.annual_revenue_amount.is_some() {
        row.annual_revenue_amount = Set(source.annual_revenue_amount.clone());
        row.annual_revenue_currency = Set(source.annual_revenue_currency.clone());
    }
    row.tags = Set(union_tags(&survivor.tags, &source.tags));
    row.custom = Set(union_object(&survivor.custom, &source.custom));
    row.version = Set(survivor.version + 1);
    row.updated_at = Set(now);
    let merged = row.update(tx).await?;

    // Every contact of the merged company moves to the survivor, each change in its history.
    let moved = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::CompanyId.eq(source.id))
        .all(tx)
        .await?;
    for c in moved {
        let before_c = contacts::to_dto(c.clone());
        let mut crow = c.clone().into_active_model();
        crow.company_id = Set(Some(survivor_id));
        crow.version = Set(c.version + 1);
        crow.updated_at = Set(now);
        let updated = crow.update(tx).await?;
        audit::record(
            tx,
            ctx,
            contacts::TYPE,
            c.id,
            "updated",
            Some(&contacts::json_of(&before_c)),
            Some(&contacts::json_of(&contacts::to_dto(updated))),
        )
        .await?;
    }
    companies::refresh_contact_search(tx, ctx, survivor_id).await?;

    let mut gone = source.clone().into_active_model();
    gone.deleted_at = Set(Some(now));
    gone.merged_into = Set(Some(survivor_id));
    gone.version = Set(source.version + 1);
    gone.updated_at = Set(now);
    gone.update(tx).await?;

    audit::move_history(tx, ctx, companies::TYPE, source.id, survivor_id).await?;
    let after = companies::to_dto(merged);
    let mut changes = audit::diff(
        Some(&companies::json_of(&before)),
        Some(&companies::json_of(&after)),
    );
    changes["merged_from"] = json!({ "before": null, "after": source.id });
    audit::append(
        tx,
        ctx,
        companies::TYPE,
        survivor_id,
        "merged",
        changes,
        json!({ "survivor": after, "merged": source.id }),
    )
    .await?;
    Ok(after)
}
