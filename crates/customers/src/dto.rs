//! The read models and inputs of customers, shared by REST (OpenAPI) and GraphQL. Patches are
//! JSON Merge Patches on REST; GraphQL builds the same patch types from its own inputs.

use chrono::{DateTime, Utc};
use crm_core::{Channel, LifecycleStage, Money, Patch, SizeBand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject)
)]
#[cfg_attr(feature = "graphql", graphql(input_name = "AddressInput"))]
pub struct Address {
    /// Street and number.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Region, state or province.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, such as `DE`.
    #[cfg_attr(feature = "openapi", schema(example = "DE"))]
    pub country: Option<String>,
}

/// A company (account).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "graphql", graphql(name = "CompanyFields"))]
pub struct Company {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// Trading name.
    pub name: String,
    /// Registered legal name.
    pub legal_name: Option<String>,
    /// Web domain, lowercase, such as `acme.com`.
    pub domain: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Size by headcount.
    pub size_band: Option<SizeBand>,
    /// Annual revenue.
    pub annual_revenue: Option<Money>,
    /// Postal address.
    pub address: Address,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by key (see `/api/v1/custom-fields`).
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub custom: Value,
    /// Version, incremented by every change; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was deleted (only in the deleted-records list).
    pub deleted_at: Option<DateTime<Utc>>,
    /// The source system of `external_id` (set by `PUT /companies/by-external-id/...`).
    pub external_source: Option<String>,
    /// The id of the company in that system.
    pub external_id: Option<String>,
}

/// A new company.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewCompany {
    /// Trading name (1 to 300 characters).
    pub name: String,
    /// Registered legal name.
    pub legal_name: Option<String>,
    /// Web domain or URL; stored as the lowercase host.
    pub domain: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Size by headcount.
    pub size_band: Option<SizeBand>,
    /// Annual revenue.
    pub annual_revenue: Option<Money>,
    /// Postal address.
    pub address: Option<Address>,
    /// The responsible user (default: the creator; another user needs the manager role).
    pub owner_id: Option<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Tags (at most 50, each 1 to 50 characters).
    pub tags: Option<Vec<String>>,
    /// Custom field values by key.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>))]
    pub custom: Option<Value>,
}

/// Changes to a company (JSON Merge Patch: absent leaves, `null` clears, a value sets).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyPatch {
    /// Trading name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Patch<String>,
    /// Registered legal name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub legal_name: Patch<String>,
    /// Web domain.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub domain: Patch<String>,
    /// Industry.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub industry: Patch<String>,
    /// Size by headcount.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SizeBand>))]
    pub size_band: Patch<SizeBand>,
    /// Annual revenue.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub annual_revenue: Patch<Money>,
    /// Postal address (replaced as a whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Address>))]
    pub address: Patch<Address>,
    /// The responsible user (changing it needs the manager role).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Patch<Uuid>,
    /// Lifecycle stage.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LifecycleStage>))]
    pub lifecycle_stage: Patch<LifecycleStage>,
    /// Tags (replaced as a whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub tags: Patch<Vec<String>>,
    /// Custom values, merged key by key (`null` clears a key).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>))]
    pub custom: Patch<Value>,
}

/// A contact (a person).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "graphql", graphql(name = "ContactFields"))]
pub struct Contact {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email, lowercase.
    pub email: Option<String>,
    /// Phone in E.164, such as `+4930123456`.
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// The company the contact works for (none for consumers).
    pub company_id: Option<Uuid>,
    /// Postal address.
    pub address: Address,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// The channel the contact came from.
    pub source_channel: Option<Channel>,
    /// Consent per channel: `{"email": true, "phone": false}`.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, bool>))]
    pub consent: Value,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by key (see `/api/v1/custom-fields`).
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub custom: Value,
    /// Version, incremented by every change; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was deleted (only in the deleted-records list).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new contact. At least one of first name, last name, email or phone is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewContact {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone, international (`+49 30 123456`) or national with the address country.
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// The company (none for consumers).
    pub company_id: Option<Uuid>,
    /// Postal address.
    pub address: Option<Address>,
    /// The responsible user (default: the creator; another user needs the manager role).
    pub owner_id: Option<Uuid>,
    /// Lifecycle stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// The channel the contact came from.
    pub source_channel: Option<Channel>,
    /// Consent per channel: `{"email": true}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Option<bool>>>))]
    pub consent: Option<Value>,
    /// Tags (at most 50, each 1 to 50 characters).
    pub tags: Option<Vec<String>>,
    /// Custom field values by key.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>))]
    pub custom: Option<Value>,
}

