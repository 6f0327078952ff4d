//! The resource kit over REST: every resource that implements the kit's traits
//! (`crm_core::kit`) gets its standard routes and their OpenAPI operations from here, the same
//! for all: `GET/POST /{path}`, `GET /{path}/export`, `GET/PATCH/DELETE /{path}/{id}`,
//! `POST /{path}/{id}/restore`, `GET /{path}/{id}/history`, `GET /{path}/deleted`,
//! `POST /{path}/batch`, `PUT /{path}/by-external-id/{source}/{external_id}`, with `ETag`,
//! `Location`, `If-Match` and `Idempotency-Key` handled one way. Operation ids are
//! `list<Many>`, `export<Many>`, `create<One>`, `upsert<One>`, `batch<Many>`,
//! `get<One>`, `update<One>`, `delete<One>`, `restore<One>`, `listDeleted<Many>` and
//! `list<One>History`; [`super::kit_doc`] builds those operations.

use super::etag::if_match;
use super::extract::{Authenticated, JsonBody, PageQuery};
use super::kit_doc::*;
use super::list_query::list_params;
use super::problem::ApiError;
use actix_web::web::{self, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, Route};
use crm_core::Page;
use crm_core::audit::HistoryEntry;
use crm_core::batch::BatchWrite;
use crm_core::kit::{Create, Delete, History, ListDeleted, Records, Update, Upsert, Versioned};
use std::marker::PhantomData;
use utoipa::{Modify, ToSchema};
use uuid::Uuid;

pub(super) use super::kit_doc::{
    add_schema, header_param, json_response, operation, schema_ref, with_errors,
};

// ---- Handlers: one generic function per standard operation. ----

fn with_etag(
    status: actix_web::http::StatusCode,
    r: &(impl serde::Serialize + Versioned),
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", r.etag()))
        .json(r)
}

async fn list<R: Records>(
    auth: Authenticated,
    req: HttpRequest,
) -> Result<Json<Page<R::Record>>, ApiError> {
    let params = list_params(&req)?;
    Ok(Json(R::list(&auth.0, &params).await?))
}

async fn create<R: Create>(
    auth: Authenticated,
    body: JsonBody<R::New>,
) -> Result<HttpResponse, ApiError> {
    let r = R::create(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/{}/{}", R::PATH, r.id())))
        .insert_header(("ETag", r.etag()))
        .json(r))
}

async fn upsert<R: Upsert>(
    auth: Authenticated,
    path: Path<(String, String)>,
    body: JsonBody<R::New>,
) -> Result<HttpResponse, ApiError> {
    let (source, external_id) = path.into_inner();
    let (r, created) = R::upsert(&auth.0, &source, &external_id, body.0).await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header(("Location", format!("/api/v1/{}/{}", R::PATH, r.id())))
            .insert_header(("ETag", r.etag()))
            .json(r)
    } else {
        with_etag(actix_web::http::StatusCode::OK, &r)
    })
}

async fn get<R: Records>(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let r = R::get(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &r))
}

async fn update<R: Update>(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<R::Patch>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let r = R::update(&auth.0, id.into_inner(), body.0, expected).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &r))
}

async fn delete<R: Delete>(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    R::delete(&auth.0, id.into_inner(), expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn restore<R: Delete>(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let r = R::restore(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &r))
}

async fn deleted<R: ListDeleted>(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<R::Record>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(R::deleted(&auth.0, &page).await?))
}

async fn history<R: History>(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<Json<Page<HistoryEntry>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(R::history(&auth.0, id.into_inner(), &page).await?))
}

// ---- The kit: which operations a resource has, as routes and as OpenAPI operations. ----

/// A standard operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    List,
    Create,
    Get,
    Update,
    Delete,
    Restore,
    Deleted,
    History,
    Batch,
    Upsert,
}

/// Where an operation is served, relative to the collection.
pub(super) fn suffix(op: Op) -> &'static str {
    match op {
        Op::List | Op::Create => "",
        Op::Get | Op::Update | Op::Delete => "/{id}",
        Op::Restore => "/{id}/restore",
        Op::Deleted => "/deleted",
        Op::History => "/{id}/history",
        Op::Batch => "/batch",
        Op::Upsert => "/by-external-id/{source}/{external_id}",
    }
}

struct Entry {
    /// Where, relative to the collection.
    at: &'static str,
    route: fn() -> Route,
    /// The OpenAPI operation; `None` for a route documented by its own handler.
    doc: Option<fn(&mut utoipa::openapi::OpenApi)>,
}

/// The standard operations of the resource `R`, built capability by capability.
pub struct Kit<R> {
    entries: Vec<Entry>,
    _r: PhantomData<R>,
}

/// A resource's kit, ready to serve and to document.
pub struct Served {
    path: &'static str,
    entries: Vec<Entry>,
}

impl<R: Records> Default for Kit<R>
where
    R::Record: ToSchema,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Records> Kit<R>
