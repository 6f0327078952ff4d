//! The query string of the analytics reports: one parser for every report's parameters, each
//! report naming those it takes (another's is a 422, as an unknown parameter is), and the
//! parameter groups the OpenAPI document lists per report.

use super::problem::ApiError;
use crm_analytics::{
    AnalysisParams, AnalysisSubject, ItemFilter, ItemFilterOp, ItemQuery, TimeUnit,
};
use crm_core::{Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

/// ABC: its thresholds, CSV and paging.
pub const ABC: &[&str] = &[
    "subject", "a", "b", "format", "offset", "limit", "sort", "filters",
];
/// XYZ: its thresholds, CSV and paging.
pub const XYZ: &[&str] = &[
    "subject", "x", "y", "format", "offset", "limit", "sort", "filters",
];
/// The ABC-XYZ matrix: both reports' thresholds, JSON or SVG.
pub const MATRIX: &[&str] = &["subject", "a", "b", "x", "y", "format"];
/// RFM: CSV and paging.
pub const RFM: &[&str] = &["subject", "format", "offset", "limit", "sort", "filters"];
/// Lifetime value: the models' settings, the simple model's churn window, CSV and paging.
pub const CLV: &[&str] = &[
    "subject",
    "horizon_months",
    "discount_rate",
    "time_unit",
    "inactive_days",
    "format",
    "offset",
    "limit",
    "sort",
    "filters",
];
/// Cross-sell rules: the minimums, CSV and paging (always products).
pub const CROSS_SELL: &[&str] = &[
    "min_support",
    "min_confidence",
    "min_lift",
    "format",
    "offset",
    "limit",
    "sort",
    "filters",
];
/// Recommendations: one customer, how many, paging.
pub const RECOMMENDATIONS: &[&str] = &[
    "subject",
    "customer_id",
    "top",
    "offset",
    "limit",
    "sort",
    "filters",
];
/// Retention: the churn window and the cohorts' months.
pub const RETENTION: &[&str] = &["subject", "inactive_days", "periods", "format"];
/// Profitability: only the unprofitable, CSV and paging.
pub const PROFITABILITY: &[&str] = &[
    "subject",
    "unprofitable",
    "format",
    "offset",
    "limit",
    "sort",
    "filters",
];
/// Monthly revenue: whose, one of them, paging.
pub const MONTHLY: &[&str] = &["subject", "id", "offset", "limit", "sort", "filters"];
/// The funnel: the pipeline.
pub const FUNNEL: &[&str] = &["pipeline_id", "format"];
/// The overview: what its sections take.
pub const OVERVIEW: &[&str] = &[
    "subject",
    "a",
    "b",
    "x",
    "y",
    "inactive_days",
    "pipeline_id",
];

/// The parameters of an analysis, as the query string carries them. Any other parameter is
/// a filter on the report's items (`field=value`, `field[op]=value`) where the report takes
/// them (`filters` in its list), and a 422 elsewhere.
#[derive(Debug, Deserialize)]
pub struct AnalysisQuery {
    /// What to classify: `products`, `companies` or `contacts` (default `companies`).
    pub subject: Option<String>,
    /// The first day of the period (default: the first day of the 12th month before the
    /// reference date's month).
    pub from: Option<String>,
    /// The day after the period, exclusive (default: the first day of the reference date's
    /// month).
    pub to: Option<String>,
    /// The day the default period is counted back from (default: today).
    pub reference_date: Option<String>,
    /// ABC: the share of revenue class A covers, 0 to 1 (default 0.8).
    pub a: Option<String>,
    /// ABC: the share of revenue classes A and B cover, above `a`, at most 1 (default 0.95).
    pub b: Option<String>,
    /// XYZ: the largest coefficient of variation of class X, 0 to 1 (default 0.10).
    pub x: Option<String>,
    /// XYZ: the largest coefficient of variation of class Y, above `x`, at most 1 (default
    /// 0.25).
    pub y: Option<String>,
    /// Retention: days without an order after which a customer counts as churned, 1 to 3650
    /// (default 90).
    pub inactive_days: Option<String>,
    /// Retention: months after each cohort's first reported, 0 to 120 (default 12).
    pub periods: Option<String>,
    /// Funnel: the pipeline (default: the default pipeline).
    pub pipeline_id: Option<String>,
    /// Lifetime value: the months ahead the expectations cover, 1 to 120 (default 12).
    pub horizon_months: Option<String>,
    /// Lifetime value: the discount rate per month, 0 to 1 (default 0.01).
    pub discount_rate: Option<String>,
    /// Lifetime value: the models' time unit, `weeks` (default) or `days`.
    pub time_unit: Option<String>,
    /// Cross-sell: the least support of a rule, 0 to 1 (default 0.01).
    pub min_support: Option<String>,
    /// Cross-sell: the least confidence of a rule, 0 to 1 (default 0.1).
    pub min_confidence: Option<String>,
    /// Cross-sell: the least lift of a rule, 0 to 1000 (default 1).
    pub min_lift: Option<String>,
    /// Recommendations: only this company's or contact's.
    pub customer_id: Option<String>,
    /// Recommendations: the most per customer, 1 to 50 (default 5).
    pub top: Option<String>,
    /// Profitability: `true` lists only the customers who cost more than they bring.
    pub unprofitable: Option<String>,
    /// Monthly revenue: only this company's, contact's or product's months (with `subject`).
    pub id: Option<String>,
    /// `json` (default), `csv` (every item, no paging) or `svg` (the chart), as each report
    /// lists.
    pub format: Option<String>,
    /// Items of the report skipped (default 0).
    pub offset: Option<String>,
    /// Items in the page, 1 to 1000 (default 100).
    pub limit: Option<String>,
    /// The items' sort keys (`-revenue,name`).
    pub sort: Option<String>,
    /// The overview: only these sections, by key, comma-separated.
    pub sections: Option<String>,
    /// Every other parameter: filters on the items, by name.
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, String>,
}

pub(crate) fn parsed<T: std::str::FromStr>(
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
    /// Every parameter the caller sent, by name.
    fn sent(&self) -> Vec<&'static str> {
        [
            ("subject", self.subject.is_some()),
            ("a", self.a.is_some()),
            ("b", self.b.is_some()),
            ("x", self.x.is_some()),
            ("y", self.y.is_some()),
            ("inactive_days", self.inactive_days.is_some()),
            ("periods", self.periods.is_some()),
            ("pipeline_id", self.pipeline_id.is_some()),
            ("horizon_months", self.horizon_months.is_some()),
            ("discount_rate", self.discount_rate.is_some()),
            ("time_unit", self.time_unit.is_some()),
            ("min_support", self.min_support.is_some()),
            ("min_confidence", self.min_confidence.is_some()),
            ("min_lift", self.min_lift.is_some()),
            ("customer_id", self.customer_id.is_some()),
            ("top", self.top.is_some()),
            ("unprofitable", self.unprofitable.is_some()),
            ("id", self.id.is_some()),
            ("offset", self.offset.is_some()),
            ("limit", self.limit.is_some()),
            ("sort", self.sort.is_some()),
            ("sections", self.sections.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, sent)| sent.then_some(name))
        .collect()
    }

    /// A 422 naming every parameter sent that the report does not take (`format` is checked
    /// apart: `json` is every report's).
    fn check(&self, takes: &[&str]) -> Result<(), ApiError> {
        let filters = takes.contains(&"filters");
        let errors: Vec<FieldError> = self
            .sent()
            .into_iter()
            .map(str::to_owned)
            .filter(|name| !takes.contains(&name.as_str()))
            .chain(self.rest.keys().filter(|_| !filters).cloned())
            .map(|name| {
                FieldError::new(
                    format!("/{name}"),
                    "unknown_field",
                    "is not a parameter of this endpoint",
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError(Error::validation(errors)))
        }
    }

    /// The domain's parameters and whether CSV was asked for; a value that does not parse is a
    /// 422 naming it.
    /// The domain's parameters and the answer's format, one of `formats` (a 422 naming the
    /// others); CSV lists every item, whatever the page.
    pub fn into_params_as(
        self,
        takes: &[&str],
        formats: &[Format],
    ) -> Result<(AnalysisParams, Format), ApiError> {
        let format = match self.format.as_deref().map(str::trim) {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("svg") => Format::Svg,
            Some(_) => Format::Unknown,
        };
        if !formats.contains(&format) {
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            return Err(ApiError(Error::invalid_field(
                "/format",
                "invalid_value",
                format!("must be {}", names.join(" or ")),
            )));
        }
        let mut query = self;
        query.format = None;
        let mut params = query.into_params(takes)?;
        params.unpaged = format == Format::Csv;
        Ok((params, format))
    }

    pub fn into_params_and_format(
        self,
        takes: &[&str],
    ) -> Result<(AnalysisParams, bool), ApiError> {
        let (params, format) = self.into_params_as(takes, &[Format::Json, Format::Csv])?;
        Ok((params, format == Format::Csv))
    }

    /// The domain's parameters for a report that `takes` the named parameters (besides the
    /// period, which every report takes); another report's parameter, or a value that does
    /// not parse, is a 422 naming it.
    pub fn into_params(self, takes: &[&str]) -> Result<AnalysisParams, ApiError> {
        self.check(takes)?;
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
        let time_unit = match self.time_unit.as_deref() {
            None => None,
            Some(s) => Some(TimeUnit::parse(s.trim()).ok_or_else(|| {
                ApiError(Error::invalid_field(
                    "/time_unit",
                    "invalid_value",
                    "must be weeks or days",
                ))
            })?),
        };
        let date = "a date such as 2026-01-31";
        let number = "a number such as 0.8";
        let items = item_query(self.sort.as_deref(), self.rest)?;
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
            horizon_months: parsed(
                self.horizon_months,
                "/horizon_months",
                "a whole number of months",
            )?,
            discount_rate: parsed(self.discount_rate, "/discount_rate", number)?,
            time_unit,
            min_support: parsed(self.min_support, "/min_support", number)?,
            min_confidence: parsed(self.min_confidence, "/min_confidence", number)?,
            min_lift: parsed(self.min_lift, "/min_lift", number)?,
            customer_id: parsed(
                self.customer_id,
                "/customer_id",
                "a company's or contact's id",
            )?,
            top: parsed(self.top, "/top", "a whole number from 1 to 50")?,
            unprofitable: parsed(self.unprofitable, "/unprofitable", "true or false")?
                .unwrap_or(false),
            id: parsed(self.id, "/id", "a company's, contact's or product's id")?,
            items,
        })
    }
}

