//! Import resolvers (the same operations as `/api/v1/imports`): follow imports and cancel
//! them. The upload itself is REST's `POST /api/v1/imports` (`multipart/form-data`, streamed
//! to disk), and the failed rows are downloaded from `failuresUrl`.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::{Code, Error};
use crm_integration::ImportJob;
use crm_integration::imports;

/// Import queries.
#[derive(Default)]
pub struct ImportsQuery;

#[Object]
impl ImportsQuery {
    /// The caller's imports, newest first (admins: every one of the organization).
    async fn imports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ImportJob>> {
        let has_previous = after.is_some();
        let page = imports::list_imports(caller(ctx)?, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One import with its counters, percent and ETA; `null` when the caller sees none with
    /// this id.
    async fn import(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<ImportJob>> {
        let caller = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        match imports::get_import(caller, id).await.map_err(Error::from) {
            Ok(job) => Ok(Some(job)),
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(gql(e)),
        }
    }
}

/// Import mutations.
#[derive(Default)]
pub struct ImportsMutation;

#[Object]
impl ImportsMutation {
    /// Cancels an import: a queued one ends at once, a running one after its current chunk;
    /// the committed rows stay (`rowsDone`). An ended import is a `CONFLICT` error.
    async fn cancel_import(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ImportJob> {
        let caller = caller(ctx)?;
        let id = parse_id(&id).ok_or_else(|| gql(Error::not_found("Import")))?;
        imports::cancel_import(caller, id).await.gql()
    }
}
