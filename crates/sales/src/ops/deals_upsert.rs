//! Deals by another system's id: `PUT /deals/by-external-id/{source}/{id}`, batch upserts.

use super::deals::{create_deal_in, to_dto, update_deal_at};
use crate::dto::{Deal, DealPatch, NewDeal};
use crate::error::Result;
use crate::model::deal;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, Patch, audit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use serde_json::json;

const TYPE: &str = "deal";

/// Creates or replaces the deal an ERP knows as `source`/`external_id`; returns it and whether
/// it was created. A replace sets the name, amount, expected close date, company and contacts
/// from the body (clearing what it leaves out), moves the deal to `stage_id` when given
/// (recorded in the stage history; a won or lost stage closes it, at `closed_at` when given),
/// and keeps the pipeline, the close reason and, when the body names none, the owner. A
/// deleted deal is restored by the push (managers and admins).
pub async fn upsert_deal(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewDeal,
) -> Result<(Deal, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_deal_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_deal`] inside the caller's transaction (batch writes).
pub async fn upsert_deal_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewDeal,
) -> Result<(Deal, bool)> {
    ctx.require(Action::Write)?;
    super::external::check_external(source, external_id)?;
    super::external::lock_external(tx, ctx, TYPE, source, external_id).await?;
    let existing = deal::Entity::find()
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .filter(deal::Column::ExternalSource.eq(source))
        .filter(deal::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    let Some(found) = existing else {
        let external = Some((source, external_id));
        let d = create_deal_in(tx, ctx, input, None, external, Utc::now()).await?;
        return Ok((d, true));
    };
    if let Some(pipeline) = input.pipeline_id
        && pipeline != found.pipeline_id
    {
        return Err(Error::invalid_field(
            "/pipeline_id",
            "immutable",
            format!(
                "a deal stays in its pipeline; this one is in {}",
                found.pipeline_id
            ),
        )
        .into());
    }
    if found.deleted_at.is_some() {
        restore_in(tx, ctx, found.clone()).await?;
    }
    let patch = DealPatch {
        name: Patch::Set(input.name),
        amount: input.amount.map_or(Patch::Null, Patch::Set),
        expected_close_date: input.expected_close_date.map_or(Patch::Null, Patch::Set),
        stage_id: input.stage_id.map_or(Patch::Absent, Patch::Set),
        close_reason: Patch::Absent,
        owner_id: input.owner_id.map_or(Patch::Absent, Patch::Set),
        company_id: input.company_id.map_or(Patch::Null, Patch::Set),
        contact_ids: Patch::Set(input.contact_ids.unwrap_or_default()),
    };
    let d = update_deal_at(tx, ctx, found.id, patch, None, input.closed_at).await?;
    Ok((d, false))
}

/// Restores a deleted deal inside `tx`, as `POST /deals/{id}/restore` does (managers and
/// admins).
async fn restore_in(tx: &DatabaseTransaction, ctx: &Ctx, row: deal::Model) -> Result<()> {
    ctx.require(Action::Delete)?;
    let version = row.version;
    let id = row.id;
    let mut a = row.into_active_model();
    a.deleted_at = Set(None);
    a.version = Set(version + 1);
    a.updated_at = Set(Utc::now());
    let d = to_dto(a.update(tx).await?);
    audit::record(tx, ctx, TYPE, id, "restored", None, Some(&json!(d))).await?;
    Ok(())
}
