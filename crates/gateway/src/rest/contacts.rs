//! `/api/v1/contacts`.

use super::etag::{etag, if_match};
use super::extract::{Authenticated, JsonBody, PageQuery};
use super::list_query::{ListQueryDoc, list_params};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::Page;
use crm_core::audit::HistoryEntry;
use crm_customers::ops;
use crm_customers::{Contact, ContactDuplicate, ContactPatch, MergeInput, NewContact};
use uuid::Uuid;

fn with_etag(status: actix_web::http::StatusCode, c: &Contact) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(c.version)))
        .json(c)
}

/// Lists contacts.
///
/// Filters: `field=value` or `field[op]=value` with `op` in `eq, ne, gt, gte, lt, lte, in,
/// contains, starts_with, is_null`, on `id, email, first_name, last_name, phone, title,
/// company_id, city, region, country, owner_id, lifecycle_stage, source_channel, tags,
/// created_at, updated_at` and on custom fields as `custom.<key>`. Sort on `created_at,
/// updated_at, last_name, first_name, email` and custom fields (default `-created_at`).
/// `q` searches names, emails, phones and company names.
#[utoipa::path(get, operation_id = "listContacts", path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    params(ListQueryDoc),
    responses((status = 200, description = "A page of contacts", body = Page<Contact>), ReadErrors))]
pub async fn list(auth: Authenticated, req: HttpRequest) -> Result<Json<Page<Contact>>, ApiError> {
    let params = list_params(&req)?;
    Ok(Json(ops::list_contacts(&auth.0, &params).await?))
}

/// Creates a contact.
#[utoipa::path(post, operation_id = "createContact", path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    request_body = NewContact,
    responses((status = 201, description = "The new contact", body = Contact,
        headers(("Location" = String), ("ETag" = String))), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewContact>,
) -> Result<HttpResponse, ApiError> {
    let c = ops::create_contact(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/contacts/{}", c.id)))
        .insert_header(("ETag", etag(c.version)))
        .json(c))
}

/// One contact. A merged contact answers 404 with `merged_into`.
#[utoipa::path(get, operation_id = "getContact", path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact", body = Contact, headers(("ETag" = String))), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let c = ops::get_contact(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Changes a contact (JSON Merge Patch). With `If-Match`, a stale version answers 412 and
/// changes nothing.
#[utoipa::path(patch, operation_id = "updateContact", path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = ContactPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The contact, changed", body = Contact, headers(("ETag" = String))),
        (status = 412, description = "The contact changed since that ETag", body = super::problem::Problem, content_type = "application/problem+json"),
        WriteErrors))]
pub async fn update(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<ContactPatch>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let c = ops::update_contact(&auth.0, id.into_inner(), body.0, expected).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Deletes a contact (soft: `POST /restore` brings it back; managers and admins).
#[utoipa::path(delete, operation_id = "deleteContact", path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on")),
    responses((status = 204, description = "Deleted"),
        (status = 412, description = "The contact changed since that ETag", body = super::problem::Problem, content_type = "application/problem+json"),
        WriteErrors))]
pub async fn delete(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    ops::delete_contact(&auth.0, id.into_inner(), expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a deleted contact (managers and admins).
#[utoipa::path(post, operation_id = "restoreContact", path = "/api/v1/contacts/{id}/restore", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact, restored", body = Contact), WriteErrors))]
pub async fn restore(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let c = ops::restore_contact(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Deleted contacts, for review and restore (managers and admins).
#[utoipa::path(get, operation_id = "listDeletedContacts", path = "/api/v1/contacts/deleted", tag = "contacts", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of deleted contacts", body = Page<Contact>), ReadErrors))]
pub async fn deleted(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<Contact>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(ops::list_deleted_contacts(&auth.0, &page).await?))
}

/// Who changed what and when, newest first.
#[utoipa::path(get, operation_id = "listContactHistory", path = "/api/v1/contacts/{id}/history", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id"), PageQuery),
    responses((status = 200, description = "A page of history entries", body = Page<HistoryEntry>), ReadErrors))]
pub async fn history(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<Json<Page<HistoryEntry>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(
        ops::contact_history(&auth.0, id.into_inner(), &page).await?,
    ))
}

/// Likely duplicates: same email, same phone, or a similar name at the same company.
#[utoipa::path(get, operation_id = "listContactDuplicates", path = "/api/v1/contacts/{id}/duplicates", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id")),
    responses((status = 200, description = "Likely duplicates", body = Vec<ContactDuplicate>), ReadErrors))]
pub async fn duplicates(
    auth: Authenticated,
    id: Path<Uuid>,
) -> Result<Json<Vec<ContactDuplicate>>, ApiError> {
    Ok(Json(
        ops::contact_duplicates(&auth.0, id.into_inner()).await?,
    ))
}

/// Merges another contact into this one, in one transaction (managers and admins).
#[utoipa::path(post, operation_id = "mergeContact", path = "/api/v1/contacts/{id}/merge", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The surviving contact's id")),
    request_body = MergeInput,
    responses((status = 200, description = "The surviving contact", body = Contact), WriteErrors))]
pub async fn merge(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<MergeInput>,
) -> Result<HttpResponse, ApiError> {
    let c = crm_interactions::ops::merge_contacts(&auth.0, id.into_inner(), body.0).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}
