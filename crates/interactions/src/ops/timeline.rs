//! The customer timeline: activities linked to a contact or company and the record's field
//! changes, newest first, in keyset pages. A company's timeline holds its contacts' activities
//! (linked when logged). Both sources are read by index range scans and merged.

use super::activities::to_dto;
use crate::dto::{ActivityKind, TimelineChange, TimelineEntry, TimelineEntryType};
use crate::error::Result;
use crate::model::{activity, activity_link};
use chrono::{DateTime, Utc};
use crm_core::audit::HistoryEntry;
use crm_core::{Action, Channel, Ctx, Error, Page, PageRequest, cursor};
use crm_customers::ops as customers;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Whose timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineRecord {
    /// A contact's.
    Contact,
    /// A company's.
    Company,
}

impl TimelineRecord {
    fn name(self) -> &'static str {
        match self {
            TimelineRecord::Contact => "contact",
            TimelineRecord::Company => "company",
        }
    }
}

/// Which entries to show.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    /// Only activities of these kinds (changes are left out when set).
    pub kinds: Vec<ActivityKind>,
    /// Only activities on these channels (changes are left out when set).
    pub channels: Vec<Channel>,
    /// Only these entry types (default both).
    pub types: Vec<TimelineEntryType>,
}

/// One page of a contact's or company's timeline, newest first.
pub async fn timeline(
    ctx: &Ctx,
    record: TimelineRecord,
    id: Uuid,
    filter: &TimelineFilter,
    page: &PageRequest,
) -> Result<Page<TimelineEntry>> {
    ctx.require(Action::Read)?;
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> =
        page.cursor.as_deref().map(cursor::decode).transpose()?;
    let wants = |t| filter.types.is_empty() || filter.types.contains(&t);
    let activity_filters = !filter.kinds.is_empty() || !filter.channels.is_empty();
    // Each source is one statement that also requires the record to be live, so a page costs
    // one round trip per source; whether the record exists is asked only of an empty page.
    let live = match record {
        TimelineRecord::Contact => customers::contact_is_live_expr(ctx, id),
        TimelineRecord::Company => customers::company_is_live_expr(ctx, id),
    };

    let mut activities: HashMap<Uuid, crate::dto::Activity> = HashMap::new();
    let mut changes: HashMap<Uuid, HistoryEntry> = HashMap::new();
    let mut entries: Vec<(DateTime<Utc>, Uuid, TimelineEntryType)> = Vec::new();
    if wants(TimelineEntryType::Activity) {
        let q = activities_select(ctx, record, id, filter, after, live.clone(), limit);
        for a in q.all(&ctx.db).await? {
            entries.push((a.occurred_at, a.id, TimelineEntryType::Activity));
            activities.insert(a.id, to_dto(a));
        }
    }
    if wants(TimelineEntryType::Change) && !activity_filters {
        let mut q = Query::select()
            .columns(
                [
                    "id",
                    "action",
                    "actor_user_id",
                    "actor_api_key_id",
                    "changes",
                    "at",
                ]
                .map(Alias::new),
            )
            .from(Alias::new("record_history"))
            .and_where(Expr::col(Alias::new("org_id")).eq(ctx.org_id()))
            .and_where(Expr::col(Alias::new("record_type")).eq(record.name()))
            .and_where(Expr::col(Alias::new("record_id")).eq(id))
            .and_where(live)
            .order_by(Alias::new("at"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(limit + 1)
            .to_owned();
        if let Some((at, last)) = after {
            q.cond_where(
                Condition::any()
                    .add(Expr::col(Alias::new("at")).lt(at))
                    .add(
                        Expr::col(Alias::new("at"))
                            .eq(at)
                            .and(Expr::col(Alias::new("id")).lt(last)),
                    ),
            );
        }
        for row in ctx.db.query_all(&q).await? {
            let changes_json: Value = match ctx.db.get_database_backend() {
                DbBackend::Postgres => row.try_get("", "changes")?,
                _ => serde_json::from_str(&row.try_get::<String>("", "changes")?)
                    .unwrap_or(Value::Null),
            };
            let entry = HistoryEntry {
                id: row.try_get("", "id")?,
                action: row.try_get("", "action")?,
                actor_user_id: row.try_get("", "actor_user_id")?,
                actor_api_key_id: row.try_get("", "actor_api_key_id")?,
                changes: changes_json,
                at: row.try_get("", "at")?,
            };
            entries.push((entry.at, entry.id, TimelineEntryType::Change));
            changes.insert(entry.id, entry);
        }
    }
    if entries.is_empty() {
        let exists = match record {
            TimelineRecord::Contact => customers::contact_ref(&ctx.db, ctx, id).await?.is_some(),
            TimelineRecord::Company => customers::company_is_live(&ctx.db, ctx, id).await?,
        };
        if !exists {
            return Err(Error::not_found(match record {
                TimelineRecord::Contact => "Contact",
                TimelineRecord::Company => "Company",
            })
            .into());
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    entries.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));

    let mut out = Vec::new();
    for (at, eid, t) in entries {
        out.push(TimelineEntry {
            id: eid,
            entry_type: t,
            at,
            activity: if t == TimelineEntryType::Activity {
                activities.remove(&eid)
            } else {
                None
            },
            change: if t == TimelineEntryType::Change {
                changes.remove(&eid).map(|entry| TimelineChange {
                    record_type: record.name().to_owned(),
                    record_id: id,
                    entry,
                })
            } else {
                None
            },
        });
    }
    Ok(Page::from_overfetch(out, limit, |e| {
        cursor::encode(&(e.at, e.id))
    }))
}

/// The activities of one timeline page: the links by their index range, joined to their
/// activities by primary key, in one statement.
fn activities_select(
    ctx: &Ctx,
    record: TimelineRecord,
    id: Uuid,
    filter: &TimelineFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    live: Expr,
    limit: u64,
) -> sea_orm::Select<activity::Entity> {
    let link = activity_link::Entity::belongs_to(activity::Entity)
        .from(activity_link::Column::ActivityId)
        .to(activity::Column::Id)
        .into();
    let mut q = activity::Entity::find()
        .join_rev(JoinType::InnerJoin, link)
        .filter(activity_link::Column::OrgId.eq(ctx.org_id()))
        .filter(activity_link::Column::RecordType.eq(record.name()))
        .filter(activity_link::Column::RecordId.eq(id))
        .filter(activity_link::Column::Deleted.eq(false))
        .filter(activity::Column::OrgId.eq(ctx.org_id()))
        .filter(live);
    if !filter.kinds.is_empty() {
        q = q.filter(activity_link::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if !filter.channels.is_empty() {
        q = q.filter(
            activity_link::Column::Channel.is_in(filter.channels.iter().map(|c| c.as_str())),
        );
    }
    if let Some((at, last)) = after {
        q = q.filter(
            Condition::any()
                .add(activity_link::Column::OccurredAt.lt(at))
                .add(
                    activity_link::Column::OccurredAt
                        .eq(at)
                        .and(activity_link::Column::ActivityId.lt(last)),
                ),
        );
    }
    q.order_by_desc(activity_link::Column::OccurredAt)
        .order_by_desc(activity_link::Column::ActivityId)
        .limit(limit + 1)
}

/// The SQL of the first page of a contact's activity timeline (for the benchmark's baselines).
#[doc(hidden)]
pub fn contact_timeline_sql(ctx: &Ctx, id: Uuid, limit: u64) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    let live = customers::contact_is_live_expr(ctx, id);
    activities_select(
        ctx,
        TimelineRecord::Contact,
        id,
        &TimelineFilter::default(),
        None,
        live,
        limit,
    )
    .build(ctx.db.get_database_backend())
}
