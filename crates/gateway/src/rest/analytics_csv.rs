//! The ABC, XYZ, RFM, lifetime-value, profitability and cross-sell reports as CSV downloads
//! (`?format=csv`): every item, one row each, with a header row; the report's parameters are in
//! the file name.

use super::export::text_schema;
use super::problem::ApiError;
use actix_web::HttpResponse;
use crm_analytics::{
    AbcReport, AnalysisScope, ClvReport, CrossSellReport, ProfitReport, RfmReport, XyzReport,
};
use crm_core::Error;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// An ABC report as CSV, in the document.
pub struct AbcCsv;

impl PartialSchema for AbcCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every item of the report in rank order.",
            "rank,id,name,revenue,share,cumulative_share,class\n\
             1,01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Globex,1500.00,0.714286,0.714286,A\n",
        )
    }
}

impl ToSchema for AbcCsv {}

/// An XYZ report as CSV, in the document.
pub struct XyzCsv;

impl PartialSchema for XyzCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every item, steadiest first, one column per month.",
            "id,name,2026-01,2026-02,2026-03,mean,std_dev,cv,class\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Globex,80.00,100.00,120.00,100.00,16.33,0.1633,Y\n",
        )
    }
}

impl ToSchema for XyzCsv {}

/// An RFM report as CSV, in the document.
pub struct RfmCsv;

impl PartialSchema for RfmCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every customer, best scores first.",
            "id,name,last_order_date,recency_days,frequency,monetary,r,f,m,score,segment\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Globex,2026-03-30,2,4,1500.00,5,4,5,545,champions\n",
        )
    }
}

impl ToSchema for RfmCsv {}

/// A lifetime-value report as CSV, in the document.
pub struct ClvCsv;

impl PartialSchema for ClvCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every customer, highest value first; empty cells where a model could not be fitted.",
            "id,name,first_purchase,last_purchase,purchases,repeat_purchases,recency,age,revenue,cost_of_goods,uncosted_lines,margin,average_repeat_spend,expected_purchases,p_alive,expected_spend,clv,simple_clv\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Globex,2026-01-10,2026-05-02,4,3,16,24.71,1200.00,700.00,0,500.00,310.00,5.1,0.93,298.10,1520.40,2856.00\n",
        )
    }
}

impl ToSchema for ClvCsv {}

/// Cross-sell rules as CSV, in the document.
pub struct CrossSellCsv;

impl PartialSchema for CrossSellCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every rule, highest lift first.",
            "antecedent_id,antecedent_name,consequent_id,consequent_name,antecedent_orders,consequent_orders,both_orders,support,confidence,lift\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Pump,01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e10,Seal,10,8,6,0.15,0.6,3\n",
        )
    }
}

impl ToSchema for CrossSellCsv {}

/// Profitability as CSV, in the document.
pub struct ProfitCsv;

impl PartialSchema for ProfitCsv {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: every customer, lowest profit first; `activities` counts every kind.",
            "id,name,revenue,cost_of_goods,uncosted_lines,gross_margin,activities,cost_to_serve,profit,profit_ratio\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Globex,100.00,70.00,0,30.00,12,165.00,-135.00,-1.35\n",
        )
    }
}

impl ToSchema for ProfitCsv {}

fn download(
    name: &str,
    scope: &AnalysisScope,
    rows: Vec<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)
            .map_err(|e| ApiError(Error::internal(format!("csv: {e}"))))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError(Error::internal(format!("csv: {e}"))))?;
    let file = format!(
        "{name}-{}-{}-{}.csv",
        scope.subject.as_str(),
        scope.from,
        scope.to
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("").to_owned()
}

