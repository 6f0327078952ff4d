//! The links of an activity to the records whose timelines show it.

use crate::dto::{Activity, ParticipantKind};
use crate::error::Result;
use crate::model::activity_link;
use crm_core::Ctx;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// A link to write: record type, record id, role (`about`, `participant`, `via`).
pub type Link = (&'static str, Uuid, &'static str);

/// Writes the links of a new activity: its contact and company, participant contacts, and the
/// companies of those contacts (`via`), so a company's timeline shows its contacts' activities.
pub async fn insert(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    a: &Activity,
    companies_of: &[(Uuid, Option<Uuid>)],
) -> Result<()> {
    let mut links: Vec<Link> = Vec::new();
    let mut add = |t: &'static str, id: Uuid, role: &'static str| {
        if !links.iter().any(|(lt, lid, _)| *lt == t && *lid == id) {
            links.push((t, id, role));
        }
    };
    if let Some(c) = a.contact_id {
        add("contact", c, "about");
    }
    if let Some(c) = a.company_id {
        add("company", c, "about");
    }
    for p in &a.participants {
        if p.kind == ParticipantKind::Contact {
            add("contact", p.id, "participant");
        }
    }
    for (_, company) in companies_of {
        if let Some(company) = company {
            add("company", *company, "via");
        }
    }
    for (record_type, record_id, role) in links {
        activity_link::ActiveModel {
            org_id: Set(ctx.org_id()),
            activity_id: Set(a.id),
            record_type: Set(record_type.to_owned()),
            record_id: Set(record_id),
            role: Set(role.to_owned()),
            occurred_at: Set(a.occurred_at),
            kind: Set(a.kind.as_str().to_owned()),
            channel: Set(a.channel.map(|c| c.as_str().to_owned())),
            deleted: Set(false),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Mirrors the activity's time, kind, channel and deletion onto its links.
pub async fn mirror(db: &impl ConnectionTrait, a: &Activity, deleted: bool) -> Result<()> {
    activity_link::Entity::update_many()
        .col_expr(
            activity_link::Column::OccurredAt,
            Expr::value(a.occurred_at),
        )
        .col_expr(activity_link::Column::Kind, Expr::value(a.kind.as_str()))
        .col_expr(
            activity_link::Column::Channel,
            Expr::value(a.channel.map(|c| c.as_str().to_owned())),
        )
        .col_expr(activity_link::Column::Deleted, Expr::value(deleted))
        .filter(activity_link::Column::ActivityId.eq(a.id))
        .exec(db)
        .await?;
    Ok(())
}

use sea_orm::ActiveModelTrait;
