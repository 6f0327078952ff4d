//! Structuring a contact out of free text: an email signature, a business card's text or a
//! vCard. Rules only (no model): pure functions over lines, word lists and layouts, each field
//! with a confidence and a short reason. See `docs/contact-parsing.md`.

mod addresses;
mod lines;
mod names;
mod phones;
mod vcard;

#[cfg(test)]
mod tests;

use crate::dto::Address;
use crate::parse_dto::{ContactProposal, FieldConfidence, ParsedPhone, PhoneKind};
use lines::Label;
use validator::ValidateEmail;

/// The fields of a proposal, in the order their confidences are reported.
pub const FIELDS: [&str; 8] = [
    "first_name",
    "last_name",
    "title",
    "company_name",
    "email",
    "phone",
    "website",
    "address",
];

/// What the parser has found so far.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    first_name: Option<String>,
    last_name: Option<String>,
    title: Option<String>,
    company_name: Option<String>,
    emails: Vec<String>,
    phones: Vec<ParsedPhone>,
    website: Option<String>,
    address: Address,
    confidence: Vec<FieldConfidence>,
}

impl Draft {
    /// Records the confidence of a field, unless it already has one.
    fn set_confidence(&mut self, field: &str, confidence: f64, reason: &str) {
        if !self.confidence.iter().any(|c| c.field == field) {
            self.confidence.push(FieldConfidence {
                field: field.to_owned(),
                confidence,
                reason: reason.to_owned(),
            });
        }
    }
}

/// A parsed text: what it was read as, the proposal and the confidence of every field.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `vcard` or `text`.
    pub source: &'static str,
    /// The proposed contact.
    pub proposal: ContactProposal,
    /// One confidence per field of [`FIELDS`], in that order.
    pub confidence: Vec<FieldConfidence>,
}

/// Whether a string is an email address.
fn valid_email(s: &str) -> bool {
    s.contains('@') && s.validate_email()
}

/// A website as a URL: `https://` is added when there is no scheme; lowercase, no trailing `/`.
fn website(s: &str) -> Option<String> {
    let s = s
        .trim()
        .trim_matches(|c: char| matches!(c, '<' | '>' | '(' | ')' | ',' | ';'))
        .trim_end_matches('/')
        .to_lowercase();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let tld = host.rsplit('.').next().unwrap_or("");
    let ok = host.contains('.')
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && (2..=12).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && host.split('.').all(|l| !l.is_empty());
    if !ok {
        return None;
    }
    Some(if s.starts_with("http://") || s.starts_with("https://") {
        s
    } else {
        format!("https://{s}")
    })
}

/// Parses `text`; national phone numbers are read with the country the text names, else
/// `default_country` (an ISO alpha-2 code, already validated).
pub fn parse(text: &str, default_country: Option<&str>) -> Parsed {
    if vcard::is_vcard(text) {
        return finish("vcard", vcard::read(text, default_country));
    }
    finish("text", read_text(text, default_country))
}

/// Emails in a line.
fn emails_in(line: &str) -> Vec<String> {
    line.split(|c: char| c.is_whitespace() || "<>()[],;:\"'|".contains(c))
        .map(|t| t.trim_end_matches('.').to_lowercase())
        .filter(|t| valid_email(t))
        .collect()
}

