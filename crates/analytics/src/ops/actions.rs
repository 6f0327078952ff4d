//! Next best actions (issue #14 item 9): per customer, the actions the documented rules
//! propose from the figures the analytics refresh wrote onto it (`analytics_*` columns) and,
//! for cross-selling, its product recommendations; ranked and explained. Accepting one creates
//! its task through the interactions domain's own create, in the same transaction as the
//! decision; accepting or dismissing hides that action of that customer for 30 days.
//!
//! The service domain's rule (an open urgent ticket first) and campaign memberships for
//! reactivation come with the service and marketing domains.

use super::baskets::recommendations_for;
use super::items::{self as item_query, Fields, Kind};
use super::revenue::customers_only;
use crate::dto::{AbcClass, AnalysisParams, AnalysisSubject};
use crate::dto_actions::*;
use crate::error::Result;
use crate::model::{decision, refresh};
use chrono::{DateTime, Duration, Utc};
use crm_core::db::{begin_write, lock_key, placeholder};
use crm_core::{Action, Ctx, Error, new_id};
use crm_interactions::{ActivityKind, NewActivity, Priority};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// How long a decision keeps its action off the list.
const HIDDEN_DAYS: i64 = 30;
/// The churn risk from which a valuable customer gets a retention call whatever its segment.
const CHURN_RISK: f64 = 0.5;
/// Segments of valuable customers about to be lost.
const AT_RISK: [&str; 3] = ["at risk", "cannot lose them", "about to sleep"];
/// Segments of the best customers.
const CHAMPIONS: [&str; 2] = ["champions", "loyal"];
/// Segments of customers gone quiet.
const QUIET: [&str; 2] = ["hibernating", "lost"];

/// A customer with figures.
struct Candidate {
    id: Uuid,
    name: Option<String>,
    abc: Option<AbcClass>,
    score: Option<String>,
    segment: Option<String>,
    clv: Option<f64>,
    churn_risk: Option<f64>,
}

/// What a rule proposes for one customer.
struct Proposal {
    rule: ActionRule,
    title: String,
    reason: String,
    product: Option<(Uuid, Option<String>, f64)>,
}

fn abc_of(s: Option<String>) -> Option<AbcClass> {
    match s.as_deref() {
        Some("A") => Some(AbcClass::A),
        Some("B") => Some(AbcClass::B),
        Some("C") => Some(AbcClass::C),
        _ => None,
    }
}

/// The customer's figures, as the reason reads them.
fn figures(c: &Candidate) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &c.segment {
        parts.push(format!(
            "RFM segment {s} (score {})",
            c.score.as_deref().unwrap_or("?")
        ));
    }
    if let Some(a) = c.abc {
        parts.push(format!("ABC class {a:?}"));
    }
    if let Some(r) = c.churn_risk {
        parts.push(format!("churn risk {r:.2}"));
    }
    if let Some(v) = c.clv {
        parts.push(format!("predicted value {v:.2}"));
    }
    parts.join(", ")
}

/// What the rules propose for `c`, in rule order.
fn proposals(c: &Candidate, recommendation: Option<&crate::Recommendation>) -> Vec<Proposal> {
    let segment = c.segment.as_deref().unwrap_or("");
    let mut out = Vec::new();
    let valuable = matches!(c.abc, Some(AbcClass::A | AbcClass::B));
    let at_risk = AT_RISK.contains(&segment) || c.churn_risk.is_some_and(|r| r >= CHURN_RISK);
    if valuable && at_risk {
        out.push(Proposal {
            rule: ActionRule::RetentionCall,
            title: "Retention call".to_owned(),
            reason: format!("A valuable customer about to be lost: {}", figures(c)),
            product: None,
        });
    }
    if CHAMPIONS.contains(&segment)
        && let Some(r) = recommendation
    {
        let name = r.name.clone().unwrap_or_else(|| r.product_id.to_string());
        let because: Vec<String> = r
            .because
            .iter()
            .map(|b| b.name.clone().unwrap_or_else(|| b.product_id.to_string()))
            .collect();
        out.push(Proposal {
            rule: ActionRule::CrossSellOffer,
            title: format!("Offer {name}"),
            reason: format!(
                "One of the best customers ({}); customers who bought {} also bought {name} \
                 (score {:.3})",
                figures(c),
                because.join(", "),
                r.score
            ),
            product: Some((r.product_id, r.name.clone(), r.score)),
        });
    }
    if QUIET.contains(&segment) {
        out.push(Proposal {
            rule: ActionRule::Reactivation,
            title: "Win back".to_owned(),
            reason: format!("Gone quiet: {}", figures(c)),
            product: None,
        });
    }
    out
}

