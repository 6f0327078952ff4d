//! Leads, disqualifying and converting them.

use super::deals::{Deal, NewDeal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// Where a lead stands.
    LeadStatus {
        /// Captured, not assessed yet.
        New = "new",
        /// Worth pursuing.
        Qualified = "qualified",
        /// Not worth pursuing (with a reason).
        Disqualified = "disqualified",
        /// Became a contact (and maybe a company and a deal).
        Converted = "converted",
    }
);

/// A lead: a prospective customer not yet in the customer base.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Lead {
    /// Identifier.
    pub id: Uuid,
    /// First name.
    #[cfg_attr(feature = "openapi", schema(example = "Maria"))]
    pub first_name: Option<String>,
    /// Last name.
    #[cfg_attr(feature = "openapi", schema(example = "Rossi"))]
    pub last_name: Option<String>,
    /// Email, lowercase.
    #[cfg_attr(feature = "openapi", schema(example = "maria.rossi@initech.it"))]
    pub email: Option<String>,
    /// Phone.
    #[cfg_attr(feature = "openapi", schema(example = "+39 02 1234 5678"))]
    pub phone: Option<String>,
    /// The company they work for, as given.
    #[cfg_attr(feature = "openapi", schema(example = "Initech S.p.A."))]
    pub company_name: Option<String>,
    /// That company's web domain.
    #[cfg_attr(feature = "openapi", schema(example = "initech.it"))]
    pub company_domain: Option<String>,
    /// Job title.
    #[cfg_attr(feature = "openapi", schema(example = "CFO"))]
    pub title: Option<String>,
    /// The channel the lead came from.
    pub source_channel: Option<crm_core::Channel>,
    /// The campaign that brought it, when known.
    pub campaign_id: Option<Uuid>,
    /// New, qualified, disqualified or converted.
    pub status: LeadStatus,
    /// Why it was disqualified.
    #[cfg_attr(feature = "openapi", schema(example = "no budget this year"))]
    pub disqualify_reason: Option<String>,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// The contact it became.
    pub converted_contact_id: Option<Uuid>,
    /// The company it became or joined.
    pub converted_company_id: Option<Uuid>,
    /// The deal opened on conversion.
    pub converted_deal_id: Option<Uuid>,
    /// When it was converted.
    pub converted_at: Option<DateTime<Utc>>,
    /// The source system of `external_id` (set by `PUT /leads/by-external-id/...` and batch
    /// upserts).
    pub external_source: Option<String>,
    /// The id of the lead in that system.
    pub external_id: Option<String>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i64,
    /// When it was captured.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new lead.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewLead {
    /// First name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, example = "Maria"))]
    pub first_name: Option<String>,
    /// Last name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, example = "Rossi"))]
    pub last_name: Option<String>,
    /// Email.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 320, format = "email", example = "maria.rossi@initech.it")
    )]
    pub email: Option<String>,
    /// Phone.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 32, example = "+39 02 1234 5678")
    )]
    pub phone: Option<String>,
    /// Company name.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 300, example = "Initech S.p.A.")
    )]
    pub company_name: Option<String>,
    /// Company web domain or URL; stored as the lowercase host (without `www.`), which must
    /// have a dot, as a company's domain is.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([A-Za-z][A-Za-z0-9+.-]*://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+([/?#].*)?$",
            max_length = 255,
            example = "initech.it"
        )
    )]
    pub company_domain: Option<String>,
    /// Job title.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, example = "CFO"))]
    pub title: Option<String>,
    /// Source channel.
    pub source_channel: Option<crm_core::Channel>,
    /// Campaign, when known.
    pub campaign_id: Option<Uuid>,
    /// Responsible user (default: the caller).
    pub owner_id: Option<Uuid>,
}

/// Why a lead is disqualified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct DisqualifyLead {
    /// The reason (1 to 300 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"\S",
            example = "no budget this year"
        )
    )]
    pub reason: String,
}

/// How to convert a lead.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ConvertLead {
    /// Match or create the lead's company (default true when the lead names one).
    pub with_company: Option<bool>,
    /// Open a deal too.
    pub deal: Option<NewDeal>,
}

/// What a lead became.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LeadConversion {
    /// The lead, now converted.
    pub lead: Lead,
    /// The contact (an existing one with the same email, or a new one).
    pub contact_id: Uuid,
    /// Whether the contact already existed.
    pub contact_matched: bool,
    /// The company (an existing one with the same domain or name, or a new one).
    pub company_id: Option<Uuid>,
    /// Whether the company already existed.
    pub company_matched: bool,
    /// The deal, when one was opened.
    pub deal: Option<Deal>,
}