where
    R::Record: ToSchema,
{
    /// List, export and get, which every resource has.
    pub fn new() -> Self {
        Self {
            entries: vec![
                Entry {
                    at: suffix(Op::List),
                    route: || web::get().to(list::<R>),
                    doc: Some(doc_list::<R>),
                },
                Entry {
                    at: suffix(Op::Get),
                    route: || web::get().to(get::<R>),
                    doc: Some(doc_get::<R>),
                },
                Entry {
                    at: "/export",
                    route: || web::get().to(super::export::export::<R>),
                    doc: Some(super::export::doc_export::<R>),
                },
            ],
            _r: PhantomData,
        }
    }

    /// Adds `POST /{path}`.
    pub fn create(self) -> Self
    where
        R: Create,
        R::New: ToSchema,
    {
        self.with(Op::Create, || web::post().to(create::<R>), doc_create::<R>)
    }

    /// Adds `PATCH /{path}/{id}`.
    pub fn update(self) -> Self
    where
        R: Update,
        R::Patch: ToSchema,
    {
        self.with(Op::Update, || web::patch().to(update::<R>), doc_update::<R>)
    }

    /// Adds `DELETE /{path}/{id}` and `POST /{path}/{id}/restore`.
    pub fn delete(self) -> Self
    where
        R: Delete,
    {
        self.with(
            Op::Delete,
            || web::delete().to(delete::<R>),
            doc_delete::<R>,
        )
        .with(
            Op::Restore,
            || web::post().to(restore::<R>),
            doc_restore::<R>,
        )
    }

    /// Adds `GET /{path}/deleted`.
    pub fn deleted(self) -> Self
    where
        R: ListDeleted,
    {
        self.with(
            Op::Deleted,
            || web::get().to(deleted::<R>),
            doc_deleted::<R>,
        )
    }

    /// Adds `POST /{path}/batch` (see [`super::batch`]).
    pub fn batch(self) -> Self
    where
        R: BatchWrite,
        R::New: ToSchema,
        R::Change: ToSchema,
    {
        self.with(
            Op::Batch,
            || web::post().to(super::batch::handler::<R>),
            super::batch::doc::<R>,
        )
    }

    /// Adds `PUT /{path}/by-external-id/{source}/{external_id}`.
    pub fn upsert(self) -> Self
    where
        R: Upsert,
        R::New: ToSchema,
    {
        self.with(Op::Upsert, || web::put().to(upsert::<R>), doc_upsert::<R>)
    }

    /// Adds `GET /{path}/{id}/history`.
    pub fn history(self) -> Self
    where
        R: History,
    {
        self.with(
            Op::History,
            || web::get().to(history::<R>),
            doc_history::<R>,
        )
    }

    /// Adds a standard operation: its route and its OpenAPI operation.
    fn with(
        mut self,
        op: Op,
        route: fn() -> Route,
        doc: fn(&mut utoipa::openapi::OpenApi),
    ) -> Self {
        self.entries.push(Entry {
            at: suffix(op),
            route,
            doc: Some(doc),
        });
        self
    }

    /// Adds a route of the resource's own at `at` (relative to the collection, such as
    /// `/{id}` for a `PUT` replace), documented by its handler; served with the kit's routes of
    /// the same path.
    pub fn route(mut self, at: &'static str, route: fn() -> Route) -> Self {
        self.entries.push(Entry {
            at,
            route,
            doc: None,
        });
        self
    }

    /// The kit, ready to serve.
    pub fn done(self) -> Served {
        Served {
            path: R::PATH,
            entries: self.entries,
        }
    }
}

impl Served {
    /// Registers the routes: the deleted list before `/{id}` (whose id would not parse), each
    /// path once with all its methods (so a wrong method answers 405 with `Allow`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let base = format!("/{}", self.path);
        // Fixed segments before `{id}`, which would take them.
        let mut paths: Vec<&'static str> = Vec::new();
        for e in &self.entries {
            if !paths.contains(&e.at) {
                paths.push(e.at);
            }
        }
        paths.sort_by_key(|p| (p.starts_with("/{id}"), *p));
        for s in paths {
            let routes: Vec<&Entry> = self.entries.iter().filter(|e| e.at == s).collect();
            let mut resource = web::resource(format!("{base}{s}"));
            for e in routes {
                resource = resource.route((e.route)());
            }
            cfg.service(resource);
        }
    }

    fn document(&self, api: &mut utoipa::openapi::OpenApi) {
        for doc in self.entries.iter().filter_map(|e| e.doc) {
            doc(api);
        }
    }
}

/// Every resource served by the kit.
pub fn served() -> Vec<Served> {
    use crm_customers::kit::{Companies, Contacts};
    use crm_interactions::kit::Activities;
    use crm_sales::kit::{Deals, Invoices, Leads, Orders, Products, Quotes};
    vec![
        Kit::<Contacts>::new()
            .create()
            .upsert()
            .batch()
            .update()
            .delete()
            .deleted()
            .history()
            .done(),
        Kit::<Companies>::new()
            .create()
            .upsert()
            .batch()
            .update()
            .delete()
            .deleted()
            .history()
            .done(),
        Kit::<Activities>::new()
            .create()
            .upsert()
            .batch()
            .update()
            .delete()
            .history()
            .done(),
        Kit::<Deals>::new()
            .create()
            .upsert()
            .batch()
            .update()
            .delete()
            .history()
            .done(),
        Kit::<Orders>::new()
            .create()
            .upsert()
            .batch()
            .history()
            .done(),
        Kit::<Quotes>::new().create().history().done(),
        Kit::<Invoices>::new().create().upsert().history().done(),
        Kit::<Products>::new()
            .create()
            .upsert()
            .batch()
            .delete()
            .history()
            .route("/{id}", || web::put().to(super::sales::replace_product))
            .done(),
        Kit::<Leads>::new()
            .create()
            .upsert()
            .batch()
            .history()
            .done(),
    ]
}

/// Adds the kit's operations and their schemas to the document.
pub struct KitDoc;

impl Modify for KitDoc {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for s in served() {
            s.document(api);
        }
    }
}