/// The items' sort keys (a `sort` parameter) and filters (the query string's other
/// parameters) of a report.
pub(crate) fn item_query(
    sort: Option<&str>,
    rest: std::collections::BTreeMap<String, String>,
) -> Result<ItemQuery, ApiError> {
    Ok(ItemQuery {
        sort: sort.map(ItemQuery::parse_sort).unwrap_or_default(),
        filters: filters(rest)?,
    })
}

/// The item filters among the query string's other parameters: `field=value` (equality) or
/// `field[op]=value`; an unknown operator is a 422 naming the parameter.
fn filters(rest: std::collections::BTreeMap<String, String>) -> Result<Vec<ItemFilter>, ApiError> {
    let mut out = Vec::with_capacity(rest.len());
    let mut errors = Vec::new();
    for (key, value) in rest {
        let (field, op) = match key.strip_suffix(']').and_then(|k| k.split_once('[')) {
            Some((field, op)) => match ItemFilterOp::parse(op) {
                Some(op) => (field.to_owned(), op),
                None => {
                    errors.push(FieldError::new(
                        format!("/{key}"),
                        "invalid_operator",
                        "the operator must be eq, ne, gt, gte, lt, lte, in, contains, \
                         starts_with or is_null",
                    ));
                    continue;
                }
            },
            None => (key, ItemFilterOp::Eq),
        };
        out.push(ItemFilter { field, op, value });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError(Error::validation(errors)))
    }
}

