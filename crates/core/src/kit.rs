//! The resource kit: a resource's standard operations (list, get, create, update, delete,
//! restore, history, deleted list), implemented once by its domain crate over its domain
//! operations. The gateway serves every implementation the same way, over REST (routes,
//! ETags, `Location`, `If-Match`, the OpenAPI operations) from these traits alone, so a new
//! resource costs its declaration, its rules and its tests, not gateway code.
//!
//! Each trait is one capability; a resource implements those it has (documents have no
//! update, activities no deleted list).

use crate::audit::HistoryEntry;
use crate::list::{ListParams, Resource};
use crate::{Ctx, Page, PageRequest, Result};
use std::future::Future;
use uuid::Uuid;

/// A record the kit serves: its id (for `Location`) and version (its `ETag`).
pub trait Versioned {
    /// The record's id.
    fn id(&self) -> Uuid;
    /// The record's version, bumped by every change.
    fn version(&self) -> i64;
    /// Its `ETag`: `"<version>"`, or `"<version>.<stamp>"` for a record that also shows data
    /// computed apart from its changes (contacts' `analytics`), so that a cached copy is not
    /// taken as current once that data changes. `If-Match` compares the version only.
    fn etag(&self) -> String {
        format!("\"{}\"", self.version())
    }
}

/// Implements [`Versioned`] for read models with `id: Uuid` and `version: i64` fields.
#[macro_export]
macro_rules! versioned {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::kit::Versioned for $t {
            fn id(&self) -> uuid::Uuid {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    )+};
}

/// A resource with a list and single reads: the base of the kit.
pub trait Records: Send + Sync + 'static {
    /// Its field declaration (filters, sort, search).
    const RESOURCE: &'static Resource;
    /// The collection's path under `/api/v1` (`contacts`).
    const PATH: &'static str;
    /// One record in operation ids (`Contact` in `getContact`).
    const ONE: &'static str;
    /// Several in operation ids (`Contacts` in `listContacts`).
    const MANY: &'static str;
    /// The OpenAPI tag.
    const TAG: &'static str;
    /// What the list says in its description beyond filters and sort (what `q` searches).
    const LIST_NOTE: &'static str = "";
    /// What a single read says beyond the record (such as how merged records answer).
    const GET_NOTE: &'static str = "";
    /// What creating one says beyond the body's schema (alternatives, cross-field rules).
    const CREATE_NOTE: &'static str = "";
    /// What changing one says beyond the patch's schema (side effects).
    const UPDATE_NOTE: &'static str = "";
    /// The read model.
    type Record: serde::Serialize + Versioned + Send + 'static;

    /// A page of live records: filters, sort, search, keyset cursor.
    fn list(
        ctx: &Ctx,
        params: &ListParams,
    ) -> impl Future<Output = Result<Page<Self::Record>>> + Send;

    /// One live record.
    fn get(ctx: &Ctx, id: Uuid) -> impl Future<Output = Result<Self::Record>> + Send;

    /// Every live record `params` selects, from its cursor on, in the list's order, sent to
    /// `out` in batches of at most [`crate::page::BULK_LIMIT`] (at least one batch, maybe
    /// empty, so that an export always writes its header); an error is the last item sent.
    /// Sending stops when `out` is closed (the client went away). The default reads the list
    /// page by page ([`export_pages`]); a resource whose list is one statement streams it
    /// ([`export_streamed`]).
    fn export(
        ctx: Ctx,
        params: ListParams,
        out: ExportSender<Self::Record>,
    ) -> impl Future<Output = ()> + Send {
        export_pages::<Self>(ctx, params, out)
    }

    /// The keys of the organization's custom fields of this resource, in the order an export
    /// gives them columns (`custom.<key>`); none for resources without custom fields.
    fn custom_field_keys(ctx: &Ctx) -> impl Future<Output = Result<Vec<String>>> + Send {
        let _ = ctx;
        async { Ok(Vec::new()) }
    }

    /// The organization's custom fields of this resource with their types (`text`, `number`,
    /// `decimal`, `date`, `boolean`, `select`, `multi_select`, `url`, `email`), by key; an
    /// import shapes a column's text by it.
    fn custom_field_types(
        ctx: &Ctx,
    ) -> impl Future<Output = Result<Vec<(String, &'static str)>>> + Send {
        async move {
            Ok(Self::custom_field_keys(ctx)
                .await?
                .into_iter()
                .map(|k| (k, "text"))
                .collect())
        }
    }
}

