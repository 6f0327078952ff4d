//! The read models and inputs of customers, shared by REST (OpenAPI) and GraphQL. Patches are
//! JSON Merge Patches on REST; GraphQL builds the same patch types from its own inputs.

use chrono::{DateTime, Utc};
use crm_core::{Channel, LifecycleStage, Money, Patch, SizeBand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// An ISO 3166-1 alpha-2 country code as the OpenAPI document declares it: an enum of every code
/// the server accepts (it also accepts them in lowercase, and stores them uppercase).
#[cfg(feature = "openapi")]
pub struct CountryCode;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut codes: Vec<&str> = isocountry::CountryCode::iter()
            .map(|c| c.alpha2())
            .collect();
        codes.sort_unstable();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("ISO 3166-1 alpha-2 country code, such as `DE`."))
            .enum_values(Some(codes))
            .examples([serde_json::json!("DE")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CountryCode {}

/// A tag as the OpenAPI document declares it: 1 to 50 characters, not only spaces (tags are
/// trimmed; a record has at most 50, duplicates are dropped).
#[cfg(feature = "openapi")]
pub struct Tag;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Tag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(50))
            .pattern(Some(r"\S"))
            .examples([serde_json::json!("key-account")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Tag {}

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
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 300, example = "Friedrichstraße 123")
    )]
    pub street: Option<String>,
    /// City.
    #[cfg_attr(feature = "openapi", schema(max_length = 120, example = "Berlin"))]
    pub city: Option<String>,
    /// Region, state or province.
    #[cfg_attr(feature = "openapi", schema(max_length = 120, example = "Berlin"))]
    pub region: Option<String>,
    /// Postal code.
    #[cfg_attr(feature = "openapi", schema(max_length = 20, example = "10117"))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, such as `DE`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CountryCode>))]
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
    #[cfg_attr(feature = "openapi", schema(example = "Globex GmbH"))]
    pub name: String,
    /// Registered legal name.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Globex Handelsgesellschaft mbH")
    )]
    pub legal_name: Option<String>,
    /// Web domain, lowercase, such as `acme.com`.
    #[cfg_attr(feature = "openapi", schema(example = "globex.de"))]
    pub domain: Option<String>,
    /// Industry.
    #[cfg_attr(feature = "openapi", schema(example = "Wholesale"))]
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
    #[cfg_attr(feature = "openapi", schema(example = json!(["key-account"])))]
    pub tags: Vec<String>,
    /// Custom field values by key (see `/api/v1/custom-fields`).
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub custom: Value,
    /// Version, incremented by every change; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 3))]
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
    /// What analytics computed for it (read-only; filter and sort as `analytics.<field>`).
    pub analytics: crate::dto_analytics::CustomerAnalytics,
}

/// A new company.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewCompany {
    /// Trading name (1 to 300 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"\S",
            example = "Globex GmbH"
        )
    )]
    pub name: String,
    /// Registered legal name.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 300, example = "Globex Handelsgesellschaft mbH")
    )]
    pub legal_name: Option<String>,
    /// Web domain or URL; stored as the lowercase host (without `www.`), which must have a dot.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([A-Za-z][A-Za-z0-9+.-]*://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+([/?#].*)?$",
            max_length = 255,
            example = "https://www.globex.de"
        )
    )]
    pub domain: Option<String>,
    /// Industry.
    #[cfg_attr(feature = "openapi", schema(max_length = 100, example = "Wholesale"))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Tag>>, max_items = 50, example = json!(["key-account"])))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, min_length = 1, max_length = 300, pattern = r"\S", example = "Globex AG"))]
    pub name: Patch<String>,
    /// Registered legal name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 300, example = "Globex AG"))]
    pub legal_name: Patch<String>,
    /// Web domain.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = r"^([A-Za-z][A-Za-z0-9+.-]*://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+([/?#].*)?$", max_length = 255, example = "globex.com"))]
    pub domain: Patch<String>,
    /// Industry.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100, example = "Logistics"))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Tag>>, max_items = 50, example = json!(["key-account"])))]
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
    #[cfg_attr(feature = "openapi", schema(example = "Hans"))]
    pub first_name: Option<String>,
    /// Last name.
    #[cfg_attr(feature = "openapi", schema(example = "Meier"))]
    pub last_name: Option<String>,
    /// Email, lowercase.
    #[cfg_attr(feature = "openapi", schema(example = "hans.meier@globex.de"))]
    pub email: Option<String>,
    /// Phone in E.164, such as `+4930123456`.
    #[cfg_attr(feature = "openapi", schema(example = "+49301234567"))]
    pub phone: Option<String>,
    /// Job title.
    #[cfg_attr(feature = "openapi", schema(example = "Head of Purchasing"))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<Channel, bool>))]
    pub consent: Value,
    /// Tags.
    #[cfg_attr(feature = "openapi", schema(example = json!(["key-account"])))]
    pub tags: Vec<String>,
    /// Custom field values by key (see `/api/v1/custom-fields`).
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub custom: Value,
    /// Version, incremented by every change; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was deleted (only in the deleted-records list).
    pub deleted_at: Option<DateTime<Utc>>,
    /// The source system of `external_id` (set by `PUT /contacts/by-external-id/...`, batch
    /// upserts and imports).
    pub external_source: Option<String>,
    /// The id of the contact in that system.
    pub external_id: Option<String>,
    /// What analytics computed for it (read-only; filter and sort as `analytics.<field>`).
    pub analytics: crate::dto_analytics::CustomerAnalytics,
}