/// What a report answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The report as JSON.
    Json,
    /// Its items as CSV.
    Csv,
    /// Its chart as SVG.
    Svg,
    /// Something else (always refused).
    Unknown,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Svg => "svg",
            Format::Unknown => "?",
        }
    }
}

/// The period every report covers (documentation of the query string; parsed by
/// `AnalysisQuery`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PeriodParams {
    /// The first day of the period (default: the first day of the 12th month before the
    /// reference date's month); a year from 1900 to 2100.
    #[param(pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    from: Option<chrono::NaiveDate>,
    /// The day after the period, exclusive (default: the first day of the reference date's
    /// month); a year from 1900 to 2100.
    #[param(pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    to: Option<chrono::NaiveDate>,
    /// The day the default period is counted back from (default: today); a year from 1900 to
    /// 2100.
    #[param(pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    reference_date: Option<chrono::NaiveDate>,
}

/// What a report classifies.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SubjectParams {
    /// `products`, `companies` or `contacts` (default `companies`; reports about customers
    /// refuse products).
    subject: Option<AnalysisSubject>,
}

/// Which customers a report is about.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum CustomerSubject {
    /// Companies, by the orders they placed.
    Companies,
    /// Contacts, by the orders they placed.
    Contacts,
}

/// Which customers a report about customers covers.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CustomerParams {
    /// `companies` (default) or `contacts`.
    subject: Option<CustomerSubject>,
}