/// Where [`Records::export`] sends its batches.
pub type ExportSender<T> = tokio::sync::mpsc::Sender<Result<Vec<T>>>;

/// [`Records::export`] through the list, page after page.
pub async fn export_pages<R: Records + ?Sized>(
    ctx: Ctx,
    mut params: ListParams,
    out: ExportSender<R::Record>,
) {
    loop {
        match R::list(&ctx, &params).await {
            Ok(page) => {
                let next = page.next_cursor.clone().filter(|_| page.has_more);
                if out.send(Ok(page.data)).await.is_err() {
                    return;
                }
                match next {
                    Some(cursor) => params.page.cursor = Some(cursor),
                    None => return,
                }
            }
            Err(e) => {
                let _ = out.send(Err(e)).await;
                return;
            }
        }
    }
}

/// [`Records::export`] of a resource whose list is one statement: on PostgreSQL `stream` reads
/// it as one statement into `out` ([`crate::list::Plan::export`]), its error sent as the last
/// item; on SQLite page by page ([`export_pages`]), where a long read would hold a connection
/// and the checkpoint behind it.
pub async fn export_streamed<R, F, Fut>(
    ctx: Ctx,
    params: ListParams,
    out: ExportSender<R::Record>,
    stream: F,
) where
    R: Records + ?Sized,
    F: FnOnce(Ctx, ListParams, ExportSender<R::Record>) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    if ctx.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return export_pages::<R>(ctx, params, out).await;
    }
    if let Err(e) = stream(ctx, params, out.clone()).await {
        let _ = out.send(Err(e)).await;
    }
}

/// Records that can be created.
pub trait Create: Records {
    /// The body of a new record.
    type New: serde::de::DeserializeOwned + Send + 'static;

    /// Creates one.
    fn create(ctx: &Ctx, input: Self::New) -> impl Future<Output = Result<Self::Record>> + Send;
}

/// Records another system writes by its own id (an ERP's, a telephony system's):
/// `PUT /{path}/by-external-id/{source}/{external_id}` creates the record the first time and
/// replaces it after, so pushing one record twice leaves one record.
pub trait Upsert: Create {
    /// What a replace keeps or refuses, beyond the body's schema.
    const UPSERT_NOTE: &'static str = "";

    /// Creates or replaces the record `source` knows as `external_id`; `true` when created.
    fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: Self::New,
    ) -> impl Future<Output = Result<(Self::Record, bool)>> + Send;
}

/// Records that can be changed with a merge patch.
pub trait Update: Records {
    /// The patch body.
    type Patch: serde::de::DeserializeOwned + Send + 'static;

    /// Changes one; with `if_version`, a record at another version is a 412.
    fn update(
        ctx: &Ctx,
        id: Uuid,
        patch: Self::Patch,
        if_version: Option<i64>,
    ) -> impl Future<Output = Result<Self::Record>> + Send;
}

/// Records that are deleted softly and can be restored.
pub trait Delete: Records {
    /// Deletes one (soft); with `if_version`, a record at another version is a 412.
    fn delete(
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Restores a deleted one.
    fn restore(ctx: &Ctx, id: Uuid) -> impl Future<Output = Result<Self::Record>> + Send;
}

/// Deleted records can be listed, for review and restore.
pub trait ListDeleted: Delete {
    /// A page of deleted records.
    fn deleted(
        ctx: &Ctx,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Self::Record>>> + Send;
}

/// Records whose changes are kept.
pub trait History: Records {
    /// A page of one record's history, newest first.
    fn history(
        ctx: &Ctx,
        id: Uuid,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<HistoryEntry>>> + Send;
}