/// A website in a line: a URL, a `www.` host, a `Web:` label's value, or a line that is only a
/// domain.
fn website_in(line: &str, label: Option<(Label, &str)>) -> Option<String> {
    if let Some((Label::Web, value)) = label
        && let Some(w) = website(value)
    {
        return Some(w);
    }
    for t in line.split(|c: char| c.is_whitespace() || c == '|') {
        let l = t.to_lowercase();
        if (l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www."))
            && let Some(w) = website(t)
        {
            return Some(w);
        }
    }
    let only = line.trim();
    (!only.contains(' ') && !only.contains('@'))
        .then(|| website(only))
        .flatten()
}

/// Whether a line is prose rather than a signature item.
fn is_prose(line: &str) -> bool {
    line.chars().count() > 80 || line.split_whitespace().count() > 10
}

fn read_text(text: &str, default_country: Option<&str>) -> Draft {
    let mut d = Draft::default();
    let lines: Vec<String> = lines::split(text).into_iter().map(|l| l.text).collect();
    let mut used = vec![false; lines.len()];
    let mut phone_lines: Vec<(usize, Option<Label>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let label = lines::label(line);
        let found = emails_in(line);
        if !found.is_empty() {
            for e in found {
                if !d.emails.contains(&e) {
                    d.emails.push(e);
                }
            }
            used[i] = true;
            continue;
        }
        if let Some(w) = website_in(line, label) {
            if d.website.is_none() {
                let labelled = matches!(label, Some((Label::Web, _)));
                d.website = Some(w);
                d.set_confidence(
                    "website",
                    if labelled { 0.95 } else { 0.9 },
                    if labelled {
                        "labelled web"
                    } else {
                        "URL or domain"
                    },
                );
            }
            used[i] = true;
            continue;
        }
        let phone_label = label
            .map(|(l, _)| l)
            .filter(|l| matches!(l, Label::Work | Label::Mobile | Label::Fax | Label::Phone));
        if phones::has_number(line, phone_label.is_some(), default_country) {
            phone_lines.push((i, phone_label));
            used[i] = true;
        }
    }
    // International numbers tell the country of an ambiguous postal code.
    let phone_country = phone_lines
        .iter()
        .flat_map(|(i, l)| phones::in_line(&lines[*i], *l, None))
        .find_map(|p| phones::country_of(&p.number));
    let named_country = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !used[*i])
        .find_map(|(_, l)| l.split(',').find_map(|p| addresses::country(p)));
    if let Some(found) = addresses::find(&lines, &used, phone_country, default_country) {
        for i in &found.lines {
            used[*i] = true;
        }
        d.address = found.address;
        d.set_confidence("address", found.confidence, &found.reason);
    } else if let Some(c) = named_country {
        d.address.country = Some(c.to_owned());
        d.set_confidence("address", 0.5, "only a country named in the text");
    }
    // Lines that are only a country name are used too.
    for (i, l) in lines.iter().enumerate() {
        if addresses::country(l).is_some() {
            used[i] = true;
        }
    }
    let region = d
        .address
        .country
        .clone()
        .or(named_country.map(str::to_owned))
        .or(default_country.map(str::to_owned));
    for (i, label) in &phone_lines {
        for p in phones::in_line(&lines[*i], *label, region.as_deref()) {
            if !d.phones.iter().any(|q| q.number == p.number) {
                d.phones.push(p);
            }
        }
    }
    if !d.emails.is_empty() {
        d.set_confidence("email", 0.99, "email address");
    }
    people_and_companies(&mut d, &lines, &mut used);
    d
}

