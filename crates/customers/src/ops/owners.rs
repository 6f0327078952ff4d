//! Owner transfer: when an employee leaves, their records move to another user in one
//! operation, each move in the record's history; nothing is lost (deleted records move too).

use super::{common, companies, contacts};
use crate::dto::{OwnerTransferInput, OwnerTransferResult, RecordType};
use crate::error::Result;
use crate::model::{company, contact};
use chrono::Utc;
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;

/// Moves the records of `from_user_id` (all, or `ids`) to `to_user_id` (managers and admins).
pub async fn transfer_owner(ctx: &Ctx, input: OwnerTransferInput) -> Result<OwnerTransferResult> {
    ctx.require(Action::Reassign)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    if !common::active_user(&tx, ctx.org_id(), input.to_user_id).await? {
        return Err(Error::invalid_field(
            "/to_user_id",
            "not_found",
            "is not an active user of this organization",
        )
        .into());
    }
    let types = input
        .record_types
        .clone()
        .unwrap_or_else(|| vec![RecordType::Company, RecordType::Contact]);
    let mut result = OwnerTransferResult {
        companies: 0,
        contacts: 0,
    };
    let change = |from, to| json!({ "owner_id": { "before": from, "after": to } });

    if types.contains(&RecordType::Company) {
        let mut query = company::Entity::find()
            .filter(company::Column::OrgId.eq(ctx.org_id()))
            .filter(company::Column::OwnerId.eq(input.from_user_id));
        if let Some(ids) = &input.ids {
            query = query.filter(company::Column::Id.is_in(ids.iter().copied()));
        }
        for row in query.all(&tx).await? {
            let (id, version) = (row.id, row.version);
            let mut active = row.into_active_model();
            active.owner_id = Set(Some(input.to_user_id));
            active.version = Set(version + 1);
            active.updated_at = Set(now);
            active.update(&tx).await?;
            audit::append(
                &tx,
                ctx,
                companies::TYPE,
                id,
                "owner_changed",
                change(input.from_user_id, input.to_user_id),
                json!({ "id": id, "owner_id": input.to_user_id }),
            )
            .await?;
            result.companies += 1;
        }
    }
    if types.contains(&RecordType::Contact) {
        let mut query = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(ctx.org_id()))
            .filter(contact::Column::OwnerId.eq(input.from_user_id));
        if let Some(ids) = &input.ids {
            query = query.filter(contact::Column::Id.is_in(ids.iter().copied()));
        }
        for row in query.all(&tx).await? {
            let (id, version) = (row.id, row.version);
            let mut active = row.into_active_model();
            active.owner_id = Set(Some(input.to_user_id));
            active.version = Set(version + 1);
            active.updated_at = Set(now);
            active.update(&tx).await?;
            audit::append(
                &tx,
                ctx,
                contacts::TYPE,
                id,
                "owner_changed",
                change(input.from_user_id, input.to_user_id),
                json!({ "id": id, "owner_id": input.to_user_id }),
            )
            .await?;
            result.contacts += 1;
        }
    }
    tx.commit().await?;
    Ok(result)
}