fn table(subject: AnalysisSubject) -> &'static str {
    match subject {
        AnalysisSubject::Contacts => "contacts",
        _ => "companies",
    }
}

/// The customers of `subject` with figures a rule reads (or only `only`).
async fn candidates(
    ctx: &Ctx,
    subject: AnalysisSubject,
    only: Option<Uuid>,
) -> Result<Vec<Candidate>> {
    let backend = ctx.db.get_database_backend();
    let p = |n: usize| placeholder(backend, n);
    let names = match subject {
        AnalysisSubject::Contacts => "first_name AS a, last_name AS b",
        _ => "name AS a, NULL AS b",
    };
    let segments: Vec<String> = AT_RISK
        .iter()
        .chain(CHAMPIONS.iter())
        .chain(QUIET.iter())
        .map(|s| format!("'{s}'"))
        .collect();
    let mut sql = format!(
        "SELECT id, {names}, analytics_abc_class, analytics_rfm_score, analytics_rfm_segment, \
         analytics_clv, analytics_churn_risk FROM {} WHERE org_id = {} AND deleted_at IS NULL \
         AND analytics_computed_at IS NOT NULL AND (analytics_rfm_segment IN ({}) OR \
         analytics_churn_risk >= {CHURN_RISK})",
        table(subject),
        p(1),
        segments.join(", ")
    );
    let mut values = vec![ctx.org_id().into()];
    if let Some(id) = only {
        sql.push_str(&format!(" AND id = {}", p(2)));
        values.push(id.into());
    }
    let rows = ctx
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let a: Option<String> = row.try_get("", "a")?;
        let b: Option<String> = row.try_get("", "b")?;
        let name = match (a, b) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => a.or(b),
        };
        out.push(Candidate {
            id: row.try_get("", "id")?,
            name,
            abc: abc_of(row.try_get("", "analytics_abc_class")?),
            score: row.try_get("", "analytics_rfm_score")?,
            segment: row.try_get("", "analytics_rfm_segment")?,
            clv: row.try_get("", "analytics_clv")?,
            churn_risk: row.try_get("", "analytics_churn_risk")?,
        });
    }
    Ok(out)
}

/// The best recommendation of each customer of `subject` that is a champion.
async fn offers(
    ctx: &Ctx,
    subject: AnalysisSubject,
    customers: &[Candidate],
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, crate::Recommendation>> {
    let champions: BTreeSet<Uuid> = customers
        .iter()
        .filter(|c| CHAMPIONS.contains(&c.segment.as_deref().unwrap_or("")))
        .map(|c| c.id)
        .collect();
    if champions.is_empty() {
        return Ok(HashMap::new());
    }
    let params = AnalysisParams {
        subject: Some(subject),
        customer_id: only,
        top: Some(1),
        unpaged: true,
        ..AnalysisParams::default()
    };
    // Only the champions are scored.
    Ok(recommendations_for(ctx, &params, Some(&champions))
        .await?
        .items
        .into_iter()
        .filter_map(|c| Some((c.id, c.recommendations.into_iter().next()?)))
        .collect())
}

/// Actions decided and still hidden, per (customer, rule).
async fn hidden(ctx: &Ctx, now: DateTime<Utc>) -> Result<HashSet<(Uuid, String)>> {
    Ok(decision::Entity::find()
        .filter(decision::Column::OrgId.eq(ctx.org_id()))
        .filter(decision::Column::HiddenUntil.gt(now))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|d| (d.customer_id, d.rule))
        .collect())
}

/// The sortable and filterable fields of the next best actions.
pub(crate) const ACTION_FIELDS: Fields = &[
    ("rank", Kind::Number),
    ("customer_id", Kind::Text),
    ("customer_name", Kind::Text),
    ("rule", Kind::Text),
    ("title", Kind::Text),
    ("reason", Kind::Text),
    ("abc_class", Kind::Text),
    ("rfm_segment", Kind::Text),
    ("clv", Kind::Number),
    ("churn_risk", Kind::Number),
    ("product_id", Kind::Text),
    ("product_name", Kind::Text),
    ("product_score", Kind::Number),
];

