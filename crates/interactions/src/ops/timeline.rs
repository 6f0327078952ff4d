//! The customer timeline: activities linked to a contact or company and the record's field
//! changes, newest first, in keyset pages. A company's timeline holds its contacts' activities
//! (linked when logged). Both sources are read by index range scans and merged.

use super::activities::to_dto;
use crate::dto::{ActivityKind, TimelineChange, TimelineEntry, TimelineEntryType};
use crate::error::Result;
use crate::model::{activity, activity_link};
use chrono::{DateTime, Utc};
use crm_core::audit::{self, HistoryEntry};
use crm_core::row::{ByPosition, Cell};
use crm_core::{Action, Channel, Ctx, Error, Page, PageRequest, cursor};
use crm_customers::ops as customers;
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Order, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};
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
    // The page is one statement, each source of which also requires the record to be live;
    // whether the record exists is asked only of an empty page.
    let live = match record {
        TimelineRecord::Contact => customers::contact_is_live_expr(ctx, id),
        TimelineRecord::Company => customers::company_is_live_expr(ctx, id),
    };

    let mut activities: HashMap<Uuid, crate::dto::Activity> = HashMap::new();
    let mut changes: HashMap<Uuid, HistoryEntry> = HashMap::new();
    let mut entries: Vec<(DateTime<Utc>, Uuid, TimelineEntryType)> = Vec::new();
    let sources = Sources {
        activities: wants(TimelineEntryType::Activity),
        changes: wants(TimelineEntryType::Change) && !activity_filters,
    };
    if let Some(stmt) = page_statement(ctx, record, id, filter, after, live, limit, sources) {
        let backend = ctx.db.get_database_backend();
        for row in ctx.reads.query_all_raw(stmt).await? {
            if i32::cell(&row, 0)? == ACTIVITY {
                let a = activity::Model::read_at(&row, 1)?;
                entries.push((a.occurred_at, a.id, TimelineEntryType::Activity));
                activities.insert(a.id, to_dto(a));
            } else {
                let entry = audit::history_entry_at(&row, CHANGE_START, backend)?;
                entries.push((entry.at, entry.id, TimelineEntryType::Change));
                changes.insert(entry.id, entry);
            }
        }
    }
    if entries.is_empty() {
        let exists = match record {
            TimelineRecord::Contact => customers::contact_ref(&ctx.reads, ctx, id).await?.is_some(),
            TimelineRecord::Company => customers::company_is_live(&ctx.reads, ctx, id).await?,
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
    if let Some(after) = after {
        q = q.filter(before(
            Expr::col((activity_link::Entity, activity_link::Column::OccurredAt)),
            Expr::col((activity_link::Entity, activity_link::Column::ActivityId)),
            after,
        ));
    }
    q.order_by_desc(activity_link::Column::OccurredAt)
        .order_by_desc(activity_link::Column::ActivityId)
        .limit(limit + 1)
}

/// Which sources a timeline page reads.
#[derive(Debug, Clone, Copy)]
struct Sources {
    activities: bool,
    changes: bool,
}

/// The first column of a page's row: which source the row is from.
const ACTIVITY: i32 = 1;
const CHANGE: i32 = 2;
/// Where a change's columns start in a page's row: after the source and the activity's.
const CHANGE_START: usize = 1 + activity::Model::COLUMNS.len();
/// One page of the timeline as one statement: each source's newest `limit + 1` entries by its
/// own index range, side by side in a `UNION ALL` whose rows hold the source, the activity's
/// columns and the change's columns (the other source's left NULL); the page is merged from
/// them. `None` when no source is wanted.
#[allow(clippy::too_many_arguments)]
fn page_statement(
    ctx: &Ctx,
    record: TimelineRecord,
    id: Uuid,
    filter: &TimelineFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    live: Expr,
    limit: u64,
    sources: Sources,
) -> Option<sea_orm::Statement> {
    use sea_orm::QueryTrait;
    let nulls = |n: usize| std::iter::repeat_n(Expr::cust("NULL"), n);
    let mut arms = Vec::new();
    if sources.activities {
        let inner =
            activities_select(ctx, record, id, filter, after, live.clone(), limit).into_query();
        arms.push(
            Query::select()
                .expr(Expr::cust(ACTIVITY.to_string()))
                .expr(Expr::cust("_a.*"))
                .exprs(nulls(audit::ENTRY_COLUMNS.len()))
                .from_subquery(inner, Alias::new("_a"))
                .to_owned(),
        );
    }
    if sources.changes {
        let inner = changes_select(ctx, record, id, after, live, limit);
        arms.push(
            Query::select()
                .expr(Expr::cust(CHANGE.to_string()))
                .exprs(nulls(activity::Model::COLUMNS.len()))
                .expr(Expr::cust("_c.*"))
                .from_subquery(inner, Alias::new("_c"))
                .to_owned(),
        );
    }
    let mut arms = arms.into_iter();
    let mut q = arms.next()?;
    for arm in arms {
        q.union(UnionType::All, arm);
    }
    Some(ctx.db.get_database_backend().build(&q))
}

/// A record's field changes, newest first, `limit + 1` of them after the cursor.
fn changes_select(
    ctx: &Ctx,
    record: TimelineRecord,
    id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    live: Expr,
    limit: u64,
) -> SelectStatement {
    let mut q = Query::select()
        .columns(audit::ENTRY_COLUMNS.map(Alias::new))
        .from(Alias::new("record_history"))
        .and_where(Expr::col(Alias::new("org_id")).eq(ctx.org_id()))
        .and_where(Expr::col(Alias::new("record_type")).eq(record.name()))
        .and_where(Expr::col(Alias::new("record_id")).eq(id))
        .and_where(live)
        .order_by(Alias::new("at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(limit + 1)
        .to_owned();
    if let Some(after) = after {
        q.cond_where(before(
            Expr::col(Alias::new("at")),
            Expr::col(Alias::new("id")),
            after,
        ));
    }
    q
}

/// The keyset condition of a page after the cursor `(at, id)`: older entries, and entries as
/// old with a smaller id.
fn before(at_col: Expr, id_col: Expr, (at, id): (DateTime<Utc>, Uuid)) -> Condition {
    Condition::any()
        .add(at_col.clone().lt(at))
        .add(at_col.eq(at).and(id_col.lt(id)))
}

/// The statement of the first page of a contact's activity timeline, as
/// `GET /contacts/{id}/timeline?types=activity` runs it (for the benchmark's baselines).
#[doc(hidden)]
pub fn contact_timeline_sql(ctx: &Ctx, id: Uuid, limit: u64) -> sea_orm::Statement {
    let live = customers::contact_is_live_expr(ctx, id);
    let sources = Sources {
        activities: true,
        changes: false,
    };
    page_statement(
        ctx,
        TimelineRecord::Contact,
        id,
        &TimelineFilter::default(),
        None,
        live,
        limit,
        sources,
    )
    .unwrap_or_else(|| sea_orm::Statement::from_string(ctx.db.get_database_backend(), ""))
}
