//! Lookups other domains use to link their records to customers.

use super::common::phone_search;
use crate::error::Result;
use crate::model::{company, contact};
use crm_core::{Action, Ctx};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// A live contact and its company.
#[derive(Debug, Clone, Copy)]
pub struct ContactRef {
    /// The contact.
    pub id: Uuid,
    /// Its company, if any.
    pub company_id: Option<Uuid>,
}

/// A live contact of the caller's organization, if it exists.
pub async fn contact_ref(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<Option<ContactRef>> {
    ctx.require(Action::Read)?;
    Ok(contact::Entity::find_by_id(id)
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map(|c| ContactRef {
            id: c.id,
            company_id: c.company_id,
        }))
}

/// Whether a live company of the caller's organization has this id.
pub async fn company_is_live(db: &impl ConnectionTrait, ctx: &Ctx, id: Uuid) -> Result<bool> {
    ctx.require(Action::Read)?;
    Ok(company::Entity::find_by_id(id)
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// A condition, for another domain's statement, that a live contact of the caller's
/// organization has this id (an uncorrelated `EXISTS`, evaluated once per statement).
pub fn contact_is_live_expr(ctx: &Ctx, id: Uuid) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(contact::Entity)
            .and_where(contact::Column::Id.eq(id))
            .and_where(contact::Column::OrgId.eq(ctx.org_id()))
            .and_where(contact::Column::DeletedAt.is_null())
            .to_owned(),
    )
}

/// A condition, for another domain's statement, that a live company of the caller's
/// organization has this id (an uncorrelated `EXISTS`, evaluated once per statement).
pub fn company_is_live_expr(ctx: &Ctx, id: Uuid) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(company::Entity)
            .and_where(company::Column::Id.eq(id))
            .and_where(company::Column::OrgId.eq(ctx.org_id()))
            .and_where(company::Column::DeletedAt.is_null())
            .to_owned(),
    )
}

/// The live contact with this email (any case) or phone (any format that normalises to the same
/// E.164 number); the most recently changed when several match.
pub async fn contact_by_email_or_phone(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<Option<ContactRef>> {
    ctx.require(Action::Read)?;
    let mut query = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::DeletedAt.is_null());
    if let Some(email) = email {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(contact::Column::Email)))
                .eq(email.trim().to_lowercase()),
        );
    } else if let Some(phone) = phone {
        let normalised = phonenumber::parse(None, phone.trim())
            .ok()
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
            .unwrap_or_else(|| {
                let digits = phone_search(Some(phone));
                format!("+{}", digits.split(' ').next().unwrap_or(""))
            });
        query = query.filter(contact::Column::Phone.eq(normalised));
    } else {
        return Ok(None);
    }
    Ok(query
        .order_by_desc(contact::Column::UpdatedAt)
        .one(db)
        .await?
        .map(|c| ContactRef {
            id: c.id,
            company_id: c.company_id,
        }))
}

/// A live company with this domain (or, without a domain, this exact name, any case).
pub async fn company_by_domain_or_name(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    domain: Option<&str>,
    name: Option<&str>,
) -> Result<Option<Uuid>> {
    ctx.require(Action::Read)?;
    let mut q = company::Entity::find()
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::DeletedAt.is_null());
    if let Some(d) = domain {
        let mut errors = crate::validate::Errors::default();
        let d = crate::validate::domain(Some(d.to_owned()), "/company_domain", &mut errors)
            .unwrap_or_default();
        q = q.filter(company::Column::Domain.eq(d));
    } else if let Some(n) = name {
        q = q.filter(
            Expr::expr(Func::lower(Expr::col(company::Column::Name))).eq(n.trim().to_lowercase()),
        );
    } else {
        return Ok(None);
    }
    Ok(q.order_by_asc(company::Column::Id)
        .one(db)
        .await?
        .map(|c| c.id))
}
