//! Next best actions: what to do next with each customer, from documented rules over the
//! figures the analytics refresh wrote onto it, and what users decided about them.

use crate::dto::{AbcClass, AnalysisSubject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// The rule that proposes an action, in the order they rank (see docs/analytics.md).
    ActionRule {
        /// A valuable customer (ABC class A or B) about to be lost (RFM segment `at risk`,
        /// `cannot lose them` or `about to sleep`, or a churn risk of 0.5 or more): a retention
        /// call, as a high-priority task due in 2 days.
        RetentionCall = "retention_call",
        /// A champion (RFM segment `champions` or `loyal`) with a product recommendation: offer
        /// the best-scored product it has not bought, as a task due in 7 days.
        CrossSellOffer = "cross_sell_offer",
        /// A customer gone quiet (RFM segment `hibernating` or `lost`): a win-back contact, as a
        /// low-priority task due in 14 days (a campaign membership once campaigns exist).
        Reactivation = "reactivation",
    }
);

crm_core::vocabulary!(
    /// What a user decided about an action.
    ActionState {
        /// Accepted: its task was created.
        Accepted = "accepted",
        /// Dismissed: not wanted.
        Dismissed = "dismissed",
    }
);

/// One proposed action for one customer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct NextBestAction {
    /// Its place in the list, from 1.
    pub rank: i64,
    /// The company or contact.
    pub customer_id: Uuid,
    /// Its name.
    pub customer_name: Option<String>,
    /// The rule that proposes it.
    pub rule: ActionRule,
    /// What to do (the task's subject when accepted).
    #[cfg_attr(feature = "openapi", schema(example = "Retention call"))]
    pub title: String,
    /// Why, from the customer's figures (the task's body when accepted).
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "RFM segment at risk (score 215), ABC class A, churn risk 0.62, predicted value 1234.56"
        )
    )]
    pub reason: String,
    /// The customer's ABC class.
    pub abc_class: Option<AbcClass>,
    /// The customer's RFM segment.
    pub rfm_segment: Option<String>,
    /// The customer's predicted lifetime value (base currency).
    pub clv: Option<f64>,
    /// The customer's churn risk.
    pub churn_risk: Option<f64>,
    /// Cross-sell: the product to offer.
    pub product_id: Option<Uuid>,
    /// Cross-sell: its name.
    pub product_name: Option<String>,
    /// Cross-sell: its recommendation score.
    pub product_score: Option<f64>,
}

/// The next best actions of companies or contacts, ranked: by rule (the order above), then
/// by predicted value (highest first, unknown last), then by customer id.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct NextBestActions {
    /// Companies or contacts.
    pub subject: AnalysisSubject,
    /// When the figures the rules read were computed (`null`: the refresh has not run; then
    /// the list is empty).
    pub figures_computed_at: Option<DateTime<Utc>>,
    /// Actions listed in all.
    pub row_count: i64,
    /// The page of actions.
    pub items: Vec<NextBestAction>,
    /// When this answer was computed.
    pub computed_at: DateTime<Utc>,
}

/// Accepting or dismissing one action of one customer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"customer_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "rule": "retention_call"})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ActionDecisionInput {
    /// The company or contact.
    pub customer_id: Uuid,
    /// The rule of the action.
    pub rule: ActionRule,
    /// Accepting: when the task is due (default: the rule's 2, 7 or 14 days from now).
    pub due_at: Option<DateTime<Utc>>,
    /// Accepting: who does the task (default: the caller).
    pub assignee_id: Option<Uuid>,
    /// A note on the decision (at most 2000 characters), such as why it was dismissed.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
}

/// A decision about an action: it hides that action of that customer for 30 days.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ActionDecision {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// The company or contact.
    pub customer_id: Uuid,
    /// Companies or contacts.
    pub customer_type: AnalysisSubject,
    /// The rule of the action.
    pub rule: ActionRule,
    /// Accepted or dismissed.
    pub state: ActionState,
    /// The note given.
    pub note: Option<String>,
    /// Accepted: the task created (`/api/v1/activities/{id}`).
    pub activity_id: Option<Uuid>,
    /// Who decided.
    pub decided_by: Uuid,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// Until when the action stays off the list.
    pub hidden_until: DateTime<Utc>,
}
