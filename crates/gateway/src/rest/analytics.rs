//! `/api/v1/analytics/...` and `/api/v1/exchange-rates`: the organization's base currency, the
//! exchange rates admins maintain, and the ABC, XYZ and ABC-XYZ reports (see
//! docs/analytics.md).

use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path, Query};
use crm_analytics::{
    AbcReport, AbcXyzMatrix, AnalysisParams, AnalysisSubject, AnalyticsSettings,
    AnalyticsSettingsInput, ExchangeRate, ExchangeRatesInput, FunnelReport, Overview,
    RetentionReport, RfmReport, XyzReport, ops,
};
use crm_core::{Error, Page};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routes, registered under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/analytics/settings")
            .route(web::get().to(settings))
            .route(web::put().to(update_settings)),
    )
    .service(web::resource("/analytics/abc").route(web::get().to(abc)))
    .service(web::resource("/analytics/xyz").route(web::get().to(xyz)))
    .service(web::resource("/analytics/abc-xyz").route(web::get().to(abc_xyz)))
    .service(web::resource("/analytics/rfm").route(web::get().to(rfm)))
    .service(web::resource("/analytics/funnel").route(web::get().to(funnel)))
    .service(web::resource("/analytics/overview").route(web::get().to(overview)))
    .service(web::resource("/analytics/retention").route(web::get().to(retention)))
    .service(
        web::resource("/exchange-rates")
            .route(web::get().to(list_rates))
            .route(web::put().to(put_rates)),
    )
    .service(web::resource("/exchange-rates/{id}").route(web::delete().to(delete_rate)));
}

/// The parameters of an analysis, as the query string carries them.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalysisQuery {
    /// What to classify: `products`, `companies` or `contacts` (default `companies`).
    #[param(value_type = Option<AnalysisSubject>)]
    pub subject: Option<String>,
    /// The first day of the period (default: the first day of the 12th month before the
    /// reference date's month).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub from: Option<String>,
    /// The day after the period, exclusive (default: the first day of the reference date's
    /// month).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
    /// The day the default period is counted back from (default: today).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub reference_date: Option<String>,
    /// ABC: the share of revenue class A covers, 0 to 1 (default 0.8).
    #[param(value_type = Option<f64>, minimum = 0.0, maximum = 1.0)]
    pub a: Option<String>,
    /// ABC: the share of revenue classes A and B cover, above `a`, at most 1 (default 0.95).
    #[param(value_type = Option<f64>, minimum = 0.0, maximum = 1.0)]
    pub b: Option<String>,
    /// XYZ: the largest coefficient of variation of class X, 0 to 1 (default 0.10).
    #[param(value_type = Option<f64>, minimum = 0.0, maximum = 1.0)]
    pub x: Option<String>,
    /// XYZ: the largest coefficient of variation of class Y, above `x`, at most 1 (default
    /// 0.25).
    #[param(value_type = Option<f64>, minimum = 0.0, maximum = 1.0)]
    pub y: Option<String>,
    /// Retention: days without an order after which a customer counts as churned, 1 to 3650
    /// (default 90).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    pub inactive_days: Option<String>,
    /// Retention: months after each cohort's first reported, 0 to 120 (default 12).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 120)]
    pub periods: Option<String>,
    /// Funnel: the pipeline (default: the default pipeline).
    #[param(value_type = Option<Uuid>)]
    pub pipeline_id: Option<String>,
    /// `json` (default) or `csv`: ABC, XYZ and RFM reports download every item as CSV (no
    /// paging).
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Items of the report skipped (default 0).
    #[param(value_type = Option<u32>, minimum = 0)]
    pub offset: Option<String>,
    /// Items in the page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

fn parsed<T: std::str::FromStr>(
    value: Option<String>,
    pointer: &str,
    what: &str,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| {
                ApiError(Error::invalid_field(
                    pointer,
                    "invalid_value",
                    format!("must be {what}"),
                ))
            })
        })
        .transpose()
}

impl AnalysisQuery {
    /// The domain's parameters and whether CSV was asked for; a value that does not parse is a
    /// 422 naming it.
    pub fn into_params_and_format(self) -> Result<(AnalysisParams, bool), ApiError> {
        let csv = match self.format.as_deref().map(str::trim) {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => {
                return Err(ApiError(Error::invalid_field(
                    "/format",
                    "invalid_value",
                    "must be json or csv",
                )));
            }
        };
        let mut query = self;
        query.format = None;
        let mut params = query.into_params()?;
        params.unpaged = csv;
        Ok((params, csv))
    }

