//! Pipelines, stages, deals, the board and the forecast.

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Money, Patch};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// What a stage means for the deals in it.
    StageType {
        /// Still being worked.
        Open = "open",
        /// Won.
        Won = "won",
        /// Lost.
        Lost = "lost",
    }
);

crm_core::vocabulary!(
    /// Where a deal stands.
    DealStatus {
        /// In an open stage.
        Open = "open",
        /// In a won stage.
        Won = "won",
        /// In a lost stage.
        Lost = "lost",
    }
);

/// A stage of a pipeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Stage {
    /// Identifier; kept across renames and reorders, so history stays attached.
    pub id: Uuid,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "Negotiation"))]
    pub name: String,
    /// Order within the pipeline, from 0.
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub position: i32,
    /// Win probability in percent (0 to 100), used by the weighted forecast.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100, example = 60))]
    pub probability: i32,
    /// Open, won or lost.
    pub stage_type: StageType,
}

/// A sales pipeline and its ordered stages.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Pipeline {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "New business"))]
    pub name: String,
    /// Whether new deals land here by default.
    pub is_default: bool,
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A stage to create or keep: with `id`, an existing stage (renamed or moved); without, a new one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct StageInput {
    /// An existing stage's id, to keep it (and its history).
    pub id: Option<Uuid>,
    /// Name (1 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"\S",
            example = "Negotiation"
        )
    )]
    pub name: String,
    /// Win probability in percent, 0 to 100 (default: 100 for won, 0 for lost, else 10).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100, example = 60))]
    pub probability: Option<i32>,
    /// Open (default), won or lost.
    pub stage_type: Option<StageType>,
}

/// A new pipeline with its stages in order (at least one open, one won and one lost).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"name": "New business", "is_default": false, "stages": [{"name": "Qualified", "probability": 10}, {"name": "Negotiation", "probability": 60}, {"name": "Won", "stage_type": "won"}, {"name": "Lost", "stage_type": "lost"}]}))
)]
pub struct NewPipeline {
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"\S",
            example = "New business"
        )
    )]
    pub name: String,
    /// Whether new deals land here by default.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub is_default: bool,
    /// Stages in order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub stages: Vec<StageInput>,
}

/// Rename a pipeline or replace its stage list (reorder, rename, add; a stage holding deals
/// cannot be dropped).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct PipelinePatch {
    /// New name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"\S",
            example = "Enterprise deals"
        )
    )]
    pub name: Option<String>,
    /// Whether new deals land here by default.
    pub is_default: Option<bool>,
    /// The full new stage list, in order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub stages: Option<Vec<StageInput>>,
}

/// A deal.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Deal {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "Globex: 40 licences"))]
    pub name: String,
    /// Amount.
    pub amount: Option<Money>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Pipeline.
    pub pipeline_id: Uuid,
    /// Current stage.
    pub stage_id: Uuid,
    /// Open, won or lost (follows the stage type).
    pub status: DealStatus,
    /// Why it was won or lost.
    #[cfg_attr(feature = "openapi", schema(example = "chose a competitor"))]
    pub close_reason: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// The company.
    pub company_id: Option<Uuid>,
    /// The contacts involved.
    pub contact_ids: Vec<Uuid>,
    /// The lead it came from.
    pub lead_id: Option<Uuid>,
    /// The source system of `external_id` (set by `PUT /deals/by-external-id/...` and batch
    /// upserts).
    pub external_source: Option<String>,
    /// The id of the deal in that system.
    pub external_id: Option<String>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 4))]
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new deal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewDeal {
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"\S",
            example = "Globex: 40 licences"
        )
    )]
    pub name: String,
    /// Amount.
    pub amount: Option<Money>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Pipeline (default: the default pipeline).
    pub pipeline_id: Option<Uuid>,
    /// Stage (default: the pipeline's first stage).
    pub stage_id: Option<Uuid>,
    /// Responsible user (default: the caller).
    pub owner_id: Option<Uuid>,
    /// Company.
    pub company_id: Option<Uuid>,
    /// Contacts involved.
    pub contact_ids: Option<Vec<Uuid>>,
    /// When the deal was closed, for a deal created in a won or lost stage (such as one
    /// brought from another system; default: now); a year from 1900 to 2100, not in the
    /// future. `created_at` stays the time of the write.
    #[serde(default)]
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Changes to a deal (JSON Merge Patch). Moving `stage_id` records the stage history; a won or
/// lost stage closes the deal (with `close_reason`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"name": "Globex: 60 licences", "expected_close_date": "2027-03-31"}))
)]
pub struct DealPatch {
    /// Name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, min_length = 1, max_length = 300, pattern = r"\S", example = "Globex: 60 licences"))]
    pub name: Patch<String>,
    /// Amount.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub amount: Patch<Money>,
    /// Expected close date.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NaiveDate>))]
    pub expected_close_date: Patch<NaiveDate>,
    /// Stage (of the same pipeline).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub stage_id: Patch<Uuid>,
    /// Why it was won or lost.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 300, example = "signed after the pilot"))]
    pub close_reason: Patch<String>,
    /// Responsible user.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Patch<Uuid>,
    /// Company.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub company_id: Patch<Uuid>,
    /// Contacts involved (replaced whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Uuid>>))]
    pub contact_ids: Patch<Vec<Uuid>>,
}

/// A deal's stay in a stage.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct StageVisit {
    /// The stage.
    pub stage_id: Uuid,
    /// When the deal entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left (none while it is there).
    pub left_at: Option<DateTime<Utc>>,
    /// Who moved it there.
    pub entered_by: Option<Uuid>,
}

/// One column of a pipeline board.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct BoardColumn {
    /// The stage.
    pub stage: Stage,
    /// How many deals are in it.
    #[cfg_attr(feature = "openapi", schema(example = 12))]
    pub count: i64,
    /// The sum of their amounts, per currency.
    pub totals: Vec<Money>,
    /// The newest deals in it (at most `per_stage`).
    pub deals: Vec<Deal>,
}

/// A weighted forecast row: open deals expected to close in `month`, by owner and currency.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ForecastRow {
    /// `YYYY-MM`, or none for deals without an expected close date.
    #[cfg_attr(feature = "openapi", schema(example = "2027-03"))]
    pub month: Option<String>,
    /// The owner.
    pub owner_id: Option<Uuid>,
    /// The currency.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: String,
    /// Open deals.
    #[cfg_attr(feature = "openapi", schema(example = 7))]
    pub deals: i64,
    /// Sum of amounts.
    pub amount: Money,
    /// Sum of amount x stage probability, rounded to the currency's minor unit.
    pub weighted_amount: Money,
}
