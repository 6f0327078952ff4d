//! Sign-up, login, refresh-token rotation and logout.

use super::convert::{self, normalize_email};
use crate::dto::{LoginInput, LogoutInput, RefreshInput, SignupInput, SignupResult, TokenPair};
use crate::error::{IdentityError, Result};
use crate::jwt::Auth;
use crate::model::{organization, refresh_token, session, user};
use crate::{password, secret};
use chrono::{DateTime, Duration, Utc};
use crm_core::db::begin_write;
use crm_core::validation::validate;
use crm_core::{Role, new_id, rate_limit};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::net::IpAddr;
use uuid::Uuid;

/// Creates an organization and its first admin, and signs the admin in.
///
/// Sign-ups are limited per client address (`client` is its rate-limit bucket, see
/// [`client_bucket`]), shared by every replica through the database.
pub async fn signup(
    db: &DatabaseConnection,
    auth: &Auth,
    input: SignupInput,
    client: Option<IpAddr>,
) -> Result<SignupResult> {
    if !auth.settings.signup_enabled {
        return Err(IdentityError::SignupDisabled);
    }
    validate(&input)?;
    let now = Utc::now();
    if let Some(ip) = client {
        rate_limit::hit(
            db,
            &format!("signup-ip:{}", client_bucket(ip)),
            auth.settings.signups_per_ip_per_hour,
            3600,
            now,
        )
        .await?;
    }
    let email = normalize_email(&input.email);
    let password_hash = password::hash(input.password).await?;

    let tx = begin_write(db).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&tx)
        .await?
        .is_some()
    {
        return Err(IdentityError::EmailTaken);
    }
    let org = organization::ActiveModel {
        id: Set(new_id()),
        name: Set(input.org_name.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let admin = insert_user(
        &tx,
        org.id,
        &email,
        input.name.trim(),
        password_hash,
        Role::Admin,
        false,
        now,
    )
    .await
    .map_err(email_conflict)?;
    let tokens = start_session(&tx, auth, &admin, now).await?;
    tx.commit().await?;
    Ok(SignupResult {
        organization: convert::org(org),
        user: convert::user(admin),
        tokens,
    })
}

/// Signs a user in with email and password.
///
/// Unknown email, wrong password and deactivated user answer alike, and cost the same (a dummy
/// hash for unknown emails). Attempts are rate limited per client address and per email before
/// any hashing (shared by every replica through the database), and hashing runs on a bounded
/// pool (see [`crate::password`]).
pub async fn login(
    db: &DatabaseConnection,
    auth: &Auth,
    input: LoginInput,
    client: Option<IpAddr>,
) -> Result<TokenPair> {
    validate(&input)?;
    let email = normalize_email(&input.email);
    let now = Utc::now();
    if let Some(ip) = client {
        rate_limit::hit(
            db,
            &format!("login-ip:{}", client_bucket(ip)),
            auth.settings.login_attempts_per_ip_per_minute,
            60,
            now,
        )
        .await?;
    }
    rate_limit::hit(
        db,
        &format!("login:{email}"),
        auth.settings.login_attempts_per_minute,
        60,
        now,
    )
    .await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    let ok = password::verify(input.password, hash).await?;
    let user = match found {
        Some(u) if ok && u.active => u,
        _ => return Err(IdentityError::InvalidCredentials),
    };
    let tx = begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .exec(&tx)
        .await?;
    let pair = start_session(&tx, auth, &user, now).await?;
    tx.commit().await?;
    Ok(pair)
}

/// The rate-limit bucket of a client address: the address itself for IPv4, its /64 network for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn client_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Exchanges a refresh token for a new pair. A refresh token works once: presenting a used one
/// again is taken as theft, and ends every session of that login (the token family).
pub async fn refresh(
    db: &DatabaseConnection,
    auth: &Auth,
    input: RefreshInput,
) -> Result<TokenPair> {
    validate(&input)?;
    let hash = secret::sha256_hex(&input.refresh_token);
    let now = Utc::now();
    let tx = begin_write(db).await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(&hash))
        .one(&tx)
        .await?
    else {
        return Err(IdentityError::InvalidToken(
            "the refresh token is not valid",
        ));
    };
    if token.revoked_at.is_some() {
        return Err(IdentityError::InvalidToken(
            "the refresh token has been revoked",
        ));
    }
    // Claim the token atomically: of two concurrent uses, exactly one succeeds.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(&tx, token.family_id, now).await?;
        tx.commit().await?;
        crate::principal_cache::forget(token.family_id);
        return Err(IdentityError::InvalidToken(
            "the refresh token was already used; the session has been ended",
        ));
    }
    if token.expires_at <= now {
        return Err(IdentityError::InvalidToken("the refresh token has expired"));
    }
    let live = session::Entity::find_by_id(token.family_id)
        .filter(session::Column::RevokedAt.is_null())
        .one(&tx)
        .await?;
    if live.is_none() {
        return Err(IdentityError::InvalidToken(
            "the refresh token's session has ended",
        ));
    }
    let user = user::Entity::find_by_id(token.user_id)
        .filter(user::Column::OrgId.eq(token.org_id))
        .one(&tx)
        .await?
        .filter(|u| u.active)
        .ok_or(IdentityError::Deactivated)?;
    let pair = issue_pair(&tx, auth, &user, token.family_id, now).await?;
    tx.commit().await?;
    Ok(pair)
}

