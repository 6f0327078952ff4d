//! Merges that carry activities along: merging two contacts (or companies) moves the merged
//! record's activities and timeline links to the survivor, in the merge's transaction.

use crate::error::Result;
use crm_core::Ctx;
use crm_core::db::begin_write;
use crm_customers::{Company, Contact, MergeInput, ops as customers};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement};
use uuid::Uuid;

async fn move_links(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    record_type: &str,
    column: &str,
    from: Uuid,
    to: Uuid,
) -> Result<()> {
    let backend = tx.get_database_backend();
    // Parameters are reused, so they are numbered on both engines.
    let p = |i: usize| match backend {
        sea_orm::DbBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    };
    let run = |sql: String| {
        Statement::from_sql_and_values(
            backend,
            sql,
            [
                ctx.org_id().into(),
                record_type.into(),
                from.into(),
                to.into(),
            ],
        )
    };
    // Activities linked to both keep their survivor link; the others are re-pointed.
    tx.execute_raw(run(format!(
        "DELETE FROM activity_links WHERE org_id = {o} AND record_type = {t} AND record_id = {f} AND activity_id IN \
         (SELECT activity_id FROM activity_links WHERE org_id = {o} AND record_type = {t} AND record_id = {s})",
        o = p(1), t = p(2), f = p(3), s = p(4)
    )))
    .await?;
    tx.execute_raw(run(format!(
        "UPDATE activity_links SET record_id = {s} WHERE org_id = {o} AND record_type = {t} AND record_id = {f}",
        o = p(1), t = p(2), f = p(3), s = p(4)
    )))
    .await?;
    tx.execute_raw(run(format!(
        "UPDATE activities SET {column} = {s} WHERE org_id = {o} AND {column} = {f} AND {t} IS NOT NULL",
        o = p(1), t = p(2), f = p(3), s = p(4)
    )))
    .await?;
    Ok(())
}

/// Merges contact `input.source_id` into `survivor_id`, moving its activities along.
pub async fn merge_contacts(ctx: &Ctx, survivor_id: Uuid, input: MergeInput) -> Result<Contact> {
    let tx = begin_write(&ctx.db).await?;
    let source = input.source_id;
    let merged = customers::merge_contacts_in(&tx, ctx, survivor_id, input).await?;
    move_links(&tx, ctx, "contact", "contact_id", source, survivor_id).await?;
    tx.commit().await?;
    Ok(merged)
}

/// Merges company `input.source_id` into `survivor_id`, moving its contacts and activities.
pub async fn merge_companies(ctx: &Ctx, survivor_id: Uuid, input: MergeInput) -> Result<Company> {
    let tx = begin_write(&ctx.db).await?;
    let source = input.source_id;
    let merged = customers::merge_companies_in(&tx, ctx, survivor_id, input).await?;
    move_links(&tx, ctx, "company", "company_id", source, survivor_id).await?;
    tx.commit().await?;
    Ok(merged)
}