/// The ABC report's items as a CSV download.
pub fn abc(r: &AbcReport) -> Result<HttpResponse, ApiError> {
    let mut rows = vec![
        [
            "rank",
            "id",
            "name",
            "revenue",
            "share",
            "cumulative_share",
            "class",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for i in &r.items {
        rows.push(vec![
            i.rank.to_string(),
            i.id.to_string(),
            opt(i.name.as_deref()),
            i.revenue.clone(),
            i.share.clone(),
            i.cumulative_share.clone(),
            format!("{:?}", i.class),
        ]);
    }
    download("abc", &r.scope, rows)
}

/// The XYZ report's items as a CSV download: a column per month.
pub fn xyz(r: &XyzReport) -> Result<HttpResponse, ApiError> {
    let mut header = vec!["id".to_owned(), "name".to_owned()];
    header.extend(r.months.iter().cloned());
    header.extend(["mean", "std_dev", "cv", "class"].map(str::to_owned));
    let mut rows = vec![header];
    for i in &r.items {
        let mut row = vec![i.id.to_string(), opt(i.name.as_deref())];
        row.extend(i.monthly.iter().cloned());
        row.push(i.mean.clone());
        row.push(i.std_dev.to_string());
        row.push(i.cv.map(|c| c.to_string()).unwrap_or_default());
        row.push(format!("{:?}", i.class));
        rows.push(row);
    }
    download("xyz", &r.scope, rows)
}

/// The RFM report's customers as a CSV download.
pub fn rfm(r: &RfmReport) -> Result<HttpResponse, ApiError> {
    let mut rows = vec![
        [
            "id",
            "name",
            "last_order_date",
            "recency_days",
            "frequency",
            "monetary",
            "r",
            "f",
            "m",
            "score",
            "segment",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for i in &r.items {
        rows.push(vec![
            i.id.to_string(),
            opt(i.name.as_deref()),
            i.last_order_date.to_string(),
            i.recency_days.to_string(),
            i.frequency.to_string(),
            i.monetary.clone(),
            i.r.to_string(),
            i.f.to_string(),
            i.m.to_string(),
            i.score.clone(),
            i.segment.clone(),
        ]);
    }
    download("rfm", &r.scope, rows)
}

/// The lifetime-value report's customers as a CSV download.
pub fn clv(r: &ClvReport) -> Result<HttpResponse, ApiError> {
    let mut rows = vec![
        [
            "id",
            "name",
            "first_purchase",
            "last_purchase",
            "purchases",
            "repeat_purchases",
            "recency",
            "age",
            "revenue",
            "cost_of_goods",
            "uncosted_lines",
            "margin",
            "average_repeat_spend",
            "expected_purchases",
            "p_alive",
            "expected_spend",
            "clv",
            "simple_clv",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for i in &r.items {
        rows.push(vec![
            i.id.to_string(),
            opt(i.name.as_deref()),
            i.first_purchase.to_string(),
            i.last_purchase.to_string(),
            i.purchases.to_string(),
            i.repeat_purchases.to_string(),
            i.recency.to_string(),
            i.age.to_string(),
            i.revenue.clone(),
            i.cost_of_goods.clone(),
            i.uncosted_lines.to_string(),
            i.margin.clone(),
            opt(i.average_repeat_spend.as_deref()),
            number(i.expected_purchases),
            number(i.p_alive),
            opt(i.expected_spend.as_deref()),
            opt(i.clv.as_deref()),
            i.simple_clv.clone(),
        ]);
    }
    download("clv", &r.scope, rows)
}

/// The cross-sell rules as a CSV download.
pub fn cross_sell(r: &CrossSellReport) -> Result<HttpResponse, ApiError> {
    let mut rows = vec![
        [
            "antecedent_id",
            "antecedent_name",
            "consequent_id",
            "consequent_name",
            "antecedent_orders",
            "consequent_orders",
            "both_orders",
            "support",
            "confidence",
            "lift",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for i in &r.items {
        rows.push(vec![
            i.antecedent_id.to_string(),
            opt(i.antecedent_name.as_deref()),
            i.consequent_id.to_string(),
            opt(i.consequent_name.as_deref()),
            i.antecedent_orders.to_string(),
            i.consequent_orders.to_string(),
            i.both_orders.to_string(),
            i.support.to_string(),
            i.confidence.to_string(),
            i.lift.to_string(),
        ]);
    }
    download("cross-sell", &r.scope, rows)
}

/// Profitability as a CSV download.
pub fn profit(r: &ProfitReport) -> Result<HttpResponse, ApiError> {
    let mut rows = vec![
        [
            "id",
            "name",
            "revenue",
            "cost_of_goods",
            "uncosted_lines",
            "gross_margin",
            "activities",
            "cost_to_serve",
            "profit",
            "profit_ratio",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for i in &r.items {
        rows.push(vec![
            i.id.to_string(),
            opt(i.name.as_deref()),
            i.revenue.clone(),
            i.cost_of_goods.clone(),
            i.uncosted_lines.to_string(),
            i.gross_margin.clone(),
            i.activities.values().sum::<i64>().to_string(),
            i.cost_to_serve.clone(),
            i.profit.clone(),
            i.profit_ratio.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    download("profitability", &r.scope, rows)
}
