//! Mutation resolvers.

use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use crate::state::AppState;
use async_graphql::{Context, ID, Object};
use crm_core::Error;
use crm_identity::{
    ApiKey, ChangePasswordInput, CreatedApiKey, LoginInput, LogoutInput, NewApiKey, NewUser,
    RefreshInput, SignupInput, SignupResult, TokenPair, User, UserPatch, ops,
};
use uuid::Uuid;

fn state<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>()
        .map_err(|_| gql(Error::internal("application state missing")))
}

/// The client's address of this request (set by the HTTP handler).
fn client_ip(ctx: &Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<super::http::ClientIp>().and_then(|c| c.0)
}

fn id_or_not_found(id: &ID, what: &str) -> async_graphql::Result<Uuid> {
    parse_id(id).ok_or_else(|| gql(Error::not_found(what)))
}

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates an organization with this user as its admin, and signs them in.
    async fn signup(
        &self,
        ctx: &Context<'_>,
        input: SignupInput,
    ) -> async_graphql::Result<SignupResult> {
        let s = state(ctx)?;
        ops::signup(&s.db, &s.auth, input, client_ip(ctx))
            .await
            .gql()
    }

    /// Signs in with email and password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<TokenPair> {
        let s = state(ctx)?;
        ops::login(&s.db, &s.auth, input, client_ip(ctx))
            .await
            .gql()
    }

    /// Exchanges a refresh token for a new pair (each refresh token works once).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshInput,
    ) -> async_graphql::Result<TokenPair> {
        let s = state(ctx)?;
        ops::refresh(&s.db, &s.auth, input).await.gql()
    }

    /// Ends the session of a refresh token (or every session of its user); always `true`.
    async fn logout(&self, ctx: &Context<'_>, input: LogoutInput) -> async_graphql::Result<bool> {
        let s = state(ctx)?;
        ops::logout(&s.db, input).await.gql()?;
        Ok(true)
    }

    /// Changes the caller's own password; every session of the caller ends at once, this one too.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<User> {
        ops::change_password(caller(ctx)?, input).await.gql()
    }

    /// Adds a user to the organization (admins only).
    async fn create_user(&self, ctx: &Context<'_>, input: NewUser) -> async_graphql::Result<User> {
        ops::create_user(caller(ctx)?, input).await.gql()
    }

    /// Changes a user's name, role or active flag (admins only).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UserPatch,
    ) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        ops::update_user(caller, id_or_not_found(&id, "User")?, input)
            .await
            .gql()
    }

    /// Deactivates a user (admins only): their tokens stop working at once.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        let patch = UserPatch {
            active: Some(false),
            ..Default::default()
        };
        ops::update_user(caller, id_or_not_found(&id, "User")?, patch)
            .await
            .gql()
    }

    /// Creates an API key (admins only); the full key is in this answer only.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: NewApiKey,
    ) -> async_graphql::Result<CreatedApiKey> {
        ops::create_api_key(caller(ctx)?, input).await.gql()
    }

    /// Revokes an API key (admins only).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiKey> {
        let caller = caller(ctx)?;
        ops::revoke_api_key(caller, id_or_not_found(&id, "API key")?)
            .await
            .gql()
    }
}
