//! Turning a bearer credential into the acting principal.

use super::convert;
use crate::error::{IdentityError, Result};
use crate::jwt::Auth;
use crate::model::{api_key, user};
use crate::principal_cache::CachedUser;
use crate::secret;
use chrono::{Duration, Utc};
use crm_core::{Actor, ApiKeyScope, PrincipalKind};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// How stale `last_used_at` of an API key may get before a request refreshes it.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// Authenticates `Authorization: Bearer <credential>`: an API key (`crm_<prefix>_<secret>`) or an
/// access token. A deactivation or a role change takes effect at once: the user of an access
/// token is read on every request, or, on PostgreSQL, kept by [`crate::principal_cache`], which every
/// such change invalidates.
pub async fn authenticate(db: &DatabaseConnection, auth: &Auth, credential: &str) -> Result<Actor> {
    if let Some(rest) = credential.strip_prefix("crm_") {
        return authenticate_key(db, rest).await;
    }
    let claims = auth.verify_access(credential)?;
    let cache = &auth.principals;
    let user = match cache.get(db, claims.sub) {
        Some(user) if user.org_id == claims.org => user,
        _ => {
            let generation = cache.generation();
            let row = user::Entity::find_by_id(claims.sub)
                .filter(user::Column::OrgId.eq(claims.org))
                .one(db)
                .await?
                .ok_or(IdentityError::InvalidToken(
                    "the access token's user does not exist",
                ))?;
            let user = CachedUser {
                org_id: row.org_id,
                active: row.active,
                role: convert::role(&row.role),
            };
            cache.remember(db, row.id, user, generation);
            user
        }
    };
    if !user.active {
        return Err(IdentityError::Deactivated);
    }
    Ok(Actor {
        org_id: user.org_id,
        user_id: claims.sub,
        api_key_id: None,
        kind: PrincipalKind::User,
        role: user.role,
    })
}

async fn authenticate_key(db: &DatabaseConnection, rest: &str) -> Result<Actor> {
    const INVALID: IdentityError = IdentityError::InvalidToken("the API key is not valid");
    let (prefix, secret_part) = rest.split_once('_').ok_or(INVALID)?;
    let key = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await?
        .ok_or(INVALID)?;
    if !secret::constant_time_eq(&secret::sha256_hex(secret_part), &key.secret_hash) {
        return Err(INVALID);
    }
    if key.revoked_at.is_some() {
        return Err(IdentityError::InvalidToken("the API key has been revoked"));
    }
    let now = Utc::now();
    let stale = key
        .last_used_at
        .is_none_or(|t| now - t > Duration::seconds(LAST_USED_RESOLUTION_SECS));
    if stale {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Actor {
        org_id: key.org_id,
        user_id: key.created_by,
        api_key_id: Some(key.id),
        kind: PrincipalKind::ApiKey(ApiKeyScope::parse(&key.scope).unwrap_or(ApiKeyScope::Read)),
        role: convert::role(&key.role),
    })
}