/// The next best actions of `params.subject`'s customers (companies by default; one with
/// `customer_id`), ranked by rule, then predicted value, then id; paged by `offset`/`limit`.
pub async fn next_best_actions(ctx: &Ctx, params: &AnalysisParams) -> Result<NextBestActions> {
    ctx.require(Action::Read)?;
    let subject = params.subject.unwrap_or(AnalysisSubject::Companies);
    customers_only(params, "actions are for customers: companies or contacts")?;
    item_query::validate(params, ACTION_FIELDS)?;
    if let Some(limit) = params.limit
        && !(1..=1000).contains(&limit)
    {
        return Err(Error::invalid_field("/limit", "range", "must be 1 to 1000").into());
    }
    let now = Utc::now();
    let customers = candidates(ctx, subject, params.customer_id).await?;
    let offers = offers(ctx, subject, &customers, params.customer_id).await?;
    let hidden = hidden(ctx, now).await?;
    let mut all: Vec<(Proposal, &Candidate)> = customers
        .iter()
        .flat_map(|c| {
            proposals(c, offers.get(&c.id))
                .into_iter()
                .map(move |p| (p, c))
        })
        .filter(|(p, c)| !hidden.contains(&(c.id, p.rule.as_str().to_owned())))
        .collect();
    let order = |r: ActionRule| ActionRule::NAMES.iter().position(|n| *n == r.as_str());
    all.sort_by(|(pa, a), (pb, b)| {
        order(pa.rule)
            .cmp(&order(pb.rule))
            .then_with(|| match (a.clv, b.clv) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    let row_count = all.len() as i64;
    let asked = item_query::asked(params);
    let offset = if asked {
        0
    } else {
        params.offset.unwrap_or(0) as usize
    };
    let limit = if params.unpaged || asked {
        usize::MAX
    } else {
        params.limit.unwrap_or(100) as usize
    };
    let items = all
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(i, (p, c))| NextBestAction {
            rank: i as i64 + 1,
            customer_id: c.id,
            customer_name: c.name.clone(),
            rule: p.rule,
            title: p.title,
            reason: p.reason,
            abc_class: c.abc,
            rfm_segment: c.segment.clone(),
            clv: c.clv,
            churn_risk: c.churn_risk,
            product_id: p.product.as_ref().map(|x| x.0),
            product_name: p.product.as_ref().and_then(|x| x.1.clone()),
            product_score: p.product.as_ref().map(|x| x.2),
        })
        .collect::<Vec<_>>();
    let (items, row_count) = if asked {
        item_query::apply(items, params, ACTION_FIELDS)?
    } else {
        (items, row_count)
    };
    let figures_computed_at = refresh::Entity::find_by_id(ctx.org_id())
        .one(&ctx.db)
        .await?
        .and_then(|r| r.refreshed_at);
    Ok(NextBestActions {
        subject,
        figures_computed_at,
        row_count,
        items,
        computed_at: now,
    })
}

/// The customer `id` (a company or a contact), its type, and what the rules propose for it.
async fn proposals_for(ctx: &Ctx, id: Uuid) -> Result<(AnalysisSubject, Vec<Proposal>)> {
    for subject in [AnalysisSubject::Companies, AnalysisSubject::Contacts] {
        let backend = ctx.db.get_database_backend();
        let sql = format!(
            "SELECT id FROM {} WHERE org_id = {} AND id = {} AND deleted_at IS NULL",
            table(subject),
            placeholder(backend, 1),
            placeholder(backend, 2),
        );
        let found = ctx
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [ctx.org_id().into(), id.into()],
            ))
            .await?;
        if found.is_none() {
            continue;
        }
        let customers = candidates(ctx, subject, Some(id)).await?;
        let offers = offers(ctx, subject, &customers, Some(id)).await?;
        let proposed = customers
            .first()
            .map(|c| proposals(c, offers.get(&c.id)))
            .unwrap_or_default();
        return Ok((subject, proposed));
    }
    Err(Error::not_found("Customer").into())
}

