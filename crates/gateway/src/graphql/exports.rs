//! Export file resolvers (the same operations as `/api/v1/exports`): ask for an export file,
//! follow it, and download it from its `downloadUrl` over REST.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::{Code, Error};
use crm_integration::exports;
use crm_integration::{ExportFile, NewExport};

/// Export queries.
#[derive(Default)]
pub struct ExportsQuery;

#[Object]
impl ExportsQuery {
    /// The caller's export files, newest first (admins: every one of the organization).
    async fn export_files(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ExportFile>> {
        let has_previous = after.is_some();
        let page = exports::list_exports(caller(ctx)?, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One export file; `null` when the caller sees none with this id.
    async fn export_file(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ExportFile>> {
        let caller = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        match exports::get_export(caller, id).await.map_err(Error::from) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(gql(e)),
        }
    }
}

/// Export mutations.
#[derive(Default)]
pub struct ExportsMutation;

#[Object]
impl ExportsMutation {
    /// Asks for an export file of a resource with the list's parameters; a worker writes it.
    /// Follow it with `exportFile(id)` and download its `downloadUrl` once `SUCCEEDED`.
    async fn start_export(
        &self,
        ctx: &Context<'_>,
        input: NewExport,
    ) -> async_graphql::Result<ExportFile> {
        let caller = caller(ctx)?;
        if crate::exports::exportable(&input.resource) {
            crate::exports::check(caller, &input).await.map_err(gql)?;
        }
        exports::create_export(caller, input, crate::exports::exportable)
            .await
            .gql()
    }
}
