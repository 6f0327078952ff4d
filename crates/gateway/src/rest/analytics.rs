//! `/api/v1/analytics/...` and `/api/v1/exchange-rates`: the organization's base currency, the
//! exchange rates admins maintain, and the ABC, XYZ and ABC-XYZ reports (see
//! docs/analytics.md).

use super::analytics_query::{self as q, *};
use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path, Query};
use crm_analytics::{
    AbcReport, AbcXyzMatrix, AnalyticsRefresh, AnalyticsRefreshInput, AnalyticsSettings,
    AnalyticsSettingsInput, ClvReport, CrossSellReport, ExchangeRate, ExchangeRatesInput,
    FunnelReport, Overview, ProfitReport, RecommendationReport, RetentionReport, RfmReport,
    XyzReport, ops,
};
use crm_core::Page;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routes, registered under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/analytics/settings")
            .route(web::get().to(settings))
            .route(web::put().to(update_settings)),
    )
    .service(
        web::resource("/analytics/refresh")
            .route(web::get().to(refresh))
            .route(web::put().to(update_refresh)),
    )
    .service(web::resource("/analytics/refresh/run").route(web::post().to(run_refresh)))
    .service(web::resource("/analytics/abc").route(web::get().to(abc)))
    .service(web::resource("/analytics/xyz").route(web::get().to(xyz)))
    .service(web::resource("/analytics/abc-xyz").route(web::get().to(abc_xyz)))
    .service(web::resource("/analytics/rfm").route(web::get().to(rfm)))
    .service(web::resource("/analytics/clv").route(web::get().to(clv)))
    .service(web::resource("/analytics/profitability").route(web::get().to(profitability)))
    .service(web::resource("/analytics/cross-sell").route(web::get().to(cross_sell)))
    .service(web::resource("/analytics/recommendations").route(web::get().to(recommendations)))
    .service(web::resource("/analytics/funnel").route(web::get().to(funnel)))
    .service(web::resource("/analytics/overview").route(web::get().to(overview)))
    .service(web::resource("/analytics/retention").route(web::get().to(retention)))
    .service(
        web::resource("/exchange-rates")
            .route(web::get().to(list_rates))
            .route(web::put().to(put_rates)),
    )
    .service(web::resource("/exchange-rates/import").route(web::post().to(import_rates)))
    .service(web::resource("/exchange-rates/{id}").route(web::delete().to(delete_rate)));
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

/// The refresh that writes `analytics` onto contacts and companies (`analytics.abc_class`,
/// `analytics.rfm_segment`, `analytics.clv`, ...): its schedule and the outcome of its last run.
#[utoipa::path(get, operation_id = "getAnalyticsRefresh", path = "/api/v1/analytics/refresh", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, description = "The refresh", body = AnalyticsRefresh), ReadErrors))]
pub async fn refresh(auth: Authenticated) -> Result<Json<AnalyticsRefresh>, ApiError> {
    Ok(Json(ops::get_refresh(&auth.0).await?))
}

/// Changes the analytics refresh (admins); absent fields stay. Enabling it runs it at once,
/// then it looks for changes every `interval_secs`.
#[utoipa::path(put, operation_id = "updateAnalyticsRefresh", path = "/api/v1/analytics/refresh", tag = "analytics", security(("bearer" = [])),
    request_body = AnalyticsRefreshInput,
    responses((status = 200, description = "The refresh", body = AnalyticsRefresh), WriteErrors))]
pub async fn update_refresh(
    auth: Authenticated,
    body: JsonBody<AnalyticsRefreshInput>,
) -> Result<Json<AnalyticsRefresh>, ApiError> {
    Ok(Json(ops::update_refresh(&auth.0, body.0).await?))
}

/// Runs the analytics refresh now (admins), enabled or not, recomputing even if nothing
/// changed. Answers at once with `pending` set; `GET /analytics/refresh` shows the outcome.
#[utoipa::path(post, operation_id = "runAnalyticsRefresh", path = "/api/v1/analytics/refresh/run", tag = "analytics", security(("bearer" = [])),
    responses((status = 202, description = "The run is queued", body = AnalyticsRefresh), WriteErrors))]
pub async fn run_refresh(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Accepted().json(ops::run_refresh(&auth.0).await?))
}