/// A new contact. At least one of first name, last name, email or phone is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewContact {
    /// First name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, example = "Hans"))]
    pub first_name: Option<String>,
    /// Last name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, example = "Meier"))]
    pub last_name: Option<String>,
    /// Email.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 320, format = "email", example = "hans.meier@globex.de")
    )]
    pub email: Option<String>,
    /// Phone, international (`+49 30 123456`) or national with the address country.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 40, example = "+49 30 1234567")
    )]
    pub phone: Option<String>,
    /// Job title.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, example = "Head of Purchasing")
    )]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<Channel, Option<bool>>>))]
    pub consent: Option<Value>,
    /// Tags (at most 50, each 1 to 50 characters).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Tag>>, max_items = 50, example = json!(["key-account"])))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200, example = "Hans"))]
    pub first_name: Patch<String>,
    /// Last name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200, example = "Meier-Schulz"))]
    pub last_name: Patch<String>,
    /// Email.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 320, format = "email", example = "hans.meier@globex.de"))]
    pub email: Patch<String>,
    /// Phone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 40, example = "+49 30 1234567"))]
    pub phone: Patch<String>,
    /// Job title.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200, example = "Purchasing Director"))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<Channel, Option<bool>>>))]
    pub consent: Patch<Value>,
    /// Tags (replaced as a whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Tag>>, max_items = 50, example = json!(["key-account"])))]
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
    #[cfg_attr(feature = "openapi", schema(example = "contract_tier"))]
    pub key: String,
    /// Display label.
    #[cfg_attr(feature = "openapi", schema(example = "Contract tier"))]
    pub label: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// Whether every record must have a value.
    pub required: bool,
    /// Whether no two records may share a value.
    pub unique: bool,
    /// Allowed values of `select` and `multi_select`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["gold", "silver"])))]
    pub options: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A new custom field definition (admins only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"record_type": "company", "key": "contract_tier", "label": "Contract tier", "field_type": "select", "required": false, "unique": false, "options": ["gold", "silver"]}))
)]
pub struct NewCustomField {
    /// The record type.
    pub record_type: RecordType,
    /// Key: 1 to 64 lowercase letters, digits and `_`, starting with a letter.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[a-z][a-z0-9_]*$",
            example = "contract_tier"
        )
    )]
    pub key: String,
    /// Display label.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"\S",
            example = "Contract tier"
        )
    )]
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
    #[cfg_attr(feature = "openapi", schema(example = json!(["gold", "silver"])))]
    pub options: Vec<String>,
}

/// A likely duplicate of a record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDuplicate {
    /// The other contact.
    pub contact: Contact,
    /// Why it looks like a duplicate: `email`, `phone`, `name_at_company`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["email"])))]
    pub reasons: Vec<String>,
}

/// A likely duplicate of a company.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyDuplicate {
    /// The other company.
    pub company: Company,
    /// Why it looks like a duplicate: `domain`, `name`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["domain"])))]
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
    #[cfg_attr(feature = "openapi", schema(example = 4))]
    pub companies: u64,
    /// Contacts moved.
    #[cfg_attr(feature = "openapi", schema(example = 17))]
    pub contacts: u64,
}
