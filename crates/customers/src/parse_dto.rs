//! The inputs and read models of contact parsing (`POST /contacts/parse`, GraphQL
//! `parseContact` / `createContactFromText`), shared by REST and GraphQL.

use crate::dto::{Address, Company, Contact};
use serde::{Deserialize, Serialize};

/// Free text to structure into a contact: an email signature, a business card's text or a vCard.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"text": "Dr. Hans Meier\nGeschäftsführer\nGlobex GmbH\nFriedrichstraße 123, 10117 Berlin\nTel.: +49 (0)30 1234567\nhans.meier@globex.de", "default_country": "DE"}))
)]
pub struct ParseContactInput {
    /// The text: 1 to 10,000 characters, no NUL bytes. A vCard 3.0 or 4.0 is recognised by
    /// `BEGIN:VCARD`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub text: String,
    /// ISO 3166-1 alpha-2 country for phone numbers without a country code, used when the text
    /// itself names no country.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::dto::CountryCode>))]
    pub default_country: Option<String>,
}

/// The kind of a phone number, from its label (`Tel.`, `Mob.`, `Fax`, `TYPE=cell`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum PhoneKind {
    /// An office line (`Tel.`, `Telefon`, `Phone`, `T:`, `Tél.`).
    Work,
    /// A mobile (`Mob.`, `Mobil`, `Handy`, `Cell`, `M:`, `Portable`, `Móvil`, `Cellulare`).
    Mobile,
    /// A fax (`Fax`, `F:`).
    Fax,
    /// No label, or one that says nothing about the kind.
    Other,
}

/// A phone number found in the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "graphql", graphql(name = "ParsedPhone"))]
pub struct ParsedPhone {
    /// The number in E.164.
    #[cfg_attr(feature = "openapi", schema(example = "+49301234567"))]
    pub number: String,
    /// Its kind.
    pub kind: PhoneKind,
    /// The number as written.
    #[cfg_attr(feature = "openapi", schema(example = "+49 (0)30 1234567"))]
    pub raw: String,
}

/// How sure the parser is of one field, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct FieldConfidence {
    /// The field of `proposal`: `first_name`, `last_name`, `title`, `company_name`, `email`,
    /// `phone`, `website` or `address`.
    #[cfg_attr(feature = "openapi", schema(example = "phone"))]
    pub field: String,
    /// 0 (not found) to 1 (certain).
    #[cfg_attr(
        feature = "openapi",
        schema(example = 0.95, minimum = 0.0, maximum = 1.0)
    )]
    pub confidence: f64,
    /// A short reason.
    #[cfg_attr(feature = "openapi", schema(example = "labelled `Tel.`"))]
    pub reason: String,
}

/// The contact the parser proposes: the fields of a new contact (`NewContact`), plus the company
/// name, website and every email and phone found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ContactProposal {
    /// First name.
    #[cfg_attr(feature = "openapi", schema(example = "Hans"))]
    pub first_name: Option<String>,
    /// Last name.
    #[cfg_attr(feature = "openapi", schema(example = "Meier"))]
    pub last_name: Option<String>,
    /// The first email, lowercase.
    #[cfg_attr(feature = "openapi", schema(example = "hans.meier@globex.de"))]
    pub email: Option<String>,
    /// The main phone in E.164: the first work number, else mobile, else other (never a fax).
    #[cfg_attr(feature = "openapi", schema(example = "+49301234567"))]
    pub phone: Option<String>,
    /// Job title.
    #[cfg_attr(feature = "openapi", schema(example = "Geschäftsführer"))]
    pub title: Option<String>,
    /// Postal address (country as ISO 3166-1 alpha-2).
    pub address: Address,
    /// The company's name as written.
    #[cfg_attr(feature = "openapi", schema(example = "Globex GmbH"))]
    pub company_name: Option<String>,
    /// Website as a URL (`https://` added when the text has no scheme).
    #[cfg_attr(feature = "openapi", schema(example = "https://www.globex.de"))]
    pub website: Option<String>,
    /// Every email found, lowercase, in order.
    pub emails: Vec<String>,
    /// Every phone found, in order.
    pub phones: Vec<ParsedPhone>,
}

/// An existing contact of the caller's organization that matches the proposal.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ContactMatch {
    /// The contact.
    pub contact: Contact,
    /// Why it matches: `email` or `phone`.
    #[cfg_attr(feature = "openapi", schema(example = "email"))]
    pub reason: String,
}

/// An existing company of the caller's organization that matches the proposal.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CompanyMatch {
    /// The company.
    pub company: Company,
    /// Why it matches: `website_domain`, `email_domain` or `name`.
    #[cfg_attr(feature = "openapi", schema(example = "email_domain"))]
    pub reason: String,
}

/// The result of parsing: the proposal, a confidence per field, the matches, and the created
/// contact when creating was asked for.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "source": "text",
        "proposal": {
            "first_name": "Hans", "last_name": "Meier", "email": "hans.meier@globex.de",
            "phone": "+49301234567", "title": "Geschäftsführer",
            "address": {"street": "Friedrichstraße 123", "city": "Berlin", "region": null, "postal_code": "10117", "country": "DE"},
            "company_name": "Globex GmbH", "website": "https://www.globex.de",
            "emails": ["hans.meier@globex.de"],
            "phones": [{"number": "+49301234567", "kind": "work", "raw": "+49 (0)30 1234567"}]
        },
        "confidence": [
            {"field": "first_name", "confidence": 0.9, "reason": "name-shaped line that matches the email"},
            {"field": "last_name", "confidence": 0.9, "reason": "name-shaped line that matches the email"},
            {"field": "title", "confidence": 0.85, "reason": "job title words"},
            {"field": "company_name", "confidence": 0.9, "reason": "legal form in the name"},
            {"field": "email", "confidence": 0.99, "reason": "email address"},
            {"field": "phone", "confidence": 0.95, "reason": "labelled number"},
            {"field": "website", "confidence": 0.9, "reason": "URL or domain"},
            {"field": "address", "confidence": 0.85, "reason": "postal code and city; country from postal code layout"}
        ],
        "matched_contact": null,
        "matched_company": null,
        "created": null
    }))
)]
pub struct ContactParse {
    /// What the text was read as: `vcard` or `text`.
    #[cfg_attr(feature = "openapi", schema(example = "text"))]
    pub source: String,
    /// The proposed contact.
    pub proposal: ContactProposal,
    /// A confidence for each field of the proposal (0 with reason `not found` when absent).
    pub confidence: Vec<FieldConfidence>,
    /// The existing contact with one of the emails, or else one of the phones.
    pub matched_contact: Option<ContactMatch>,
    /// The existing company with the website's or an email's domain, or else the same name.
    pub matched_company: Option<CompanyMatch>,
    /// The contact created from the proposal (only with `create`), linked to `matched_company`.
    pub created: Option<Contact>,
}
