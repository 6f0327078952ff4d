//! API keys for integrations: created by admins, shown once, stored hashed, revocable.

use super::convert;
use crate::dto::{ApiKey, CreatedApiKey, NewApiKey};
use crate::error::{IdentityError, Result};
use crate::model::api_key;
use crate::secret;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::validation::validate;
use crm_core::{Action, Ctx, Error, Page, PageRequest, Role, cursor, new_id};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

/// Creates an API key; the response holds the full key, which is never shown again.
pub async fn create_api_key(ctx: &Ctx, input: NewApiKey) -> Result<CreatedApiKey> {
    ctx.require(Action::ManageKeys)?;
    validate(&input)?;
    let role = input.role.unwrap_or(Role::Agent);
    if role.rank() > ctx.actor.role.rank() {
        return Err(IdentityError::RoleAboveOwn);
    }
    let prefix = secret::random_lower(12);
    let secret_part = secret::random_token(40);
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let row = api_key::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        created_by: Set(ctx.actor.user_id),
        name: Set(input.name.trim().to_owned()),
        prefix: Set(prefix.clone()),
        secret_hash: Set(secret::sha256_hex(&secret_part)),
        scope: Set(input.scope.as_str().to_owned()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        api_key: convert::api_key(row),
        key: format!("crm_{prefix}_{secret_part}"),
    })
}

/// The API keys of the caller's organization, revoked ones included, oldest first.
pub async fn list_api_keys(ctx: &Ctx, page: &PageRequest) -> Result<Page<ApiKey>> {
    ctx.require(Action::ManageKeys)?;
    let limit = page.limit()?;
    let mut query = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(ctx.org_id()))
        .order_by_asc(api_key::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let after: Uuid = cursor::decode(c)?;
        query = query.filter(api_key::Column::Id.gt(after));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |k| cursor::encode(&k.id)).map(convert::api_key))
}

/// One API key of the caller's organization (never its secret).
pub async fn get_api_key(ctx: &Ctx, id: Uuid) -> Result<ApiKey> {
    ctx.require(Action::ManageKeys)?;
    api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrgId.eq(ctx.org_id()))
        .one(&ctx.db)
        .await?
        .map(convert::api_key)
        .ok_or_else(|| Error::not_found("API key").into())
}

/// Revokes an API key; it stops authenticating at once (this server forgets it right after the
/// commit, the others when the database notifies them). Revoking twice is harmless.
pub async fn revoke_api_key(ctx: &Ctx, id: Uuid) -> Result<ApiKey> {
    ctx.require(Action::ManageKeys)?;
    let tx = begin_write(&ctx.db).await?;
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrgId.eq(ctx.org_id()))
        .one(&tx)
        .await?
        .ok_or_else(|| Error::not_found("API key"))?;
    let key = if key.revoked_at.is_none() {
        let mut row = key.into_active_model();
        row.revoked_at = Set(Some(Utc::now()));
        row.update(&tx).await?
    } else {
        key
    };
    tx.commit().await?;
    crate::principal_cache::forget(key.id);
    Ok(convert::api_key(key))
}
