//! The ABC, XYZ and RFM reports as CSV downloads (`?format=csv`): every item, one row each,
//! with a header row; the report's parameters are in the file name.

use super::export::text_schema;
use super::problem::ApiError;
use actix_web::HttpResponse;
use crm_analytics::{AbcReport, AnalysisScope, RfmReport, XyzReport};
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