fn decision_dto(d: decision::Model) -> ActionDecision {
    ActionDecision {
        id: d.id,
        customer_id: d.customer_id,
        customer_type: AnalysisSubject::parse(&d.customer_type)
            .unwrap_or(AnalysisSubject::Companies),
        rule: ActionRule::parse(&d.rule).unwrap_or(ActionRule::RetentionCall),
        state: ActionState::parse(&d.state).unwrap_or(ActionState::Dismissed),
        note: d.note,
        activity_id: d.activity_id,
        decided_by: d.decided_by,
        decided_at: d.decided_at,
        hidden_until: d.hidden_until,
    }
}

/// Accepts (creating its task) or dismisses the action `input.rule` of `input.customer_id`.
async fn decide(
    ctx: &Ctx,
    input: ActionDecisionInput,
    state: ActionState,
) -> Result<ActionDecision> {
    ctx.require(Action::Write)?;
    if let Some(note) = &input.note
        && note.chars().count() > 2000
    {
        return Err(
            Error::invalid_field("/note", "length", "must be at most 2000 characters").into(),
        );
    }
    let (subject, proposed) = proposals_for(ctx, input.customer_id).await?;
    let Some(proposal) = proposed.into_iter().find(|p| p.rule == input.rule) else {
        return Err(Error::invalid_field(
            "/rule",
            "not_applicable",
            "the rule proposes no action for this customer now (run the analytics refresh for \
             current figures)",
        )
        .into());
    };
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    lock_key(
        &tx,
        &format!(
            "nba:{}:{}:{}",
            ctx.org_id(),
            input.customer_id,
            input.rule.as_str()
        ),
    )
    .await?;
    let earlier = decision::Entity::find()
        .filter(decision::Column::OrgId.eq(ctx.org_id()))
        .filter(decision::Column::CustomerId.eq(input.customer_id))
        .filter(decision::Column::Rule.eq(input.rule.as_str()))
        .filter(decision::Column::HiddenUntil.gt(now))
        .one(&tx)
        .await?;
    if let Some(d) = earlier {
        return Err(Error::conflict(format!(
            "this action was {} on {}; it is off the list until {}",
            d.state, d.decided_at, d.hidden_until
        ))
        .into());
    }
    let activity_id = if state == ActionState::Accepted {
        let (days, priority) = match input.rule {
            ActionRule::RetentionCall => (2, Priority::High),
            ActionRule::CrossSellOffer => (7, Priority::Normal),
            ActionRule::Reactivation => (14, Priority::Low),
        };
        let (company_id, contact_id) = match subject {
            AnalysisSubject::Contacts => (None, Some(input.customer_id)),
            _ => (Some(input.customer_id), None),
        };
        let task = NewActivity {
            kind: ActivityKind::Task,
            channel: None,
            direction: None,
            subject: Some(proposal.title),
            body: Some(proposal.reason),
            occurred_at: None,
            duration_secs: None,
            outcome: None,
            contact_id,
            contact_email: None,
            contact_phone: None,
            company_id,
            participants: None,
            due_at: Some(input.due_at.unwrap_or(now + Duration::days(days))),
            assignee_id: Some(input.assignee_id.unwrap_or(ctx.actor.user_id)),
            priority: Some(priority),
            reminder_at: None,
            feedback_type: None,
            feedback_category: None,
            feedback_state: None,
        };
        Some(
            crm_interactions::ops::create_activity_in(&tx, ctx, task)
                .await
                .map_err(Error::from)?
                .id,
        )
    } else {
        None
    };
    let saved = decision::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        customer_type: Set(subject.as_str().to_owned()),
        customer_id: Set(input.customer_id),
        rule: Set(input.rule.as_str().to_owned()),
        state: Set(state.as_str().to_owned()),
        note: Set(input.note),
        activity_id: Set(activity_id),
        decided_by: Set(ctx.actor.user_id),
        decided_at: Set(now),
        hidden_until: Set(now + Duration::days(HIDDEN_DAYS)),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(decision_dto(saved))
}

/// Accepts an action: creates its task (assigned to `assignee_id` or the caller) and hides
/// the action for 30 days.
pub async fn accept_action(ctx: &Ctx, input: ActionDecisionInput) -> Result<ActionDecision> {
    decide(ctx, input, ActionState::Accepted).await
}

/// Dismisses an action: hides it for 30 days.
pub async fn dismiss_action(ctx: &Ctx, input: ActionDecisionInput) -> Result<ActionDecision> {
    decide(ctx, input, ActionState::Dismissed).await
}