/// ABC classes of products, companies or contacts by their revenue in the period (order lines
/// net of discounts, orders not cancelled, in the base currency at each order day's rate):
/// ranked by revenue (ties by id), A while the share of the items before is below `a`, B below
/// `b`, else C. Orders without a rate are left out and named in `scope.missing_rates`.
#[utoipa::path(get, operation_id = "getAbcAnalysis", path = "/api/v1/analytics/abc", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, SubjectParams, AbcParams, FormatParams, PageParams, AbcItemParams),
    responses((status = 200, description = "The report; `format=svg`: the Pareto chart of the page's items", content((AbcReport = "application/json"), (super::analytics_csv::AbcCsv = "text/csv"), (super::analytics_svg::Svg = "image/svg+xml"))), ReadErrors))]
pub async fn abc(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, format) = query
        .into_inner()
        .into_params_as(q::ABC, &[Format::Json, Format::Csv, Format::Svg])?;
    let report = ops::abc_report(&auth.0, &params).await?;
    match format {
        Format::Csv => super::analytics_csv::abc(&report),
        Format::Svg => Ok(super::analytics_svg::response(
            super::analytics_svg::pareto(&report)?,
        )),
        _ => Ok(HttpResponse::Ok().json(report)),
    }
}

/// XYZ classes of products, companies or contacts by the stability of their monthly revenue:
/// the coefficient of variation (population standard deviation over the mean, months without
/// sales counting 0) at most `x` is X, at most `y` is Y, else Z. Steadiest first.
#[utoipa::path(get, operation_id = "getXyzAnalysis", path = "/api/v1/analytics/xyz", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, SubjectParams, XyzParams, CsvFormatParams, PageParams, XyzItemParams),
    responses((status = 200, description = "The report", content((XyzReport = "application/json"), (super::analytics_csv::XyzCsv = "text/csv"))), ReadErrors))]
pub async fn xyz(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format(q::XYZ)?;
    let report = ops::xyz_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::xyz(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The ABC-XYZ matrix: the nine cells (A-X first) with their counts and revenue.
#[utoipa::path(get, operation_id = "getAbcXyzMatrix", path = "/api/v1/analytics/abc-xyz", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, SubjectParams, AbcParams, XyzParams, SvgFormatParams),
    responses((status = 200, description = "The matrix; `format=svg`: its chart", content((AbcXyzMatrix = "application/json"), (super::analytics_svg::Svg = "image/svg+xml"))), ReadErrors))]
pub async fn abc_xyz(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, format) = query
        .into_inner()
        .into_params_as(q::MATRIX, &[Format::Json, Format::Svg])?;
    let matrix = ops::abc_xyz_matrix(&auth.0, &params).await?;
    match format {
        Format::Svg => Ok(super::analytics_svg::response(
            super::analytics_svg::matrix(&matrix)?,
        )),
        _ => Ok(HttpResponse::Ok().json(matrix)),
    }
}

/// RFM scores of companies or contacts: recency (days from the last order to the reference
/// date), frequency (purchases; orders of one day are one) and monetary value (revenue), each
/// 1 to 5 as PostgreSQL's `ntile(5)` over (value, id) ascending, fewer days being better; the
/// recency and frequency scores name the segment (the settings' table). Best scores first.
#[utoipa::path(get, operation_id = "getRfmAnalysis", path = "/api/v1/analytics/rfm", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CustomerParams, FormatParams, PageParams, RfmItemParams),
    responses((status = 200, description = "The report; `format=svg`: the grid of every customer by recency and frequency score", content((RfmReport = "application/json"), (super::analytics_csv::RfmCsv = "text/csv"), (super::analytics_svg::Svg = "image/svg+xml"))), ReadErrors))]
pub async fn rfm(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (mut params, format) = query
        .into_inner()
        .into_params_as(q::RFM, &[Format::Json, Format::Csv, Format::Svg])?;
    // The grid counts every customer, whatever the page.
    params.unpaged |= format == Format::Svg;
    let report = ops::rfm_report(&auth.0, &params).await?;
    match format {
        Format::Csv => super::analytics_csv::rfm(&report),
        Format::Svg => Ok(super::analytics_svg::response(super::analytics_svg::rfm(
            &report,
        )?)),
        _ => Ok(HttpResponse::Ok().json(report)),
    }
}

