//! The read models and inputs of identity, shared by REST (OpenAPI) and GraphQL.

use chrono::{DateTime, Utc};
use crm_core::{ApiKeyScope, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

/// An organization: the tenant every record belongs to.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Organization {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(example = "Acme"))]
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A user of an organization.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct User {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// The organization the user belongs to.
    pub org_id: Uuid,
    /// Login email, lowercase; unique across the server.
    #[cfg_attr(feature = "openapi", schema(example = "ann@acme.test"))]
    pub email: String,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(example = "Ann Example"))]
    pub name: String,
    /// Role within the organization.
    pub role: Role,
    /// Whether the user may sign in; deactivated users' tokens stop working at once.
    pub active: bool,
    /// Whether the user signs in with a generated one-time password and should set their own.
    pub must_change_password: bool,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// When the user was last changed.
    pub updated_at: DateTime<Utc>,
    /// When the user last signed in with a password.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// How the caller of a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum AuthMethod {
    /// A user's access token.
    AccessToken,
    /// An integration's API key.
    ApiKey,
}

/// The caller: user, organization and the role it acts with.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Me {
    /// The user (for an API key: the user who created it).
    pub user: User,
    /// The caller's organization.
    pub organization: Organization,
    /// The role the caller acts with (for an API key: the key's role).
    pub role: Role,
    /// How the caller authenticated.
    pub auth_method: AuthMethod,
    /// For an API key: its scope.
    pub api_key_scope: Option<ApiKeyScope>,
}

/// A new access token and refresh token.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TokenPair {
    /// JWT to send as `Authorization: Bearer <access_token>`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYTViMiJ9.c2lnbmF0dXJl"
        )
    )]
    pub access_token: String,
    /// Opaque token for `POST /auth/refresh`; it works once.
    #[cfg_attr(feature = "openapi", schema(example = "rt_2k9x7w4q8m1n5v3b6c0z"))]
    pub refresh_token: String,
    /// Always `Bearer`.
    #[cfg_attr(feature = "openapi", schema(example = "Bearer"))]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub expires_in: i64,
}

/// The result of a signup: the new organization, its admin, and a session.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SignupResult {
    /// The new organization.
    pub organization: Organization,
    /// Its first user, an admin.
    pub user: User,
    /// A session for that user.
    pub tokens: TokenPair,
}

/// Sign up: a new organization with its first admin.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SignupInput {
    /// Name of the new organization.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "Acme")
    )]
    pub org_name: String,
    /// Display name of the admin.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "Ann Example")
    )]
    pub name: String,
    /// Login email of the admin.
    #[validate(email, length(max = 320))]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 320, format = "email", example = "ann@acme.test")
    )]
    pub email: String,
    /// Password: 10 to 128 characters.
    #[validate(length(min = 10, max = 128))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 10, max_length = 128, example = "correct horse battery")
    )]
    pub password: String,
}

/// Sign in with email and password.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LoginInput {
    /// Login email.
    #[validate(length(min = 1, max = 320))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 320, example = "ann@acme.test")
    )]
    pub email: String,
    /// Password.
    #[validate(length(min = 1, max = 128))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, example = "correct horse battery")
    )]
    pub password: String,
}

/// A refresh token to exchange or revoke.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct RefreshInput {
    /// The refresh token of the last token pair.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "rt_2k9x7w4q8m1n5v3b6c0z")
    )]
    pub refresh_token: String,
}

/// Sign out: revoke the session of a refresh token, or every session of its user.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LogoutInput {
    /// The refresh token of the session to end.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "rt_2k9x7w4q8m1n5v3b6c0z")
    )]
    pub refresh_token: String,
    /// End every session of the token's user, not only this one.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub all_sessions: bool,
}

/// Change the caller's own password.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ChangePasswordInput {
    /// The current password.
    #[validate(length(min = 1, max = 128))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, example = "correct horse battery")
    )]
    pub current_password: String,
    /// The new password: 10 to 128 characters.
    #[validate(length(min = 10, max = 128))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 128,
            example = "staple battery horse correct"
        )
    )]
    pub new_password: String,
}

/// A user an admin adds to the organization.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewUser {
    /// Login email; unique across the server.
    #[validate(email, length(max = 320))]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 320, format = "email", example = "bob@acme.test")
    )]
    pub email: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "Bob Example")
    )]
    pub name: String,
    /// Role within the organization.
    pub role: Role,
    /// Initial password: 10 to 128 characters.
    #[validate(length(min = 10, max = 128))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 10, max_length = 128, example = "a long first password")
    )]
    pub password: String,
}

/// Changes to a user (JSON Merge Patch: absent fields stay as they are).
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UserPatch {
    /// New display name.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "Bob Example-Smith")
    )]
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// `false` deactivates the user (its sessions end at once); `true` reactivates.
    pub active: Option<bool>,
}

/// An API key, as listed (the secret is never shown again after creation).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ApiKey {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// What the key is for.
    #[cfg_attr(feature = "openapi", schema(example = "ERP sync"))]
    pub name: String,
    /// The public part of the key: `crm_<prefix>_...`.
    #[cfg_attr(feature = "openapi", schema(example = "k3j9x2m4q8w1"))]
    pub prefix: String,
    /// Read only, or read and write.
    pub scope: ApiKeyScope,
    /// The role the key acts with.
    pub role: Role,
    /// The user who created it.
    pub created_by: Uuid,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked key no longer authenticates.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new API key.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewApiKey {
    /// What the key is for.
    #[validate(length(min = 1, max = 200))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "ERP sync")
    )]
    pub name: String,
    /// Read only, or read and write.
    pub scope: ApiKeyScope,
    /// The role the key acts with (default `agent`; at most the creator's own role).
    pub role: Option<Role>,
}

/// A just-created API key, with its secret: the only time the full key is shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CreatedApiKey {
    /// The key as stored.
    pub api_key: ApiKey,
    /// The full key, `crm_<prefix>_<secret>`: store it now, it cannot be shown again.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "crm_k3j9x2m4q8w1_7f2c9a4e1b8d3f6a0c5e2b9d4f7a1c8e3b6d0f2a")
    )]
    pub key: String,
}
