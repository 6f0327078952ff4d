//! Query resolvers.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::{Code, Error};
use crm_identity::{ApiKey, Me, User, ops};
use uuid::Uuid;

/// The authenticated caller's operation context, or an `unauthenticated` error.
pub(crate) fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a crm_core::Ctx> {
    ctx.data_opt::<crm_core::Ctx>().ok_or_else(|| {
        gql(Error::unauthenticated(
            "Send `Authorization: Bearer <access token or API key>`",
        ))
    })
}

/// Parses an `ID` argument; an id that is not a UUID names no record.
pub(crate) fn parse_id(id: &ID) -> Option<Uuid> {
    Uuid::parse_str(id.as_str()).ok()
}

/// Turns "not found" into `null`, as single reads answer for absent or foreign records.
fn optional<T>(result: Result<T, crm_identity::IdentityError>) -> async_graphql::Result<Option<T>> {
    match result.map_err(Error::from) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == Code::NotFound => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The caller: user, organization and role.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        ops::me(caller(ctx)?).await.gql()
    }

    /// The users of the caller's organization, oldest first (`first` at most 100).
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, User>> {
        let has_previous = after.is_some();
        let page = ops::list_users(caller(ctx)?, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One user of the caller's organization; `null` when there is none with this id.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let caller = caller(ctx)?;
        match parse_id(&id) {
            Some(id) => optional(ops::get_user(caller, id).await),
            None => Ok(None),
        }
    }

    /// The organization's API keys (admins only), oldest first.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ApiKey>> {
        let has_previous = after.is_some();
        let page = ops::list_api_keys(caller(ctx)?, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }
}
