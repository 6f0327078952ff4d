//! `/api/v1/pipelines`, `/deals`, `/products`, `/price-lists`, `/orders`, `/invoices`,
//! `/analytics/forecast`.

use super::etag::{etag, if_match};
use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_sales::ops::{self, DocType};
use crm_sales::*;
use serde::Deserialize;
use uuid::Uuid;

fn created<T: serde::Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .insert_header(("ETag", etag(version)))
        .json(body)
}

fn ok<T: serde::Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(version)))
        .json(body)
}

/// The organization's pipelines with their stages.
#[utoipa::path(get, operation_id = "listPipelines", path = "/api/v1/pipelines", tag = "sales", security(("bearer" = [])),
    responses((status = 200, description = "Pipelines", body = Vec<Pipeline>), ReadErrors))]
pub async fn list_pipelines(auth: Authenticated) -> Result<Json<Vec<Pipeline>>, ApiError> {
    Ok(Json(ops::list_pipelines(&auth.0).await?))
}

/// Creates a pipeline with ordered stages (admins).
#[utoipa::path(post, operation_id = "createPipeline", path = "/api/v1/pipelines", tag = "sales", security(("bearer" = [])),
    request_body = NewPipeline,
    responses((status = 201, description = "The pipeline", body = Pipeline), WriteErrors))]
pub async fn create_pipeline(
    auth: Authenticated,
    body: JsonBody<NewPipeline>,
) -> Result<HttpResponse, ApiError> {
    let p = ops::create_pipeline(&auth.0, body.0).await?;
    Ok(created(
        format!("/api/v1/pipelines/{}", p.id),
        p.version,
        &p,
    ))
}

/// One pipeline.
#[utoipa::path(get, operation_id = "getPipeline", path = "/api/v1/pipelines/{id}", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The pipeline's id")),
    responses((status = 200, description = "The pipeline", body = Pipeline), ReadErrors))]
pub async fn get_pipeline(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let p = ops::get_pipeline(&auth.0, id.into_inner()).await?;
    Ok(ok(p.version, &p))
}

/// Renames a pipeline or replaces its stage list: reorder and rename keep stage ids and
/// history; a stage holding deals cannot be dropped (admins).
#[utoipa::path(patch, operation_id = "updatePipeline", path = "/api/v1/pipelines/{id}", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The pipeline's id")),
    request_body = PipelinePatch,
    responses((status = 200, description = "The pipeline", body = Pipeline), WriteErrors))]
pub async fn update_pipeline(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<PipelinePatch>,
) -> Result<HttpResponse, ApiError> {
    let p = ops::update_pipeline(&auth.0, id.into_inner(), body.0, if_match(&req)?).await?;
    Ok(ok(p.version, &p))
}

/// Board parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Deals listed per stage, 0 to 100 (default 25); counts and sums cover all.
    pub per_stage: Option<u64>,
}

/// The pipeline as a board: per stage, its deals, their count and sums per currency.
#[utoipa::path(get, operation_id = "getPipelineBoard", path = "/api/v1/pipelines/{id}/board", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The pipeline's id"), BoardQuery),
    responses((status = 200, description = "Columns in stage order", body = Vec<BoardColumn>), ReadErrors))]
pub async fn board(
    auth: Authenticated,
    id: Path<Uuid>,
    q: Query<BoardQuery>,
) -> Result<Json<Vec<BoardColumn>>, ApiError> {
    let per_stage = q.per_stage.unwrap_or(25).min(100);
    Ok(Json(ops::board(&auth.0, id.into_inner(), per_stage).await?))
}

/// The stages a deal went through: entered and left at, by whom.
#[utoipa::path(get, operation_id = "listDealStageHistory", path = "/api/v1/deals/{id}/stage-history", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The deal's id")),
    responses((status = 200, description = "Stage visits, oldest first", body = Vec<StageVisit>), ReadErrors))]
pub async fn stage_history(
    auth: Authenticated,
    id: Path<Uuid>,
) -> Result<Json<Vec<StageVisit>>, ApiError> {
    Ok(Json(
        ops::deal_stage_history(&auth.0, id.into_inner()).await?,
    ))
}

/// The weighted pipeline: open deals by expected close month, owner and currency.
#[utoipa::path(get, operation_id = "getForecast", path = "/api/v1/analytics/forecast", tag = "sales", security(("bearer" = [])),
    responses((status = 200, description = "Forecast rows", body = Vec<ForecastRow>), ReadErrors))]
pub async fn forecast(auth: Authenticated) -> Result<Json<Vec<ForecastRow>>, ApiError> {
    Ok(Json(ops::forecast(&auth.0).await?))
}

/// The organization's price lists.
#[utoipa::path(get, operation_id = "listPriceLists", path = "/api/v1/price-lists", tag = "sales", security(("bearer" = [])),
    responses((status = 200, description = "Price lists", body = Vec<PriceList>), ReadErrors))]
pub async fn list_price_lists(auth: Authenticated) -> Result<Json<Vec<PriceList>>, ApiError> {
    Ok(Json(ops::list_price_lists(&auth.0).await?))
}

/// One price list.
#[utoipa::path(get, operation_id = "getPriceList", path = "/api/v1/price-lists/{id}", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list's id")),
    responses((status = 200, description = "The price list", body = PriceList), ReadErrors))]
