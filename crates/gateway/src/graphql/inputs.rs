//! GraphQL-only inputs: list filters and patches (`MaybeUndefined`: absent leaves, `null`
//! clears), converted into the same domain types REST uses.

use super::connection::patch;
use super::filters::{Filter, Listed, Order};
use async_graphql::{InputObject, MaybeUndefined};
use crm_core::list::ListParams;
use crm_core::{Channel, LifecycleStage, Money, SizeBand};
use crm_customers::{Address, CompanyPatch, ContactPatch};
use serde_json::Value;
use uuid::Uuid;

/// List parameters from GraphQL arguments: the typed filter and order of the resource.
pub fn list_params<R: Listed>(
    first: Option<i32>,
    after: Option<String>,
    filter: Option<Filter<R>>,
    order_by: Option<Vec<Order<R>>>,
    q: Option<String>,
) -> ListParams {
    ListParams {
        filters: Vec::new(),
        tree: filter.map(|f| f.tree),
        sort: order_by.map(|v| v.into_iter().map(|o| o.key).collect::<Vec<_>>().join(",")),
        q,
        page: super::connection::page_request(first, after),
        probe_rows: None,
        match_cap: None,
    }
}

/// Changes to a company: omitted fields stay, `null` clears.
#[derive(InputObject, Default)]
pub struct CompanyPatchInput {
    /// Trading name.
    pub name: MaybeUndefined<String>,
    /// Registered legal name.
    pub legal_name: MaybeUndefined<String>,
    /// Web domain.
    pub domain: MaybeUndefined<String>,
    /// Industry.
    pub industry: MaybeUndefined<String>,
    /// Size by headcount.
    pub size_band: MaybeUndefined<SizeBand>,
    /// Annual revenue.
    pub annual_revenue: MaybeUndefined<Money>,
    /// Postal address (replaced as a whole).
    pub address: MaybeUndefined<Address>,
    /// The responsible user.
    pub owner_id: MaybeUndefined<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: MaybeUndefined<LifecycleStage>,
    /// Tags (replaced as a whole).
    pub tags: MaybeUndefined<Vec<String>>,
    /// Custom values, merged key by key.
    pub custom: MaybeUndefined<Value>,
}

impl From<CompanyPatchInput> for CompanyPatch {
    fn from(i: CompanyPatchInput) -> Self {
        CompanyPatch {
            name: patch(i.name),
            legal_name: patch(i.legal_name),
            domain: patch(i.domain),
            industry: patch(i.industry),
            size_band: patch(i.size_band),
            annual_revenue: patch(i.annual_revenue),
            address: patch(i.address),
            owner_id: patch(i.owner_id),
            lifecycle_stage: patch(i.lifecycle_stage),
            tags: patch(i.tags),
            custom: patch(i.custom),
        }
    }
}

/// Changes to a contact: omitted fields stay, `null` clears.
#[derive(InputObject, Default)]
pub struct ContactPatchInput {
    /// First name.
    pub first_name: MaybeUndefined<String>,
    /// Last name.
    pub last_name: MaybeUndefined<String>,
    /// Email.
    pub email: MaybeUndefined<String>,
    /// Phone.
    pub phone: MaybeUndefined<String>,
    /// Job title.
    pub title: MaybeUndefined<String>,
    /// The company.
    pub company_id: MaybeUndefined<Uuid>,
    /// Postal address (replaced as a whole).
    pub address: MaybeUndefined<Address>,
    /// The responsible user.
    pub owner_id: MaybeUndefined<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: MaybeUndefined<LifecycleStage>,
    /// The channel the contact came from.
    pub source_channel: MaybeUndefined<Channel>,
    /// Consent per channel, merged channel by channel.
    pub consent: MaybeUndefined<Value>,
    /// Tags (replaced as a whole).
    pub tags: MaybeUndefined<Vec<String>>,
    /// Custom values, merged key by key.
    pub custom: MaybeUndefined<Value>,
}

impl From<ContactPatchInput> for ContactPatch {
    fn from(i: ContactPatchInput) -> Self {
        ContactPatch {
            first_name: patch(i.first_name),
            last_name: patch(i.last_name),
            email: patch(i.email),
            phone: patch(i.phone),
            title: patch(i.title),
            company_id: patch(i.company_id),
            address: patch(i.address),
            owner_id: patch(i.owner_id),
            lifecycle_stage: patch(i.lifecycle_stage),
            source_channel: patch(i.source_channel),
            consent: patch(i.consent),
            tags: patch(i.tags),
            custom: patch(i.custom),
        }
    }
}