/// A page of a report's items, or every item as CSV.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MonthlyParams {
    /// Whose months: `companies`, `contacts` or `products` (default: the organization as a
    /// whole).
    subject: Option<AnalysisSubject>,
    /// Only this company's, contact's or product's months (with `subject`).
    id: Option<Uuid>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Items of the report skipped (default 0).
    #[param(minimum = 0)]
    offset: Option<u32>,
    /// Items in the page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// JSON, CSV or the chart.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FormatParams {
    /// `json` (default), `csv` (every item, whatever the page) or `svg` (the report's chart).
    #[param(pattern = "^(json|csv|svg)$")]
    format: Option<String>,
}

/// JSON or CSV.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CsvFormatParams {
    /// `json` (default) or `csv` (every item, whatever the page).
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// JSON or the chart.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SvgFormatParams {
    /// `json` (default) or `svg` (the report's chart).
    #[param(pattern = "^(json|svg)$")]
    format: Option<String>,
}

/// ABC thresholds.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AbcParams {
    /// The share of revenue class A covers, 0 to 1 (default 0.8).
    #[param(minimum = 0.0, maximum = 1.0)]
    a: Option<f64>,
    /// The share of revenue classes A and B cover, above `a`, at most 1 (default 0.95).
    #[param(minimum = 0.0, maximum = 1.0)]
    b: Option<f64>,
}

/// XYZ thresholds.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct XyzParams {
    /// The largest coefficient of variation of class X, 0 to 1 (default 0.10).
    #[param(minimum = 0.0, maximum = 1.0)]
    x: Option<f64>,
    /// The largest coefficient of variation of class Y, above `x`, at most 1 (default 0.25).
    #[param(minimum = 0.0, maximum = 1.0)]
    y: Option<f64>,
}

/// The overview's sections.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SectionsParams {
    /// Only these sections, by key, comma-separated (`abc,retention`): only they are computed
    /// and answered, in the dashboard's order (default: every section). This crate's keys:
    /// `abc`, `xyz`, `rfm`, `retention`, `funnel`, `profitability`, `lifetime_value`,
    /// `next_best_actions`, `monthly_revenue`; an unknown key is a 422 listing them.
    #[param(
        example = "abc,retention",
        pattern = r"^(abc|xyz|rfm|retention|funnel|profitability|lifetime_value|next_best_actions|monthly_revenue)(,(abc|xyz|rfm|retention|funnel|profitability|lifetime_value|next_best_actions|monthly_revenue))*$"
    )]
    sections: Option<String>,
}

/// The churn window.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InactiveParams {
    /// Days without an order after which a customer counts as churned, 1 to 3650 (default
    /// 90).
    #[param(minimum = 1, maximum = 3650)]
    inactive_days: Option<u32>,
}