/// Changes to a contact (JSON Merge Patch: absent leaves, `null` clears, a value sets).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPatch {
    /// First name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub first_name: Patch<String>,
    /// Last name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub last_name: Patch<String>,
    /// Email.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Patch<String>,
    /// Phone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Patch<String>,
    /// Job title.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub title: Patch<String>,
    /// The company.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub company_id: Patch<Uuid>,
    /// Postal address (replaced as a whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Address>))]
    pub address: Patch<Address>,
    /// The responsible user (changing it needs the manager role).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Patch<Uuid>,
    /// Lifecycle stage.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LifecycleStage>))]
    pub lifecycle_stage: Patch<LifecycleStage>,
    /// The channel the contact came from.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Channel>))]
    pub source_channel: Patch<Channel>,
    /// Consent per channel, merged channel by channel.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Option<bool>>>))]
    pub consent: Patch<Value>,
    /// Tags (replaced as a whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub tags: Patch<Vec<String>>,
    /// Custom values, merged key by key (`null` clears a key).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>))]
    pub custom: Patch<Value>,
}

/// The type of a custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum CustomFieldType {
    /// Text up to 2000 characters.
    Text,
    /// A JSON number.
    Number,
    /// A decimal as a string, such as `"12.50"`.
    Decimal,
    /// A date `YYYY-MM-DD`.
    Date,
    /// `true` or `false`.
    Boolean,
    /// One of `options`.
    Select,
    /// A list of `options`.
    MultiSelect,
    /// A URL.
    Url,
    /// An email address.
    Email,
}

/// The record type a custom field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum RecordType {
    /// Companies.
    Company,
    /// Contacts.
    Contact,
}

/// A custom field definition.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CustomField {
    /// Identifier.
    pub id: Uuid,
    /// The record type.
    pub record_type: RecordType,
    /// Key in `custom` and in filters (`custom.<key>`): lowercase letters, digits, `_`.
    pub key: String,
    /// Display label.
    pub label: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// Whether every record must have a value.
    pub required: bool,
    /// Whether no two records may share a value.
    pub unique: bool,
    /// Allowed values of `select` and `multi_select`.
    pub options: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A new custom field definition (admins only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewCustomField {
    /// The record type.
    pub record_type: RecordType,
    /// Key: 1 to 64 lowercase letters, digits and `_`, starting with a letter.
    pub key: String,
    /// Display label.
    pub label: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// Whether every record must have a value (default false).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub required: bool,
    /// Whether no two records may share a value (default false).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub unique: bool,
    /// Allowed values, for `select` and `multi_select`.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub options: Vec<String>,
}

/// A likely duplicate of a record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDuplicate {
    /// The other contact.
    pub contact: Contact,
    /// Why it looks like a duplicate: `email`, `phone`, `name_at_company`.
    pub reasons: Vec<String>,
}

/// A likely duplicate of a company.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyDuplicate {
    /// The other company.
    pub company: Company,
    /// Why it looks like a duplicate: `domain`, `name`.
    pub reasons: Vec<String>,
}

/// Merge another record into this one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct MergeInput {
    /// The record merged away: afterwards it answers 404 with `merged_into`.
    pub source_id: Uuid,
}

/// Move records from one owner to another.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct OwnerTransferInput {
    /// The current owner.
    pub from_user_id: Uuid,
    /// The new owner: an active user of the organization.
    pub to_user_id: Uuid,
    /// Which record types (default: all).
    pub record_types: Option<Vec<RecordType>>,
    /// Only these records (default: every record of `from_user_id`).
    pub ids: Option<Vec<Uuid>>,
}

/// What an owner transfer moved.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct OwnerTransferResult {
    /// Companies moved.
    pub companies: u64,
    /// Contacts moved.
    pub contacts: u64,
}
