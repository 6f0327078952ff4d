//! `/api/v1/custom-fields` and `/api/v1/owner-transfers`.

use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use crm_customers::ops;
use crm_customers::{
    CustomField, NewCustomField, OwnerTransferInput, OwnerTransferResult, RecordType,
};
use serde::Deserialize;
use uuid::Uuid;

/// Which custom fields to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldQuery {
    /// Only the fields of this record type.
    pub record_type: Option<RecordType>,
}

/// The custom fields of the organization: their keys, types and rules.
#[utoipa::path(get, operation_id = "listCustomFields", path = "/api/v1/custom-fields", tag = "custom-fields", security(("bearer" = [])),
    params(CustomFieldQuery),
    responses((status = 200, description = "Custom field definitions", body = Vec<CustomField>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<CustomFieldQuery>,
) -> Result<Json<Vec<CustomField>>, ApiError> {
    Ok(Json(
        ops::list_custom_fields(&auth.0, query.into_inner().record_type).await?,
    ))
}

/// Defines a custom field (admins only). Its values are then validated on every write, returned
/// in `custom`, and usable in filters and sorts as `custom.<key>`.
#[utoipa::path(post, operation_id = "createCustomField", path = "/api/v1/custom-fields", tag = "custom-fields", security(("bearer" = [])),
    request_body = NewCustomField,
    responses((status = 201, description = "The definition", body = CustomField), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewCustomField>,
) -> Result<HttpResponse, ApiError> {
    let f = ops::create_custom_field(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/custom-fields/{}", f.id)))
        .json(f))
}

/// One custom field definition.
#[utoipa::path(get, operation_id = "getCustomField", path = "/api/v1/custom-fields/{id}", tag = "custom-fields", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The definition's id")),
    responses((status = 200, description = "The definition", body = CustomField), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<CustomField>, ApiError> {
    Ok(Json(ops::get_custom_field(&auth.0, id.into_inner()).await?))
}

/// Deletes a custom field and its values on every record (admins only).
#[utoipa::path(delete, operation_id = "deleteCustomField", path = "/api/v1/custom-fields/{id}", tag = "custom-fields", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The definition's id")),
    responses((status = 204, description = "Deleted"), WriteErrors))]
pub async fn delete(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ops::delete_custom_field(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves every record of one user (or the listed ones) to another, in one operation, each move
/// recorded in the record's history (managers and admins).
#[utoipa::path(post, operation_id = "transferOwner", path = "/api/v1/owner-transfers", tag = "owner-transfers", security(("bearer" = [])),
    request_body = OwnerTransferInput,
    responses((status = 200, description = "How many records moved", body = OwnerTransferResult), WriteErrors))]
pub async fn transfer(
    auth: Authenticated,
    body: JsonBody<OwnerTransferInput>,
) -> Result<Json<OwnerTransferResult>, ApiError> {
    Ok(Json(ops::transfer_owner(&auth.0, body.0).await?))
}