/// The retention cohorts' months.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PeriodsParams {
    /// Months after each cohort's first reported, 0 to 120 (default 12).
    #[param(minimum = 0, maximum = 120)]
    periods: Option<u32>,
}

/// The funnel's pipeline.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PipelineParams {
    /// The pipeline (default: the default pipeline).
    pipeline_id: Option<Uuid>,
}

/// The lifetime-value models' settings.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ClvParams {
    /// The months ahead the expectations cover, 1 to 120 (default 12).
    #[param(minimum = 1, maximum = 120)]
    horizon_months: Option<u32>,
    /// The discount rate per month, 0 to 1 (default 0.01).
    #[param(minimum = 0.0, maximum = 1.0)]
    discount_rate: Option<f64>,
    /// The models' time unit, `weeks` (default) or `days`.
    time_unit: Option<TimeUnit>,
}

/// The cross-sell rules' minimums.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CrossSellParams {
    /// The least support of a rule, 0 to 1 (default 0.01).
    #[param(minimum = 0.0, maximum = 1.0)]
    min_support: Option<f64>,
    /// The least confidence of a rule, 0 to 1 (default 0.1).
    #[param(minimum = 0.0, maximum = 1.0)]
    min_confidence: Option<f64>,
    /// The least lift of a rule, 0 to 1000 (default 1).
    #[param(minimum = 0.0, maximum = 1000.0)]
    min_lift: Option<f64>,
}

/// Whose recommendations, and how many.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RecommendationParams {
    /// Only this company's or contact's.
    customer_id: Option<Uuid>,
    /// The most per customer, 1 to 50 (default 5).
    #[param(minimum = 1, maximum = 50)]
    top: Option<u32>,
}

/// Which customers profitability lists.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProfitParams {
    /// `true`: only the customers who cost more than they bring (default `false`).
    unprofitable: Option<bool>,
}