/// Lifetime value of companies or contacts, over the period as the calibration window:
/// historical (revenue in the window); the simple model of DOMAIN.md (average order value x
/// purchases per year x expected lifetime, the lifetime from the churn rate with
/// `inactive_days`); and BG/NBD (Fader, Hardie and Lee 2005) with Gamma-Gamma (Fader and
/// Hardie 2013) fitted by maximum likelihood to the window's purchases (orders of one day are
/// one), with their parameters and log-likelihood, and per customer the purchases expected
/// within `horizon_months`, P(alive), the spend per purchase and the value discounted at
/// `discount_rate` a month. Customers who bought before the window are listed but neither
/// fitted nor predicted (`history_truncated`); without `from` the window is 120 months.
/// Highest value first.
#[utoipa::path(get, operation_id = "getClvAnalysis", path = "/api/v1/analytics/clv", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CustomerParams, ClvParams, InactiveParams, CsvFormatParams, PageParams, ClvItemParams),
    responses((status = 200, description = "The report", content((ClvReport = "application/json"), (super::analytics_csv::ClvCsv = "text/csv"))), ReadErrors))]
pub async fn clv(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format(q::CLV)?;
    let report = ops::clv_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::clv(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Profitability of companies or contacts over the period: revenue (order lines net of
/// discounts), cost of goods (quantity x the product's cost price, at the order day's rate of
/// its currency; lines without a cost are counted), gross margin, activities per kind and the
/// cost to serve them (the settings' `activity_costs`), and profit. Lowest profit first, so the
/// customers who cost more than they bring lead; `unprofitable=true` lists only them.
#[utoipa::path(get, operation_id = "getProfitabilityAnalysis", path = "/api/v1/analytics/profitability", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CustomerParams, ProfitParams, CsvFormatParams, PageParams, ProfitItemParams),
    responses((status = 200, description = "The report", content((ProfitReport = "application/json"), (super::analytics_csv::ProfitCsv = "text/csv"))), ReadErrors))]
pub async fn profitability(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query
        .into_inner()
        .into_params_and_format(q::PROFITABILITY)?;
    let report = ops::profit_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::profit(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Association rules between two products over the period's orders (not cancelled): for every
/// ordered pair bought together, the orders holding the first, the second and both, support
/// (both / orders with products), confidence (both / the first's) and lift (confidence / the
/// second's share), kept when each reaches `min_support`, `min_confidence` and `min_lift`.
/// Highest lift first.
#[utoipa::path(get, operation_id = "getCrossSellAnalysis", path = "/api/v1/analytics/cross-sell", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CrossSellParams, CsvFormatParams, PageParams, RuleItemParams),
    responses((status = 200, description = "The report", content((CrossSellReport = "application/json"), (super::analytics_csv::CrossSellCsv = "text/csv"))), ReadErrors))]
pub async fn cross_sell(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, csv) = query.into_inner().into_params_and_format(q::CROSS_SELL)?;
    let report = ops::cross_sell_report(&auth.0, &params).await?;
    if csv {
        return super::analytics_csv::cross_sell(&report);
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Per company or contact (one with `customer_id`), the `top` products it has not bought in
/// the period, scored by the sum of their cosine similarities (over the customers who bought
/// each) to the products it has, with the products that contributed most, so that a
/// salesperson can explain the offer. Customers with the strongest recommendation first.
#[utoipa::path(get, operation_id = "getProductRecommendations", path = "/api/v1/analytics/recommendations", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CustomerParams, RecommendationParams, PageParams, CustomerRecommendationParams),
    responses((status = 200, description = "The report", body = RecommendationReport), ReadErrors))]
pub async fn recommendations(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<RecommendationReport>, ApiError> {
    let params = query.into_inner().into_params(q::RECOMMENDATIONS)?;
    Ok(Json(ops::recommendation_report(&auth.0, &params).await?))
}

/// Retention of companies or contacts: cohorts by the month of each customer's first order
/// ever (those whose first month lies in the period), the share of each that ordered in each
/// later month (up to `periods`), and churn per month: customers active at its start (an order
/// within `inactive_days` before it) who are no longer active at the next month's start.
#[utoipa::path(get, operation_id = "getRetentionAnalysis", path = "/api/v1/analytics/retention", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, CustomerParams, InactiveParams, PeriodsParams, SvgFormatParams),
    responses((status = 200, description = "The report; `format=svg`: the cohort heat map", content((RetentionReport = "application/json"), (super::analytics_svg::Svg = "image/svg+xml"))), ReadErrors))]
pub async fn retention(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, format) = query
        .into_inner()
        .into_params_as(q::RETENTION, &[Format::Json, Format::Svg])?;
    let report = ops::retention_report(&auth.0, &params).await?;
    match format {
        Format::Svg => Ok(super::analytics_svg::response(
            super::analytics_svg::cohorts(&report)?,
        )),
        _ => Ok(HttpResponse::Ok().json(report)),
    }
}