    /// The domain's parameters; a value that does not parse is a 422 naming it.
    pub fn into_params(self) -> Result<AnalysisParams, ApiError> {
        if self.format.as_deref().is_some_and(|f| f.trim() != "json") {
            return Err(ApiError(Error::invalid_field(
                "/format",
                "invalid_value",
                "this report is JSON only",
            )));
        }
        let subject = match self.subject.as_deref() {
            None => None,
            Some(s) => Some(AnalysisSubject::parse(s.trim()).ok_or_else(|| {
                ApiError(Error::invalid_field(
                    "/subject",
                    "invalid_value",
                    "must be products, companies or contacts",
                ))
            })?),
        };
        let date = "a date such as 2026-01-31";
        let number = "a number such as 0.8";
        Ok(AnalysisParams {
            subject,
            from: parsed(self.from, "/from", date)?,
            to: parsed(self.to, "/to", date)?,
            reference_date: parsed(self.reference_date, "/reference_date", date)?,
            a: parsed(self.a, "/a", number)?,
            b: parsed(self.b, "/b", number)?,
            x: parsed(self.x, "/x", number)?,
            y: parsed(self.y, "/y", number)?,
            inactive_days: parsed(
                self.inactive_days,
                "/inactive_days",
                "a whole number of days",
            )?,
            periods: parsed(self.periods, "/periods", "a whole number of months")?,
            offset: parsed(self.offset, "/offset", "a whole number from 0")?,
            limit: parsed(self.limit, "/limit", "a whole number from 1 to 1000")?,
            pipeline_id: parsed(self.pipeline_id, "/pipeline_id", "a pipeline's id")?,
            unpaged: false,
        })
    }
}

/// The organization's analytics settings: the base currency of every report.
#[utoipa::path(get, operation_id = "getAnalyticsSettings", path = "/api/v1/analytics/settings", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = AnalyticsSettings), ReadErrors))]
pub async fn settings(auth: Authenticated) -> Result<Json<AnalyticsSettings>, ApiError> {
    Ok(Json(ops::get_settings(&auth.0).await?))
}

/// Changes the analytics settings (admins). Exchange rates are into the base currency: after
/// changing it, replace them.
#[utoipa::path(put, operation_id = "updateAnalyticsSettings", path = "/api/v1/analytics/settings", tag = "analytics", security(("bearer" = [])),
    request_body = AnalyticsSettingsInput,
    responses((status = 200, description = "The settings", body = AnalyticsSettings), WriteErrors))]
pub async fn update_settings(
    auth: Authenticated,
    body: JsonBody<AnalyticsSettingsInput>,
) -> Result<Json<AnalyticsSettings>, ApiError> {
    Ok(Json(ops::update_settings(&auth.0, body.0).await?))
}

