//! The caller, and the users of an organization.

use super::convert::{self, normalize_email};
use super::sessions::{email_conflict, insert_user, revoke_user_sessions};
use crate::dto::{AuthMethod, ChangePasswordInput, Me, NewUser, User, UserPatch};
use crate::error::{IdentityError, Result};
use crate::model::{organization, user};
use crate::password;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::validation::validate;
use crm_core::{Action, Ctx, Error, Page, PageRequest, PrincipalKind, Role, cursor};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// The caller: user, organization and role.
pub async fn me(ctx: &Ctx) -> Result<Me> {
    ctx.require(Action::Read)?;
    let user = find_user(&ctx.db, ctx.org_id(), ctx.actor.user_id).await?;
    let org = organization::Entity::find_by_id(ctx.org_id())
        .one(&ctx.db)
        .await?
        .ok_or_else(|| Error::not_found("Organization"))?;
    let (auth_method, api_key_scope) = match ctx.actor.kind {
        PrincipalKind::User => (AuthMethod::AccessToken, None),
        PrincipalKind::ApiKey(scope) => (AuthMethod::ApiKey, Some(scope)),
    };
    Ok(Me {
        user: convert::user(user),
        organization: convert::org(org),
        role: ctx.actor.role,
        auth_method,
        api_key_scope,
    })
}

/// The users of the caller's organization, oldest first.
pub async fn list_users(ctx: &Ctx, page: &PageRequest) -> Result<Page<User>> {
    ctx.require(Action::Read)?;
    let limit = page.limit()?;
    let mut query = user::Entity::find()
        .filter(user::Column::OrgId.eq(ctx.org_id()))
        .order_by_asc(user::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let after: Uuid = cursor::decode(c)?;
        query = query.filter(user::Column::Id.gt(after));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |u| cursor::encode(&u.id)).map(convert::user))
}

/// One user of the caller's organization.
pub async fn get_user(ctx: &Ctx, id: Uuid) -> Result<User> {
    ctx.require(Action::Read)?;
    Ok(convert::user(find_user(&ctx.db, ctx.org_id(), id).await?))
}

/// Users of the caller's organization by id (for GraphQL loaders).
pub async fn users_by_ids(
    ctx: &Ctx,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, User>> {
    ctx.require(Action::Read)?;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&ctx.db);
    let rows = user::Entity::find()
        .filter(crm_core::id_set::id_in(backend, "id", ids))
        .all(&ctx.reads)
        .await?;
    // Looked up by primary key alone; the organization is checked on each row.
    Ok(rows
        .into_iter()
        .filter(|u| u.org_id == ctx.org_id())
        .map(|u| (u.id, convert::user(u)))
        .collect())
}

/// Adds a user to the caller's organization (admins only).
pub async fn create_user(ctx: &Ctx, input: NewUser) -> Result<User> {
    ctx.require(Action::ManageUsers)?;
    validate(&input)?;
    let email = normalize_email(&input.email);
    let hash = password::hash(input.password).await?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&tx)
        .await?
        .is_some()
    {
        return Err(IdentityError::EmailTaken);
    }
    let created = insert_user(
        &tx,
        ctx.org_id(),
        &email,
        input.name.trim(),
        hash,
        input.role,
        false,
        now,
    )
    .await
    .map_err(email_conflict)?;
    tx.commit().await?;
    Ok(convert::user(created))
}

/// Changes a user's name, role or active flag (admins only). Deactivating ends the user's
/// sessions at once; the organization always keeps one active admin.
pub async fn update_user(ctx: &Ctx, id: Uuid, patch: UserPatch) -> Result<User> {
    ctx.require(Action::ManageUsers)?;
    validate(&patch)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let current = find_user(&tx, ctx.org_id(), id).await?;
    let was_active_admin = current.active && current.role == Role::Admin.as_str();
    let stays_active_admin = patch.active.unwrap_or(current.active)
        && patch
            .role
            .map(|r| r == Role::Admin)
            .unwrap_or(current.role == Role::Admin.as_str());
    if was_active_admin && !stays_active_admin && active_admins(&tx, ctx.org_id()).await? <= 1 {
        return Err(IdentityError::LastAdmin);
    }
    let deactivating = current.active && patch.active == Some(false);
    let mut row = current.into_active_model();
    if let Some(name) = patch.name {
        row.name = Set(name.trim().to_owned());
    }
    if let Some(role) = patch.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(active) = patch.active {
        row.active = Set(active);
        row.deactivated_at = Set(if active { None } else { Some(now) });
    }
    row.updated_at = Set(now);
    let updated = row.update(&tx).await?;
    if deactivating {
        revoke_user_sessions(&tx, id, now).await?;
    }
    tx.commit().await?;
    crate::principal_cache::forget(id);
    Ok(convert::user(updated))
}

/// Changes the caller's own password and ends every session of the user at once, this one
/// included: their refresh and access tokens stop working, and the user signs in again.
pub async fn change_password(ctx: &Ctx, input: ChangePasswordInput) -> Result<User> {
    if ctx.actor.kind != PrincipalKind::User {
        return Err(Error::forbidden("An API key cannot change a password").into());
    }
    validate(&input)?;
    let current = find_user(&ctx.db, ctx.org_id(), ctx.actor.user_id).await?;
    if !password::verify(input.current_password, Some(current.password_hash.clone())).await? {
        return Err(IdentityError::WrongPassword);
    }
    let hash = password::hash(input.new_password).await?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let mut row = current.into_active_model();
    row.password_hash = Set(hash);
    row.must_change_password = Set(false);
    row.updated_at = Set(now);
    let updated = row.update(&tx).await?;
    revoke_user_sessions(&tx, updated.id, now).await?;
    tx.commit().await?;
    crate::principal_cache::forget(updated.id);
    Ok(convert::user(updated))
}

async fn find_user(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("User").into())
}

async fn active_admins(db: &impl ConnectionTrait, org_id: Uuid) -> Result<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await?)
}
