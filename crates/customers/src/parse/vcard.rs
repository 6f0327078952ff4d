//! vCard 3.0 and 4.0 (RFC 2426, RFC 6350): unfolded, properties read with their `TYPE`s.

use super::Draft;
use super::phones;
use crate::parse_dto::{ParsedPhone, PhoneKind};

/// Whether the text is a vCard.
pub fn is_vcard(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// Unfolds continuation lines (a line starting with a space or tab continues the one before).
fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.push_str(rest);
            continue;
        }
        out.push(raw.to_owned());
    }
    out
}

/// Splits a value at unescaped `sep` and unescapes `\,`, `\;`, `\n`, `\\`.
fn components(value: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let unescaped = match chars.next() {
                Some('n' | 'N') => Some('\n'),
                other => other,
            };
            if let (Some(u), Some(s)) = (unescaped, out.last_mut()) {
                s.push(u);
            }
        } else if c == sep {
            out.push(String::new());
        } else if let Some(s) = out.last_mut() {
            s.push(c);
        }
    }
    out.into_iter().map(|s| s.trim().to_owned()).collect()
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// One property: its name (without group), lowercase `TYPE` values, and raw value.
struct Prop {
    name: String,
    types: Vec<String>,
    value: String,
}

fn prop(line: &str) -> Option<Prop> {
    let (head, value) = line.split_once(':')?;
    let mut params = head.split(';');
    let name = params.next()?;
    let name = name.rsplit('.').next().unwrap_or(name).to_uppercase();
    let mut types = Vec::new();
    for p in params {
        let (k, v) = p.split_once('=').unwrap_or(("TYPE", p));
        if k.eq_ignore_ascii_case("TYPE") {
            types.extend(
                v.trim_matches('"')
                    .split(',')
                    .map(|t| t.trim().to_lowercase()),
            );
        }
    }
    Some(Prop {
        name,
        types,
        value: value.to_owned(),
    })
}

/// Reads a vCard into a draft.
pub fn read(text: &str, default_country: Option<&str>) -> Draft {
    let mut d = Draft::default();
    let props: Vec<Prop> = unfold(text).iter().filter_map(|l| prop(l)).collect();
    // The address first: its country reads national phone numbers.
    if let Some(adr) = props.iter().find(|p| p.name == "ADR") {
        let c = components(&adr.value, ';');
        let get = |i: usize| c.get(i).and_then(|s| non_empty(s));
        let street = match (get(1), get(2)) {
            (Some(ext), Some(st)) => Some(format!("{st}, {ext}")),
            (a, b) => b.or(a),
        };
        let country = get(6).and_then(|s| {
            super::addresses::country(&s)
                .map(str::to_owned)
                .or_else(|| {
                    (s.len() == 2 && isocountry::CountryCode::for_alpha2(&s.to_uppercase()).is_ok())
                        .then(|| s.to_uppercase())
                })
        });
        d.address.street = street.map(|s| s.replace('\n', ", "));
        d.address.city = get(3);
        d.address.region = get(4);
        d.address.postal_code = get(5);
        d.address.country = country;
        if d.address != Default::default() {
            d.set_confidence("address", 0.95, "vCard ADR");
        }
    }
    let region = d
        .address
        .country
        .clone()
        .or(default_country.map(str::to_owned));
    for p in &props {
        match p.name.as_str() {
            "N" => {
                let c = components(&p.value, ';');
                let last = c.first().and_then(|s| non_empty(s));
                let first = match (
                    c.get(1).and_then(|s| non_empty(s)),
                    c.get(2).and_then(|s| non_empty(s)),
                ) {
                    (Some(f), Some(m)) => Some(format!("{f} {m}")),
                    (f, _) => f,
                };
                if first.is_some() || last.is_some() {
                    d.first_name = first;
                    d.last_name = last;
                    d.set_confidence("first_name", 0.98, "vCard N");
                    d.set_confidence("last_name", 0.98, "vCard N");
                }
            }
            "FN" if d.first_name.is_none() && d.last_name.is_none() => {
                if let Some(n) = super::names::name(&components(&p.value, '\u{0}').join("")) {
                    d.first_name = n.first;
                    d.last_name = n.last;
                    d.set_confidence("first_name", 0.8, "vCard FN split into names");
                    d.set_confidence("last_name", 0.8, "vCard FN split into names");
                }
            }
            "ORG" if d.company_name.is_none() => {
                d.company_name = components(&p.value, ';').first().and_then(|s| non_empty(s));
                d.set_confidence("company_name", 0.98, "vCard ORG");
            }
            "TITLE" if d.title.is_none() => {
                d.title = non_empty(&components(&p.value, '\u{0}').join(""));
                d.set_confidence("title", 0.98, "vCard TITLE");
            }
            "EMAIL" => {
                let v = p.value.trim().trim_start_matches("mailto:").to_lowercase();
                if super::valid_email(&v) && !d.emails.contains(&v) {
                    d.emails.push(v);
                    d.set_confidence("email", 0.99, "vCard EMAIL");
                }
            }
            "TEL" => {
                let raw = p.value.trim().trim_start_matches("tel:").to_owned();
                let kind = if p.types.iter().any(|t| t == "fax") {
                    PhoneKind::Fax
                } else if p.types.iter().any(|t| t == "cell" || t == "mobile") {
                    PhoneKind::Mobile
                } else if p.types.iter().any(|t| t == "work") {
                    PhoneKind::Work
                } else {
                    PhoneKind::Other
                };
                if let Some(number) = phones::normalise(&raw, region.as_deref()) {
                    d.phones.push(ParsedPhone { number, kind, raw });
                    d.set_confidence("phone", 0.97, "vCard TEL");
                }
            }
            "URL" if d.website.is_none() => {
                d.website = super::website(p.value.trim());
                if d.website.is_some() {
                    d.set_confidence("website", 0.98, "vCard URL");
                }
            }
            _ => {}
        }
    }
    d
}