/// The sort parameter of a report's items, documented with the fields it takes.
macro_rules! item_params {
    ($name:ident, $doc:literal, $pattern:literal) => {
        /// Sorting and filtering the report's items.
        #[derive(utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        #[allow(dead_code)]
        pub struct $name {
            #[doc = $doc]
            #[param(pattern = $pattern)]
            sort: Option<String>,
        }
    };
}
item_params!(
    AbcItemParams,
    "The items' sort keys, comma-separated, `-` for descending (`-revenue,id`), of: rank, id, name, revenue, share, cumulative_share, class. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the items that match.",
    r"^-?(cumulative_share|revenue|share|class|rank|name|id)(,-?(cumulative_share|revenue|share|class|rank|name|id))*$"
);
item_params!(
    XyzItemParams,
    "The items' sort keys, comma-separated, `-` for descending (`-std_dev,id`), of: id, name, mean, std_dev, cv, class. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the items that match.",
    r"^-?(std_dev|class|name|mean|id|cv)(,-?(std_dev|class|name|mean|id|cv))*$"
);
item_params!(
    RfmItemParams,
    "The items' sort keys, comma-separated, `-` for descending (`-recency_days,id`), of: id, name, last_order_date, recency_days, frequency, monetary, r, f, m, score, segment. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the items that match.",
    r"^-?(last_order_date|recency_days|frequency|monetary|segment|score|name|id|r|f|m)(,-?(last_order_date|recency_days|frequency|monetary|segment|score|name|id|r|f|m))*$"
);
item_params!(
    ClvItemParams,
    "The items' sort keys, comma-separated, `-` for descending (`-last_purchase,id`), of: id, name, first_purchase, last_purchase, purchases, repeat_purchases, recency, age, revenue, cost_of_goods, uncosted_lines, margin, average_repeat_spend, expected_purchases, p_alive, expected_spend, clv, simple_clv, history_truncated. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the items that match.",
    r"^-?(average_repeat_spend|expected_purchases|history_truncated|repeat_purchases|first_purchase|uncosted_lines|expected_spend|last_purchase|cost_of_goods|simple_clv|purchases|recency|revenue|p_alive|margin|name|age|clv|id)(,-?(average_repeat_spend|expected_purchases|history_truncated|repeat_purchases|first_purchase|uncosted_lines|expected_spend|last_purchase|cost_of_goods|simple_clv|purchases|recency|revenue|p_alive|margin|name|age|clv|id))*$"
);
item_params!(
    ProfitItemParams,
    "The items' sort keys, comma-separated, `-` for descending (`-cost_of_goods,id`), of: id, name, revenue, cost_of_goods, uncosted_lines, gross_margin, cost_to_serve, profit, profit_ratio. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the items that match.",
    r"^-?(uncosted_lines|cost_of_goods|cost_to_serve|gross_margin|profit_ratio|revenue|profit|name|id)(,-?(uncosted_lines|cost_of_goods|cost_to_serve|gross_margin|profit_ratio|revenue|profit|name|id))*$"
);
item_params!(
    RuleItemParams,
    "The rules' sort keys, comma-separated, `-` for descending (`-confidence,lift`), of: antecedent_id, antecedent_name, consequent_id, consequent_name, antecedent_orders, consequent_orders, both_orders, support, confidence, lift. Ties keep the report's order; items without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the rules that match.",
    r"^-?(antecedent_orders|consequent_orders|antecedent_name|consequent_name|antecedent_id|consequent_id|both_orders|confidence|support|lift)(,-?(antecedent_orders|consequent_orders|antecedent_name|consequent_name|antecedent_id|consequent_id|both_orders|confidence|support|lift))*$"
);
item_params!(
    CustomerRecommendationParams,
    "The customers' sort keys, comma-separated, `-` for descending (`-products_bought,name`), of: id, name, products_bought. Ties keep the report's order (strongest recommendation first); customers without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the customers that match.",
    r"^-?(products_bought|name|id)(,-?(products_bought|name|id))*$"
);
item_params!(
    MonthlyItemParams,
    "The rows' sort keys, comma-separated, `-` for descending (`-revenue,month`), of: id, month, revenue, orders, orders_without_rate, lines, quantity. Ties keep the `(id, month)` order; rows without a value come last. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (the month, ignoring case), is_null (`true` or `false`); `row_count` then counts the rows that match. Sorting and filtering run in the database: on SQLite, revenue and quantity compare as doubles.",
    r"^-?(orders_without_rate|quantity|revenue|orders|month|lines|id)(,-?(orders_without_rate|quantity|revenue|orders|month|lines|id))*$"
);
item_params!(
    ActionItemParams,
    "The actions' sort keys, comma-separated, `-` for descending (`-churn_risk,rank`), of: rank, customer_id, customer_name, rule, title, reason, abc_class, rfm_segment, clv, churn_risk, product_id, product_name, product_score. Ties keep the ranking; actions without a value come last; `rank` stays each action's place in the whole ranking. Any of these fields is also a filter: `field=value` (equal) or `field[op]=value` with `op` one of eq, ne, gt, gte, lt, lte, in (comma-separated values), contains and starts_with (text, ignoring case), is_null (`true` or `false`); `row_count` then counts the actions that match.",
    r"^-?(customer_name|product_score|product_name|customer_id|rfm_segment|churn_risk|product_id|abc_class|reason|title|rank|rule|clv)(,-?(customer_name|product_score|product_name|customer_id|rfm_segment|churn_risk|product_id|abc_class|reason|title|rank|rule|clv))*$"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_section_keys_are_the_registrys() {
        let params = <SectionsParams as utoipa::IntoParams>::into_params(|| None);
        let json = serde_json::to_value(&params[0]).unwrap();
        let pattern = json["schema"]["pattern"].as_str().unwrap().to_owned();
        let keys: Vec<&str> = crm_analytics::ops::default_sections()
            .iter()
            .map(|s| s.key)
            .collect();
        let listed = format!("^({})(,({}))*$", keys.join("|"), keys.join("|"));
        assert_eq!(
            pattern, listed,
            "the overview's sections changed: document them"
        );
    }
}