/// ABC classes of products, companies or contacts by their revenue in the period (order lines
/// net of discounts, orders not cancelled, in the base currency at each order day's rate):
/// ranked by revenue (ties by id), A while the share of the items before is below `a`, B below
/// `b`, else C. Orders without a rate are left out and named in `scope.missing_rates`.
#[utoipa::path(get, operation_id = "getAbcAnalysis", path = "/api/v1/analytics/abc", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The report", content((AbcReport = "application/json"), (super::analytics_csv::AbcCsv = "text/csv"))), ReadErrors))]
pub async fn abc(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format()?;
    let report = ops::abc_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::abc(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// XYZ classes of products, companies or contacts by the stability of their monthly revenue:
/// the coefficient of variation (population standard deviation over the mean, months without
/// sales counting 0) at most `x` is X, at most `y` is Y, else Z. Steadiest first.
#[utoipa::path(get, operation_id = "getXyzAnalysis", path = "/api/v1/analytics/xyz", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The report", content((XyzReport = "application/json"), (super::analytics_csv::XyzCsv = "text/csv"))), ReadErrors))]
pub async fn xyz(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format()?;
    let report = ops::xyz_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::xyz(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The ABC-XYZ matrix: the nine cells (A-X first) with their counts and revenue.
#[utoipa::path(get, operation_id = "getAbcXyzMatrix", path = "/api/v1/analytics/abc-xyz", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The matrix", body = AbcXyzMatrix), ReadErrors))]
pub async fn abc_xyz(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<AbcXyzMatrix>, ApiError> {
    let params = query.into_inner().into_params()?;
    Ok(Json(ops::abc_xyz_matrix(&auth.0, &params).await?))
}

/// RFM scores of companies or contacts: recency (days from the last order to the reference
/// date), frequency (purchases; orders of one day are one) and monetary value (revenue), each
/// 1 to 5 as PostgreSQL's `ntile(5)` over (value, id) ascending, fewer days being better; the
/// recency and frequency scores name the segment (the settings' table). Best scores first.
#[utoipa::path(get, operation_id = "getRfmAnalysis", path = "/api/v1/analytics/rfm", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The report", content((RfmReport = "application/json"), (super::analytics_csv::RfmCsv = "text/csv"))), ReadErrors))]
pub async fn rfm(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format()?;
    let report = ops::rfm_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::rfm(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Retention of companies or contacts: cohorts by the month of each customer's first order
/// ever (those whose first month lies in the period), the share of each that ordered in each
/// later month (up to `periods`), and churn per month: customers active at its start (an order
/// within `inactive_days` before it) who are no longer active at the next month's start.
#[utoipa::path(get, operation_id = "getRetentionAnalysis", path = "/api/v1/analytics/retention", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The report", body = RetentionReport), ReadErrors))]
pub async fn retention(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<RetentionReport>, ApiError> {
    let params = query.into_inner().into_params()?;
    Ok(Json(ops::retention_report(&auth.0, &params).await?))
}

/// A pipeline's funnel over the period: per stage, the deals that entered it, their conversion
/// to a later stage that is not lost, and the average and median days in it; the win rate,
/// average won deal size (base currency at the close day's rate), sales cycle and pipeline
/// velocity (open deals x average size x win rate / cycle days) of the deals closed in the
/// period; and lead conversion by source channel. The weighted forecast is
/// `GET /api/v1/analytics/forecast`.
#[utoipa::path(get, operation_id = "getFunnelAnalysis", path = "/api/v1/analytics/funnel", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The report", body = FunnelReport), ReadErrors))]
pub async fn funnel(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<FunnelReport>, ApiError> {
    let params = query.into_inner().into_params()?;
    Ok(Json(ops::funnel_report(&auth.0, &params).await?))
}

/// The dashboard: every analysis's headline figures over one period (ABC, XYZ, RFM,
/// retention, the default pipeline's funnel), as sections with stable keys; later domains add
/// their own sections. Each section links its full report.
#[utoipa::path(get, operation_id = "getAnalyticsOverview", path = "/api/v1/analytics/overview", tag = "analytics", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "The overview", body = Overview), ReadErrors))]
pub async fn overview(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<Overview>, ApiError> {
    let params = query.into_inner().into_params()?;
    let sections = ops::default_sections();
    Ok(Json(ops::overview(&auth.0, &params, &sections).await?))
}

/// Exchange rate list parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RateListQuery {
    /// Items per page, 1 to 100 (default 25).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Only rates of this currency.
    #[param(min_length = 3, max_length = 3)]
    pub currency: Option<String>,
}

/// The organization's exchange rates, newest day first.
#[utoipa::path(get, operation_id = "listExchangeRates", path = "/api/v1/exchange-rates", tag = "analytics", security(("bearer" = [])),
    params(RateListQuery),
    responses((status = 200, description = "A page of rates", body = Page<ExchangeRate>), ReadErrors))]
pub async fn list_rates(
    auth: Authenticated,
    query: Query<RateListQuery>,
) -> Result<Json<Page<ExchangeRate>>, ApiError> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .into_request()?;
    Ok(Json(
        ops::list_exchange_rates(&auth.0, q.currency.as_deref(), &page).await?,
    ))
}

/// The rates as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExchangeRatesWritten {
    /// The rates written, in request order.
    pub data: Vec<ExchangeRate>,
}

/// Writes 1 to 1,000 exchange rates at once (admins), all or none: a rate for a currency and
/// day that has one replaces it.
#[utoipa::path(put, operation_id = "putExchangeRates", path = "/api/v1/exchange-rates", tag = "analytics", security(("bearer" = [])),
    request_body = ExchangeRatesInput,
    responses((status = 200, description = "The rates as stored", body = ExchangeRatesWritten), WriteErrors))]
pub async fn put_rates(
    auth: Authenticated,
    body: JsonBody<ExchangeRatesInput>,
) -> Result<Json<ExchangeRatesWritten>, ApiError> {
    let data = ops::put_exchange_rates(&auth.0, body.0.rates).await?;
    Ok(Json(ExchangeRatesWritten { data }))
}

/// Deletes one exchange rate (admins).
#[utoipa::path(delete, operation_id = "deleteExchangeRate", path = "/api/v1/exchange-rates/{id}", tag = "analytics", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The rate's id")),
    responses((status = 204, description = "Deleted"), WriteErrors))]
pub async fn delete_rate(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ops::delete_exchange_rate(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
