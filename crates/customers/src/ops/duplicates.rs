//! Likely duplicates: same email, same phone, or a similar name at the same company (contacts);
//! same domain or a similar name (companies).

use super::{companies, contacts};
use crate::dto::{CompanyDuplicate, ContactDuplicate};
use crate::error::Result;
use crate::model::{company, contact};
use crm_core::{Action, Ctx};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// Names are similar when their normalised forms are close (Jaro-Winkler >= 0.9).
fn similar(a: &str, b: &str) -> bool {
    let norm = |s: &str| crm_core::list::tokens(s).join(" ");
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a == b || strsim::jaro_winkler(&a, &b) >= 0.9)
}

fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    [first, last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Contacts that look like duplicates of contact `id`.
pub async fn contact_duplicates(ctx: &Ctx, id: Uuid) -> Result<Vec<ContactDuplicate>> {
    ctx.require(Action::Read)?;
    let me = contacts::find_live(&ctx.db, ctx, id).await?;
    let mut any = Condition::any();
    if let Some(email) = &me.email {
        any = any.add(
            Expr::expr(Func::lower(Expr::col(contact::Column::Email))).eq(email.to_lowercase()),
        );
    }
    if let Some(phone) = &me.phone {
        any = any.add(contact::Column::Phone.eq(phone.clone()));
    }
    if let Some(company_id) = me.company_id {
        any = any.add(contact::Column::CompanyId.eq(company_id));
    }
    if any.is_empty() {
        return Ok(Vec::new());
    }
    let candidates = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::DeletedAt.is_null())
        .filter(contact::Column::Id.ne(id))
        .filter(any)
        .limit(500)
        .all(&ctx.db)
        .await?;
    let my_name = full_name(me.first_name.as_deref(), me.last_name.as_deref());
    let mut out = Vec::new();
    for c in candidates {
        let mut reasons = Vec::new();
        if me.email.is_some()
            && me.email.as_deref().map(str::to_lowercase)
                == c.email.as_deref().map(str::to_lowercase)
        {
            reasons.push("email".to_owned());
        }
        if me.phone.is_some() && me.phone == c.phone {
            reasons.push("phone".to_owned());
        }
        if me.company_id.is_some()
            && me.company_id == c.company_id
            && similar(
                &my_name,
                &full_name(c.first_name.as_deref(), c.last_name.as_deref()),
            )
        {
            reasons.push("name_at_company".to_owned());
        }
        if !reasons.is_empty() {
            out.push(ContactDuplicate {
                contact: contacts::to_dto(c),
                reasons,
            });
        }
    }
    Ok(out)
}

/// Companies that look like duplicates of company `id`.
pub async fn company_duplicates(ctx: &Ctx, id: Uuid) -> Result<Vec<CompanyDuplicate>> {
    ctx.require(Action::Read)?;
    let me = companies::find_live(&ctx.db, ctx, id).await?;
    let mut any = Condition::any();
    if let Some(domain) = &me.domain {
        any = any.add(company::Column::Domain.eq(domain.clone()));
    }
    if let Some(first_word) = crm_core::list::tokens(&me.name).first() {
        let pattern = format!("{}%", first_word.replace(['%', '_'], ""));
        any = any.add(Expr::expr(Func::lower(Expr::col(company::Column::Name))).like(pattern));
    }
    let candidates = company::Entity::find()
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::DeletedAt.is_null())
        .filter(company::Column::Id.ne(id))
        .filter(any)
        .limit(500)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::new();
    for c in candidates {
        let mut reasons = Vec::new();
        if me.domain.is_some() && me.domain == c.domain {
            reasons.push("domain".to_owned());
        }
        if similar(&me.name, &c.name) {
            reasons.push("name".to_owned());
        }
        if !reasons.is_empty() {
            out.push(CompanyDuplicate {
                company: companies::to_dto(c),
                reasons,
            });
        }
    }
    Ok(out)
}
