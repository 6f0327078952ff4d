//! Turning a bearer credential into the acting principal.

use super::convert;
use crate::error::{IdentityError, Result};
use crate::jwt::Auth;
use crate::model::api_key;
use crate::principal_cache::{CachedKey, CachedUser};
use crate::secret;
use chrono::{DateTime, Utc};
use crm_core::{Actor, ApiKeyScope, PrincipalKind};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement,
};
use std::sync::Arc;
use uuid::Uuid;

/// A prefix no key has, or a secret that is not the key's.
const INVALID_KEY: IdentityError = IdentityError::InvalidToken("the API key is not valid");

/// Authenticates `Authorization: Bearer <credential>`: an API key (`crm_<prefix>_<secret>`) or an
/// access token. A deactivation, a role change, the end of the token's session or the
/// revocation of a key takes effect at once: the user and session of an access token, and the
/// key, are read on every request (one statement), or, on PostgreSQL, kept by
/// [`crate::principal_cache`], which every such change invalidates.
pub async fn authenticate(db: &DatabaseConnection, auth: &Auth, credential: &str) -> Result<Actor> {
    if let Some(rest) = credential.strip_prefix("crm_") {
        return authenticate_key(db, auth, rest).await;
    }
    let claims = auth.verify_access(credential)?;
    let cache = &auth.principals;
    let user = match cache.get(db, claims.sub, claims.sid) {
        Some(user) if user.org_id == claims.org => user,
        _ => {
            let generation = cache.generation();
            let user = read_principal(db, claims.sub, claims.org, claims.sid).await?;
            cache.remember(db, claims.sub, claims.sid, user, generation);
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
        session_id: Some(claims.sid),
        kind: PrincipalKind::User,
        role: user.role,
    })
}

/// The user of a token with its session, in one statement; a missing user or an ended session
/// is a 401.
async fn read_principal(
    db: &DatabaseConnection,
    user_id: Uuid,
    org_id: Uuid,
    session_id: Uuid,
) -> Result<CachedUser> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT u.org_id, u.active, u.role, s.revoked_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2 AND u.org_id = $3"
        }
        _ => {
            "SELECT u.org_id, u.active, u.role, s.revoked_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.user_id = ? AND u.org_id = ?"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [session_id.into(), user_id.into(), org_id.into()],
        ))
        .await?
        .ok_or(IdentityError::InvalidToken(
            "the access token's session or user does not exist",
        ))?;
    let revoked: Option<DateTime<Utc>> = row.try_get_by_index(3)?;
    if revoked.is_some() {
        return Err(IdentityError::InvalidToken(
            "the session has ended; sign in again",
        ));
    }
    let role: String = row.try_get_by_index(2)?;
    Ok(CachedUser {
        org_id: row.try_get_by_index(0)?,
        active: row.try_get_by_index(1)?,
        role: convert::role(&role),
    })
}

/// Authenticates `crm_<prefix>_<secret>`: the key is found by its prefix (in memory on
/// PostgreSQL once seen, see [`crate::principal_cache`]; else read through its unique index) and
/// the presented secret's SHA-256 compared with the stored one in constant time, every time. The
/// use is only noted in memory; [`crate::key_usage`] writes `last_used_at` in the background.
/// A key keeps working when its creator is deactivated or changes role: keys belong to the
/// organization and act with their own role.
async fn authenticate_key(db: &DatabaseConnection, auth: &Auth, rest: &str) -> Result<Actor> {
    let (prefix, secret_part) = rest.split_once('_').ok_or(INVALID_KEY)?;
    let presented = secret::sha256_hex(secret_part);
    let cache = &auth.principals;
    let key = match cache.key(db, prefix) {
        Some(key) => key,
        None => {
            let generation = cache.generation();
            let key = read_key(db, prefix, &presented).await?;
            cache.remember_key(db, prefix, key.clone(), generation);
            Arc::new(key)
        }
    };
    if !secret::constant_time_eq(&presented, &key.secret_hash) {
        return Err(INVALID_KEY);
    }
    auth.key_usage.record(key.id, Utc::now());
    Ok(Actor {
        org_id: key.org_id,
        user_id: key.created_by,
        api_key_id: Some(key.id),
        session_id: None,
        kind: PrincipalKind::ApiKey(key.scope),
        role: key.role,
    })
}

/// The active key with `prefix` whose secret hashes to `presented`; an unknown prefix or a
/// wrong secret is [`INVALID_KEY`], a revoked key a 401 that says so.
async fn read_key(db: &DatabaseConnection, prefix: &str, presented: &str) -> Result<CachedKey> {
    let key = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await?
        .ok_or(INVALID_KEY)?;
    if !secret::constant_time_eq(presented, &key.secret_hash) {
        return Err(INVALID_KEY);
    }
    if key.revoked_at.is_some() {
        return Err(IdentityError::InvalidToken("the API key has been revoked"));
    }
    Ok(CachedKey {
        id: key.id,
        org_id: key.org_id,
        created_by: key.created_by,
        role: convert::role(&key.role),
        scope: ApiKeyScope::parse(&key.scope).unwrap_or(ApiKeyScope::Read),
        secret_hash: key.secret_hash,
    })
}
