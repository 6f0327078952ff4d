//! `/api/v1/contacts`.

use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use crm_customers::ops;
use crm_customers::{Contact, ContactDuplicate, ContactParse, MergeInput, ParseContactInput};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

fn with_etag(status: actix_web::http::StatusCode, c: &Contact) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", crm_core::kit::Versioned::etag(c)))
        .json(c)
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

/// The query of `POST /contacts/parse`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParseQuery {
    /// Also create the proposed contact (default `false`; needs write access).
    create: Option<bool>,
}

/// Structures a contact out of free text (an email signature, a business card's text or a
/// vCard): a proposal with a confidence per field and the matching contact and company of the
/// organization, without writing anything. With `?create=true` the proposal is created as a
/// contact (linked to the matched company) and the answer is 201.
#[utoipa::path(post, operation_id = "parseContact", path = "/api/v1/contacts/parse", tag = "contacts", security(("bearer" = [])),
    params(ParseQuery),
    request_body = ParseContactInput,
    responses(
        (status = 200, description = "The proposal; nothing was written", body = ContactParse),
        (status = 201, description = "The proposal and the contact created from it (`create=true`)", body = ContactParse,
            headers(("Location" = String, description = "The created contact"))),
        WriteErrors))]
pub async fn parse(
    auth: Authenticated,
    query: Query<ParseQuery>,
    body: JsonBody<ParseContactInput>,
) -> Result<HttpResponse, ApiError> {
    if query.create.unwrap_or(false) {
        let r = ops::create_contact_from_text(&auth.0, body.0).await?;
        let mut res = HttpResponse::Created();
        if let Some(c) = &r.created {
            res.insert_header(("Location", format!("/api/v1/contacts/{}", c.id)));
        }
        return Ok(res.json(r));
    }
    Ok(HttpResponse::Ok().json(ops::parse_contact(&auth.0, body.0).await?))
}
