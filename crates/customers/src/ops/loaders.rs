//! Batch reads for GraphQL DataLoaders: one statement per relation, whatever the page size.

use super::{companies, contacts};
use crate::dto::{Company, Contact};
use crate::error::Result;
use crate::model::{company, contact};
use crm_core::{Action, Ctx};
use sea_orm::{DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement};
use std::collections::HashMap;
use uuid::Uuid;

/// Live companies by id.
pub async fn companies_by_ids(ctx: &Ctx, ids: &[Uuid]) -> Result<HashMap<Uuid, Company>> {
    ctx.require(Action::Read)?;
    // By primary key alone; organization and deletion are checked on each row.
    let backend = ctx.db.get_database_backend();
    let rows = company::Entity::find()
        .filter(crm_core::id_set::id_in(backend, "id", ids))
        .all(&ctx.reads)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.org_id == ctx.org_id() && r.deleted_at.is_none())
        .map(|r| (r.id, companies::to_dto(r)))
        .collect())
}

/// The newest `first` live contacts of each company, in one statement.
pub async fn contacts_by_company(
    ctx: &Ctx,
    company_ids: &[Uuid],
    first: u64,
) -> Result<HashMap<Uuid, Vec<Contact>>> {
    ctx.require(Action::Read)?;
    if company_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = ctx.db.get_database_backend();
    let mark = |i: usize| match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    };
    // The model's columns only (not the stored search vector).
    let columns: Vec<String> = <contact::Column as sea_orm::Iterable>::iter()
        .map(|c| format!("c.{}", sea_orm::IdenStatic::as_str(&c)))
        .collect();
    let sql = format!(
        "SELECT * FROM (SELECT {}, ROW_NUMBER() OVER (PARTITION BY c.company_id ORDER BY c.created_at DESC, c.id DESC) AS rn \
         FROM contacts c WHERE c.org_id = {} AND c.deleted_at IS NULL AND {}) ranked WHERE rn <= {} \
         ORDER BY company_id, rn",
        columns.join(", "),
        mark(1),
        crm_core::id_set::id_in_sql(backend, "c.company_id", &mark(2)),
        mark(3),
    );
    let mut values: Vec<sea_orm::Value> = vec![ctx.org_id().into()];
    values.push(crm_core::id_set::id_set_value(backend, company_ids));
    values.push(i64::try_from(first).unwrap_or(i64::MAX).into());
    let rows =
        contact::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(&ctx.reads)
            .await?;
    let mut out: HashMap<Uuid, Vec<Contact>> = HashMap::new();
    for row in rows {
        if let Some(company_id) = row.company_id {
            out.entry(company_id)
                .or_default()
                .push(contacts::to_dto(row));
        }
    }
    Ok(out)
}

/// How a company's contacts are ordered as a nested list: newest first, as the contact list's
/// `sort=-created_at`, so its cursors and the list's are the same.
const COMPANY_CONTACTS_SORT: &str = "-created_at";

/// The cursor of a contact in its company's contacts (and in the contact list sorted by
/// `-created_at`).
pub fn company_contact_cursor(c: &Contact) -> Result<String> {
    Ok(crm_core::list::cursor_after(
        &super::CONTACT_FIELDS,
        COMPANY_CONTACTS_SORT,
        c,
        c.id,
    )?)
}

/// The page of a company's live contacts after `cursor` (one from
/// [`company_contact_cursor`]), newest first.
pub async fn company_contacts_after(
    ctx: &Ctx,
    company_id: Uuid,
    first: u64,
    cursor: &str,
) -> Result<crm_core::Page<Contact>> {
    let params = crm_core::list::ListParams {
        filters: vec![("company_id".into(), company_id.to_string())],
        sort: Some(COMPANY_CONTACTS_SORT.into()),
        page: crm_core::PageRequest {
            limit: Some(first),
            cursor: Some(cursor.to_owned()),
            edge_cursors: true,
            bulk: false,
        },
        ..Default::default()
    };
    contacts::list_contacts(ctx, &params).await
}
