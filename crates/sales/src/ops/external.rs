//! References to records in another system (an ERP's source name and id): their checks, and the
//! lock that makes concurrent upserts of one record take turns.

use crate::error::Result;
use crm_core::Ctx;
use sea_orm::ConnectionTrait;

/// Serialises the upserts of one record by external id within the transaction `tx` (see
/// [`crm_core::db::lock_key`]): concurrent pushes of one ERP record all succeed, and leave one
/// record.
pub async fn lock_external(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    record_type: &str,
    source: &str,
    external_id: &str,
) -> Result<()> {
    let key = format!(
        "upsert:{}:{record_type}:{source}:{external_id}",
        ctx.org_id()
    );
    crm_core::db::lock_key(tx, &key).await?;
    Ok(())
}

/// Checks an external reference: a source system name and the id there.
pub fn check_external(source: &str, id: &str) -> Result<()> {
    Ok(crm_core::batch::check_external(source, id)?)
}