/// Ends the session of a refresh token (or every session of its user). Unknown tokens are
/// accepted silently, so that logging out is idempotent.
pub async fn logout(db: &DatabaseConnection, input: LogoutInput) -> Result<()> {
    validate(&input)?;
    let hash = secret::sha256_hex(&input.refresh_token);
    let now = Utc::now();
    let tx = begin_write(db).await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(&hash))
        .one(&tx)
        .await?;
    if let Some(token) = &token {
        if input.all_sessions {
            revoke_user_sessions(&tx, token.user_id, now).await?;
        } else {
            revoke_family(&tx, token.family_id, now).await?;
        }
    }
    tx.commit().await?;
    if let Some(token) = token {
        crate::principal_cache::forget(token.family_id);
        if input.all_sessions {
            crate::principal_cache::forget(token.user_id);
        }
    }
    Ok(())
}

/// Inserts a user row.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_user(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    email: &str,
    name: &str,
    password_hash: String,
    role: Role,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<user::Model, sea_orm::DbErr> {
    user::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id),
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        active: Set(true),
        must_change_password: Set(must_change_password),
        created_at: Set(now),
        updated_at: Set(now),
        deactivated_at: Set(None),
        last_login_at: Set(None),
    }
    .insert(db)
    .await
}

/// A unique violation on insert of a user means the email is taken (a concurrent signup won).
pub(crate) fn email_conflict(err: sea_orm::DbErr) -> IdentityError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => IdentityError::EmailTaken,
        _ => IdentityError::Db(err),
    }
}

/// Ends every session of a user (deactivation, password change, logout everywhere): their
/// refresh tokens stop working and so do their access tokens. Call
/// [`crate::principal_cache::forget`] with the user's id after the commit.
pub(crate) async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends one session: its refresh tokens and its access tokens stop working.
async fn revoke_family(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(family_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Opens a session for `user` and issues its first token pair.
async fn start_session(
    db: &impl ConnectionTrait,
    auth: &Auth,
    user: &user::Model,
    now: DateTime<Utc>,
) -> Result<TokenPair> {
    let id = new_id();
    session::ActiveModel {
        id: Set(id),
        org_id: Set(user.org_id),
        user_id: Set(user.id),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    issue_pair(db, auth, user, id, now).await
}

async fn issue_pair(
    db: &impl ConnectionTrait,
    auth: &Auth,
    user: &user::Model,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<TokenPair> {
    let refresh = secret::random_token(48);
    refresh_token::ActiveModel {
        id: Set(new_id()),
        org_id: Set(user.org_id),
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(secret::sha256_hex(&refresh)),
        expires_at: Set(now + Duration::seconds(auth.settings.refresh_ttl_secs)),
        created_at: Set(now),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(TokenPair {
        access_token: auth.issue_access(user.id, user.org_id, family_id, now)?,
        refresh_token: refresh,
        token_type: "Bearer".to_owned(),
        expires_in: auth.settings.access_ttl_secs,
    })
}