pub async fn get_price_list(
    auth: Authenticated,
    id: Path<Uuid>,
) -> Result<Json<PriceList>, ApiError> {
    Ok(Json(ops::get_price_list(&auth.0, id.into_inner()).await?))
}

/// Creates a price list (admins).
#[utoipa::path(post, operation_id = "createPriceList", path = "/api/v1/price-lists", tag = "sales", security(("bearer" = [])),
    request_body = NewPriceList,
    responses((status = 201, description = "The price list", body = PriceList), WriteErrors))]
pub async fn create_price_list(
    auth: Authenticated,
    body: JsonBody<NewPriceList>,
) -> Result<HttpResponse, ApiError> {
    let l = ops::create_price_list(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/price-lists/{}", l.id)))
        .json(l))
}

/// Moves an order: draft -> confirmed -> fulfilled, or cancelled (409 for other moves).
#[utoipa::path(post, operation_id = "setOrderStatus", path = "/api/v1/orders/{id}/status", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = StatusChange,
    responses((status = 200, description = "The order", body = SalesDocument), WriteErrors))]
pub async fn order_status(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let o = ops::change_status(&auth.0, DocType::Order, id.into_inner(), &body.0.status).await?;
    Ok(ok(o.version, &o))
}

/// Moves an invoice: draft -> issued (numbered) -> paid, or void.
#[utoipa::path(post, operation_id = "setInvoiceStatus", path = "/api/v1/invoices/{id}/status", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The invoice's id")),
    request_body = StatusChange,
    responses((status = 200, description = "The invoice", body = SalesDocument), WriteErrors))]
pub async fn invoice_status(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let i = ops::change_status(&auth.0, DocType::Invoice, id.into_inner(), &body.0.status).await?;
    Ok(ok(i.version, &i))
}

/// Records a payment; paid in full, the invoice becomes `paid`.
#[utoipa::path(post, operation_id = "addPayment", path = "/api/v1/invoices/{id}/payments", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The invoice's id")),
    request_body = NewPayment,
    responses((status = 200, description = "The invoice", body = SalesDocument), WriteErrors))]
pub async fn add_payment(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<NewPayment>,
) -> Result<HttpResponse, ApiError> {
    let i = ops::add_payment(&auth.0, id.into_inner(), body.0).await?;
    Ok(ok(i.version, &i))
}

/// Marks a lead qualified.
#[utoipa::path(post, operation_id = "qualifyLead", path = "/api/v1/leads/{id}/qualify", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The lead's id")),
    responses((status = 200, description = "The lead", body = Lead), WriteErrors))]
pub async fn qualify_lead(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let l = ops::qualify_lead(&auth.0, id.into_inner()).await?;
    Ok(ok(l.version, &l))
}

/// Marks a lead disqualified, with a reason.
#[utoipa::path(post, operation_id = "disqualifyLead", path = "/api/v1/leads/{id}/disqualify", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The lead's id")),
    request_body = DisqualifyLead,
    responses((status = 200, description = "The lead", body = Lead), WriteErrors))]
pub async fn disqualify_lead(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<DisqualifyLead>,
) -> Result<HttpResponse, ApiError> {
    let l = ops::disqualify_lead(&auth.0, id.into_inner(), body.0).await?;
    Ok(ok(l.version, &l))
}

/// Converts a lead in one transaction into a contact (an existing one with the same email is
/// reused), a company (matched by domain or name, else created) and optionally a deal.
#[utoipa::path(post, operation_id = "convertLead", path = "/api/v1/leads/{id}/convert", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The lead's id")),
    request_body = ConvertLead,
    responses((status = 200, description = "What the lead became", body = LeadConversion), WriteErrors))]
pub async fn convert_lead(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<ConvertLead>,
) -> Result<Json<LeadConversion>, ApiError> {
    Ok(Json(
        ops::convert_lead(&auth.0, id.into_inner(), body.0).await?,
    ))
}

/// Moves a quote: draft -> sent, or rejected / expired.
#[utoipa::path(post, operation_id = "setQuoteStatus", path = "/api/v1/quotes/{id}/status", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The quote's id")),
    request_body = StatusChange,
    responses((status = 200, description = "The quote", body = SalesDocument), WriteErrors))]
pub async fn quote_status(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let q = ops::change_status(&auth.0, DocType::Quote, id.into_inner(), &body.0.status).await?;
    Ok(ok(q.version, &q))
}

/// Accepts a quote into a confirmed order with the same lines (409 when expired or closed).
#[utoipa::path(post, operation_id = "acceptQuote", path = "/api/v1/quotes/{id}/accept", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The quote's id")),
    responses((status = 201, description = "The new order", body = SalesDocument), WriteErrors))]
pub async fn accept_quote(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let o = ops::accept_quote(&auth.0, id.into_inner()).await?;
    Ok(created(format!("/api/v1/orders/{}", o.id), o.version, &o))
}

/// Replaces a product's fields and prices (`If-Match` for a conditional write).
#[utoipa::path(put, operation_id = "replaceProduct", path = "/api/v1/products/{id}", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product's id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body = NewProduct,
    responses((status = 200, description = "The product", body = Product), WriteErrors))]
pub async fn replace_product(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let p = ops::replace_product(&auth.0, id.into_inner(), body.0, if_match(&req)?).await?;
    Ok(ok(p.version, &p))
}