/// Names, title and company from the lines not used by contact details or the address.
fn people_and_companies(d: &mut Draft, lines: &[String], used: &mut [bool]) {
    let free: Vec<usize> = (0..lines.len())
        .filter(|&i| !used[i] && !is_prose(&lines[i]) && !lines::is_closing(&lines[i]))
        .collect();
    let email = d.emails.first().cloned();
    // The name: the first name-shaped line, preferring one that agrees with the email.
    let candidates: Vec<(usize, names::Name)> = free
        .iter()
        .filter_map(|&i| {
            let n = names::name(&lines[i])?;
            Some((i, n))
        })
        .collect();
    let agreeing = email.as_deref().and_then(|e| {
        candidates
            .iter()
            .find(|(_, n)| names::agrees_with_email(n, e))
    });
    let chosen = agreeing.or(candidates.first()).cloned();
    let mut name_line = None;
    if let Some((i, n)) = chosen {
        let (c, why) = if agreeing.is_some() {
            (0.9, "name-shaped line that matches the email")
        } else {
            (0.7, "name-shaped line")
        };
        d.first_name = n.first;
        d.last_name = n.last;
        d.set_confidence("first_name", c, why);
        d.set_confidence("last_name", c, why);
        used[i] = true;
        name_line = Some(i);
        // `Hans Meier, Geschäftsführer`: the title after the comma.
        if let Some((_, after)) = lines[i].split_once(',')
            && names::is_title(after)
        {
            d.title = Some(after.trim().to_owned());
            d.set_confidence("title", 0.85, "title after the name");
        }
    } else if let Some(n) = email.as_deref().and_then(names::from_email) {
        d.first_name = n.first;
        d.last_name = n.last;
        d.set_confidence("first_name", 0.4, "from the email address");
        d.set_confidence("last_name", 0.4, "from the email address");
    }
    let free: Vec<usize> = free.into_iter().filter(|&i| !used[i]).collect();
    // The company: a line with a legal form.
    if let Some(&i) = free.iter().find(|&&i| names::is_company(&lines[i])) {
        d.company_name = Some(lines[i].clone());
        d.set_confidence("company_name", 0.9, "legal form in the name");
        used[i] = true;
    }
    // The title: a line with a title word; `Title at Company` gives both.
    if d.title.is_none()
        && let Some(&i) = free
            .iter()
            .find(|&&i| !used[i] && names::is_title(&lines[i]))
    {
        let line = &lines[i];
        let split = [
            " at ", " bei ", " chez ", " @ ", " presso ", " en ", " bij ",
        ]
        .iter()
        .find_map(|sep| line.split_once(sep));
        match split {
            Some((t, c)) if d.company_name.is_none() && !c.trim().is_empty() => {
                d.title = Some(t.trim().to_owned());
                d.company_name = Some(c.trim().to_owned());
                d.set_confidence("company_name", 0.7, "after the title (`at`)");
            }
            _ => d.title = Some(line.clone()),
        }
        d.set_confidence("title", 0.85, "job title words");
        used[i] = true;
    }
    // Without a word list hit, the lines right after the name: title, then company.
    let Some(n) = name_line else {
        return;
    };
    let mut next = (n + 1..lines.len()).filter(|&i| {
        !used[i]
            && !is_prose(&lines[i])
            && !lines[i].chars().any(|c| c.is_ascii_digit())
            && lines[i].chars().count() <= 80
    });
    if d.title.is_none()
        && let Some(i) = next.next().filter(|&i| i == n + 1)
    {
        d.title = Some(lines[i].clone());
        d.set_confidence("title", 0.5, "the line after the name");
        used[i] = true;
    }
    if d.company_name.is_none()
        && let Some(i) = (n + 1..lines.len()).find(|&i| {
            !used[i] && !is_prose(&lines[i]) && !lines[i].chars().any(|c| c.is_ascii_digit())
        })
    {
        d.company_name = Some(lines[i].clone());
        d.set_confidence("company_name", 0.5, "the line after the name and title");
        used[i] = true;
    }
}

/// Chooses the main email and phone and lists a confidence for every field.
fn finish(source: &'static str, mut d: Draft) -> Parsed {
    let phone = [PhoneKind::Work, PhoneKind::Mobile, PhoneKind::Other]
        .iter()
        .find_map(|k| d.phones.iter().find(|p| p.kind == *k))
        .cloned();
    if let Some(p) = &phone
        && source == "text"
    {
        let (c, why) = if p.kind == PhoneKind::Other {
            (0.7, "number without a label")
        } else {
            (0.95, "labelled number")
        };
        d.set_confidence("phone", c, why);
    }
    let proposal = ContactProposal {
        first_name: d.first_name.take(),
        last_name: d.last_name.take(),
        email: d.emails.first().cloned(),
        phone: phone.map(|p| p.number),
        title: d.title.take(),
        address: std::mem::take(&mut d.address),
        company_name: d.company_name.take(),
        website: d.website.take(),
        emails: std::mem::take(&mut d.emails),
        phones: std::mem::take(&mut d.phones),
    };
    let present = |f: &str| match f {
        "first_name" => proposal.first_name.is_some(),
        "last_name" => proposal.last_name.is_some(),
        "title" => proposal.title.is_some(),
        "company_name" => proposal.company_name.is_some(),
        "email" => proposal.email.is_some(),
        "phone" => proposal.phone.is_some(),
        "website" => proposal.website.is_some(),
        _ => proposal.address != Address::default(),
    };
    let confidence = FIELDS
        .iter()
        .map(|f| {
            d.confidence
                .iter()
                .find(|c| c.field == *f && present(f))
                .cloned()
                .unwrap_or_else(|| FieldConfidence {
                    field: (*f).to_owned(),
                    confidence: 0.0,
                    reason: "not found".to_owned(),
                })
        })
        .collect();
    Parsed {
        source,
        proposal,
        confidence,
    }
}
