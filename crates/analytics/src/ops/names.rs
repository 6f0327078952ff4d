//! The names of the items of a report's page: one statement per page.

use crate::dto::AnalysisSubject;
use crate::error::Result;
use crm_core::Ctx;
use crm_core::db::Params;
use sea_orm::{ConnectionTrait, Statement};
use std::collections::HashMap;
use uuid::Uuid;

/// Ids per statement: far below PostgreSQL's 65,535 parameters (a CSV download names every
/// item).
const CHUNK: usize = 1000;

/// The names of `ids`: a product's name, a company's name, a contact's first and last name.
pub(crate) async fn names(
    ctx: &Ctx,
    subject: AnalysisSubject,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(names_of(ctx, subject, chunk).await?);
    }
    Ok(out)
}

async fn names_of(
    ctx: &Ctx,
    subject: AnalysisSubject,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let (table, name) = match subject {
        AnalysisSubject::Products => ("products", "name"),
        AnalysisSubject::Companies => ("companies", "name"),
        AnalysisSubject::Contacts => (
            "contacts",
            "TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))",
        ),
    };
    let mut p = Params::new(backend);
    let org = p.push(ctx.org_id());
    let marks: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let values = p.values;
    let sql = format!(
        "SELECT id, {name} AS name FROM {table} WHERE org_id = {org} AND id IN ({})",
        marks.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let name: Option<String> = row.try_get("", "name")?;
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            out.insert(id, n);
        }
    }
    Ok(out)
}