/// A pipeline's funnel over the period: per stage, the deals that entered it, their conversion
/// to a later stage that is not lost, and the average and median days in it; the win rate,
/// average won deal size (base currency at the close day's rate), sales cycle and pipeline
/// velocity (open deals x average size x win rate / cycle days) of the deals closed in the
/// period; and lead conversion by source channel. The weighted forecast is
/// `GET /api/v1/analytics/forecast`.
#[utoipa::path(get, operation_id = "getFunnelAnalysis", path = "/api/v1/analytics/funnel", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, PipelineParams, SvgFormatParams),
    responses((status = 200, description = "The report; `format=svg`: the funnel chart", content((FunnelReport = "application/json"), (super::analytics_svg::Svg = "image/svg+xml"))), ReadErrors))]
pub async fn funnel(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (params, format) = query
        .into_inner()
        .into_params_as(q::FUNNEL, &[Format::Json, Format::Svg])?;
    let report = ops::funnel_report(&auth.0, &params).await?;
    match format {
        Format::Svg => Ok(super::analytics_svg::response(
            super::analytics_svg::funnel(&report)?,
        )),
        _ => Ok(HttpResponse::Ok().json(report)),
    }
}

/// The dashboard: every analysis's headline figures over one period (ABC, XYZ, RFM,
/// retention, the default pipeline's funnel, profitability), as sections with stable keys; later domains add
/// their own sections. Each section links its full report and says when it was computed: with
/// the default parameters, while the analytics refresh is enabled, the sections come from its
/// last run (monthly revenue, from the rollups, is always computed now); any other parameter
/// computes the sections now. `sections=abc,retention` answers and computes only those.
#[utoipa::path(get, operation_id = "getAnalyticsOverview", path = "/api/v1/analytics/overview", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, SubjectParams, AbcParams, XyzParams, InactiveParams, PipelineParams, SectionsParams),
    responses((status = 200, description = "The overview", body = Overview), ReadErrors))]
pub async fn overview(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<Overview>, ApiError> {
    let mut query = query.into_inner();
    let only = query.sections.take().map(|s| {
        s.split(',')
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect::<Vec<_>>()
    });
    let params = query.into_params(q::OVERVIEW)?;
    let sections = ops::default_sections();
    Ok(Json(
        ops::overview(&auth.0, &params, &sections, only.as_deref()).await?,
    ))
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

/// An exchange-rate file, in the document.
pub struct RatesCsv;

impl utoipa::PartialSchema for RatesCsv {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        super::export::text_schema(
            "RFC 4180 CSV, UTF-8: a header row naming currency, date (YYYY-MM-DD) and rate in any order (other columns are ignored), then 1 to 1,000 rates; the row after the header is /rates/0 in errors.",
            "currency,date,rate\nUSD,2026-01-02,0.9231\nGBP,2026-01-02,1.1702\n",
        )
    }
}

impl utoipa::ToSchema for RatesCsv {}

/// Writes the exchange rates of a CSV file (admins), all or none, as `PUT` does: a central
/// bank's or an ERP's export with a header row naming `currency`, `date` and `rate`. The body
/// is the file itself, as `text/csv` or `application/octet-stream` (what generated clients
/// send for a file).
#[utoipa::path(post, operation_id = "importExchangeRates", path = "/api/v1/exchange-rates/import", tag = "analytics", security(("bearer" = [])),
    request_body(content = RatesCsv, content_type = "application/octet-stream", description = "The CSV file's bytes; sent as `text/csv` or `application/octet-stream`"),
    responses((status = 200, description = "The rates as stored", body = ExchangeRatesWritten), WriteErrors))]
pub async fn import_rates(
    auth: Authenticated,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<Json<ExchangeRatesWritten>, ApiError> {
    // The caller's right first, as the imports do: a viewer learns 403, not how to send.
    auth.0.require(crm_core::Action::Configure)?;
    let csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("application/octet-stream"));
    if !csv {
        return Err(ApiError(crm_core::Error::new(
            crm_core::Code::UnsupportedMediaType,
            "send the file as text/csv or application/octet-stream",
        )));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError(crm_core::Error::invalid_field(
            "/file",
            "invalid_encoding",
            "must be UTF-8",
        ))
    })?;
    let data = ops::import_exchange_rates(&auth.0, text).await?;
    Ok(Json(ExchangeRatesWritten { data }))
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
