//! Structuring a contact out of free text: the input rules, matching the proposal against the
//! caller's contacts and companies (reads only), and creating it through [`create_contact`].

use super::companies::get_company;
use super::contacts::{create_contact, get_contact};
use super::lookup::{company_by_domain_or_name, contact_by_email_or_phone};
use crate::dto::{Address, NewContact};
use crate::error::Result;
use crate::parse;
use crate::parse_dto::{
    CompanyMatch, ContactMatch, ContactParse, ContactProposal, ParseContactInput,
};
use crate::validate::{self, Errors};
use crm_core::{Action, Ctx};

/// The longest text accepted, in characters.
pub const MAX_PARSE_TEXT: usize = 10_000;

/// Email domains of mail providers: they say nothing about the company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.de",
    "yahoo.fr",
    "yahoo.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.fr",
    "outlook.com",
    "outlook.de",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "web.de",
    "t-online.de",
    "freenet.de",
    "proton.me",
    "protonmail.com",
    "mail.com",
    "orange.fr",
    "free.fr",
    "wanadoo.fr",
    "laposte.net",
    "libero.it",
    "virgilio.it",
    "bluewin.ch",
    "kpnmail.nl",
    "ziggo.nl",
    "telefonica.net",
];

/// Checks the input; returns the default country, uppercase.
fn checked(input: &ParseContactInput) -> Result<Option<String>> {
    let mut errors = Errors::default();
    if input.text.trim().is_empty() {
        errors.push("/text", "required", "must not be empty");
    } else if input.text.chars().count() > MAX_PARSE_TEXT {
        errors.push(
            "/text",
            "length",
            format!("must be at most {MAX_PARSE_TEXT} characters"),
        );
    }
    if input.text.contains('\0') {
        errors.push("/text", "nul", "must not contain NUL bytes");
    }
    let country = validate::country(
        input.default_country.clone(),
        "/default_country",
        &mut errors,
    );
    errors.finish()?;
    Ok(country)
}

/// The caller's live contact with one of the emails, else one of the phones.
async fn matching_contact(ctx: &Ctx, p: &ContactProposal) -> Result<Option<ContactMatch>> {
    let by_email = p.emails.iter().map(|e| (Some(e.as_str()), None, "email"));
    let by_phone = p
        .phones
        .iter()
        .map(|x| (None, Some(x.number.as_str()), "phone"));
    for (email, phone, reason) in by_email.chain(by_phone) {
        if let Some(found) = contact_by_email_or_phone(&ctx.db, ctx, email, phone).await? {
            return Ok(Some(ContactMatch {
                contact: get_contact(ctx, found.id).await?,
                reason: reason.to_owned(),
            }));
        }
    }
    Ok(None)
}

/// The caller's live company with the website's domain, else an email's (not a mail
/// provider's), else the same name.
async fn matching_company(ctx: &Ctx, p: &ContactProposal) -> Result<Option<CompanyMatch>> {
    let host = |s: &str| {
        let mut errors = Errors::default();
        validate::domain(Some(s.to_owned()), "/website", &mut errors)
            .filter(|_| errors.0.is_empty())
    };
    let mut keys: Vec<(Option<String>, Option<String>, &str)> = Vec::new();
    if let Some(d) = p.website.as_deref().and_then(host) {
        keys.push((Some(d), None, "website_domain"));
    }
    for e in &p.emails {
        if let Some(d) = e.rsplit('@').next().and_then(host)
            && !FREE_MAIL.contains(&d.as_str())
        {
            keys.push((Some(d), None, "email_domain"));
        }
    }
    if let Some(n) = &p.company_name {
        keys.push((None, Some(n.clone()), "name"));
    }
    for (domain, name, reason) in keys {
        let found =
            company_by_domain_or_name(&ctx.db, ctx, domain.as_deref(), name.as_deref()).await?;
        if let Some(id) = found {
            return Ok(Some(CompanyMatch {
                company: get_company(ctx, id).await?,
                reason: reason.to_owned(),
            }));
        }
    }
    Ok(None)
}

/// Parses the text into a proposed contact with a confidence per field, and finds the matching
/// contact and company of the caller's organization. Writes nothing. Text with nothing
/// recognisable is not an error: every field is empty with confidence 0.
pub async fn parse_contact(ctx: &Ctx, input: ParseContactInput) -> Result<ContactParse> {
    ctx.require(Action::Read)?;
    let country = checked(&input)?;
    let parsed = parse::parse(&input.text, country.as_deref());
    let matched_contact = matching_contact(ctx, &parsed.proposal).await?;
    let matched_company = matching_company(ctx, &parsed.proposal).await?;
    Ok(ContactParse {
        source: parsed.source.to_owned(),
        proposal: parsed.proposal,
        confidence: parsed.confidence,
        matched_contact,
        matched_company,
        created: None,
    })
}

/// [`parse_contact`], then creates the proposed contact through [`create_contact`] (the same
/// validation, history and event), linked to the matched company. A matched contact does not
/// stop the creation: the caller asked for it and sees the match in the answer.
pub async fn create_contact_from_text(ctx: &Ctx, input: ParseContactInput) -> Result<ContactParse> {
    ctx.require(Action::Write)?;
    let mut result = parse_contact(ctx, input).await?;
    let p = &result.proposal;
    let new = NewContact {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        title: p.title.clone(),
        company_id: result.matched_company.as_ref().map(|m| m.company.id),
        address: (p.address != Address::default()).then(|| p.address.clone()),
        ..Default::default()
    };
    result.created = Some(create_contact(ctx, new).await?);
    Ok(result)
}
