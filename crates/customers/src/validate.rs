//! Field rules of customers: every broken field is collected, then answered at once as a 422.

use crate::dto::{Address, CustomFieldType};
use crm_core::{Channel, FieldError};
use serde_json::{Map, Value};
use validator::{ValidateEmail, ValidateUrl};

/// Collects broken fields.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Records a broken field.
    pub fn push(&mut self, pointer: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(pointer, code, message));
    }

    /// A 422 listing every broken field, if any.
    pub fn finish(self) -> Result<(), crm_core::Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crm_core::Error::validation(self.0))
        }
    }
}

/// Trims; an empty string is no value. Checks the length.
pub fn text(
    value: Option<String>,
    pointer: &str,
    max: usize,
    errors: &mut Errors,
) -> Option<String> {
    let v = value
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errors.push(
            pointer,
            "length",
            format!("must be at most {max} characters"),
        );
    }
    Some(v)
}

/// A lowercase, syntactically valid email.
pub fn email(value: Option<String>, pointer: &str, errors: &mut Errors) -> Option<String> {
    let v = text(value, pointer, 320, errors)?.to_lowercase();
    if !v.validate_email() {
        errors.push(pointer, "email", "must be a valid email address");
    }
    Some(v)
}

/// A phone number in E.164; national numbers are read with `country` (ISO alpha-2).
pub fn phone(
    value: Option<String>,
    country: Option<&str>,
    pointer: &str,
    errors: &mut Errors,
) -> Option<String> {
    let v = text(value, pointer, 40, errors)?;
    let region = country.and_then(|c| c.parse::<phonenumber::country::Id>().ok());
    match phonenumber::parse(region, &v) {
        Ok(n) if phonenumber::is_valid(&n) => {
            Some(n.format().mode(phonenumber::Mode::E164).to_string())
        }
        _ => {
            let hint = if v.starts_with('+') || region.is_some() {
                "is not a valid phone number"
            } else {
                "is not a valid phone number (give it as +<country code> ... or set the address country)"
            };
            errors.push(pointer, "phone", hint);
            Some(v)
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, uppercase.
pub fn country(value: Option<String>, pointer: &str, errors: &mut Errors) -> Option<String> {
    let v = text(value, pointer, 2, errors)?.to_uppercase();
    if isocountry::CountryCode::for_alpha2(&v).is_err() {
        errors.push(
            pointer,
            "country",
            "must be an ISO 3166-1 alpha-2 country code such as DE",
        );
    }
    Some(v)
}

/// A web domain, from a bare domain or a URL: the lowercase host.
/// A web domain as companies store it (lowercase, without scheme, `www.` or path), or `None`
/// when it is not one: imports match rows on it.
pub fn domain_key(raw: &str) -> Option<String> {
    let mut errors = Errors::default();
    let key = domain(Some(raw.to_owned()), "", &mut errors);
    key.filter(|_| errors.0.is_empty())
}

/// [`domain`] for another domain's input (a lead's company domain): the normalised host, or
/// `None` with the broken rule added to `errors` at `pointer`.
pub fn domain_field(
    value: Option<String>,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let mut found = Errors::default();
    let host = domain(value, pointer, &mut found);
    let valid = found.0.is_empty();
    errors.extend(found.0);
    host.filter(|_| valid)
}

/// Checks and normalises a web domain.
pub fn domain(value: Option<String>, pointer: &str, errors: &mut Errors) -> Option<String> {
    let v = text(value, pointer, 255, errors)?.to_lowercase();
    // The host: after the first `://` only (a query may hold another URL), up to the path;
    // `www.` dropped when a domain with a dot is left (`www.com` stays itself).
    let rest = v.split_once("://").map_or(v.as_str(), |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.strip_prefix("www.") {
        Some(bare) if bare.contains('.') => bare,
        _ => host,
    }
    .to_owned();
    let valid = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid {
        errors.push(
            pointer,
            "domain",
            "must be a domain such as acme.com, or a URL",
        );
    }
    Some(host)
}

/// An address with a valid country.
pub fn address(value: Option<Address>, pointer: &str, errors: &mut Errors) -> Address {
    let a = value.unwrap_or_default();
    Address {
        street: text(a.street, &format!("{pointer}/street"), 300, errors),
        city: text(a.city, &format!("{pointer}/city"), 120, errors),
        region: text(a.region, &format!("{pointer}/region"), 120, errors),
        postal_code: text(a.postal_code, &format!("{pointer}/postal_code"), 20, errors),
        country: country(a.country, &format!("{pointer}/country"), errors),
    }
}

/// Tags: trimmed, unique, at most 50 of at most 50 characters.
pub fn tags(value: Vec<String>, errors: &mut Errors) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in value.into_iter().enumerate() {
        let t = t.trim().to_owned();
        if t.is_empty() || t.chars().count() > 50 {
            errors.push(format!("/tags/{i}"), "length", "must be 1 to 50 characters");
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 50 {
        errors.push("/tags", "length", "at most 50 tags");
    }
    out
}

/// Consent per channel: an object of channel -> boolean, merged onto `current`.
pub fn consent(current: &Value, patch: Option<Value>, errors: &mut Errors) -> Value {
    let mut out: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    match patch {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let pointer = format!("/consent/{k}");
                if Channel::parse(&k).is_none() {
                    errors.push(
                        pointer,
                        "unknown_channel",
                        format!("is not a channel ({})", Channel::NAMES.join(", ")),
                    );
                    continue;
                }
                match v {
                    Value::Null => {
                        out.remove(&k);
                    }
                    Value::Bool(_) => {
                        out.insert(k, v);
                    }
                    _ => errors.push(pointer, "invalid_type", "must be true, false or null"),
                }
            }
        }
        Some(_) => errors.push(
            "/consent",
            "invalid_type",
            "must be an object of channel: boolean",
        ),
    }
    Value::Object(out)
}

/// A custom field definition as validation needs it.
#[derive(Debug, Clone)]
pub struct Def {
    pub key: String,
    pub field_type: CustomFieldType,
    pub required: bool,
    pub options: Vec<String>,
}

/// Merges `patch` (key by key, `null` clears) onto `current` and checks every value against the
/// definitions: unknown keys, wrong types, options, and required keys are reported.
pub fn custom(
    defs: &[Def],
    current: &Value,
    patch: Option<Value>,
    creating: bool,
    errors: &mut Errors,
) -> Value {
    let mut out: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    let mut cleared = Vec::new();
    match patch {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let pointer = format!("/custom/{k}");
                let Some(def) = defs.iter().find(|d| d.key == k) else {
                    errors.push(
                        pointer,
                        "unknown_field",
                        "is not a custom field of this record type",
                    );
                    continue;
                };
                if v.is_null() {
                    out.remove(&k);
                    cleared.push(k);
                    continue;
                }
                if let Some(value) = custom_value(def, v, &pointer, errors) {
                    out.insert(k, value);
                }
            }
        }
        Some(_) => errors.push("/custom", "invalid_type", "must be an object of key: value"),
    }
    // Required on create; afterwards a required value cannot be cleared (records older than the
    // definition are not rejected for lacking it).
    for def in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&def.key) && (creating || cleared.contains(&def.key)) {
            errors.push(format!("/custom/{}", def.key), "required", "is required");
        }
    }
    Value::Object(out)
}

fn custom_value(def: &Def, v: Value, pointer: &str, errors: &mut Errors) -> Option<Value> {
    let mut wrong = |what: &str| {
        errors.push(
            pointer,
            "invalid_type",
            format!("must be {what} ({} field)", type_name(def.field_type)),
        );
        None
    };
    match (def.field_type, v) {
        (CustomFieldType::Text, Value::String(s)) if s.chars().count() <= 2000 => {
            Some(Value::String(s))
        }
        (CustomFieldType::Text, _) => wrong("a string of at most 2000 characters"),
        (CustomFieldType::Number, Value::Number(n)) => Some(Value::Number(n)),
        (CustomFieldType::Number, _) => wrong("a number"),
        (CustomFieldType::Decimal, Value::String(s)) => {
            match s.trim().parse::<rust_decimal::Decimal>() {
                Ok(d) => Some(Value::String(d.normalize().to_string())),
                Err(_) => wrong("a decimal string such as \"12.50\""),
            }
        }
        (CustomFieldType::Decimal, Value::Number(n)) => {
            match n.to_string().parse::<rust_decimal::Decimal>() {
                Ok(d) => Some(Value::String(d.normalize().to_string())),
                Err(_) => wrong("a decimal string such as \"12.50\""),
            }
        }
        (CustomFieldType::Decimal, _) => wrong("a decimal string such as \"12.50\""),
        (CustomFieldType::Date, Value::String(s))
            if chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_ok() =>
        {
            Some(Value::String(s))
        }
        (CustomFieldType::Date, _) => wrong("a date YYYY-MM-DD"),
        (CustomFieldType::Boolean, Value::Bool(b)) => Some(Value::Bool(b)),
        (CustomFieldType::Boolean, _) => wrong("true or false"),
        (CustomFieldType::Select, Value::String(s)) if def.options.contains(&s) => {
            Some(Value::String(s))
        }
        (CustomFieldType::Select, _) => wrong(&format!("one of {}", def.options.join(", "))),
        (CustomFieldType::MultiSelect, Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) if def.options.contains(&s) => {
                        if !out.contains(&Value::String(s.clone())) {
                            out.push(Value::String(s));
                        }
                    }
                    _ => return wrong(&format!("a list of {}", def.options.join(", "))),
                }
            }
            Some(Value::Array(out))
        }
        (CustomFieldType::MultiSelect, _) => {
            wrong(&format!("a list of {}", def.options.join(", ")))
        }
        (CustomFieldType::Url, Value::String(s)) if s.validate_url() => Some(Value::String(s)),
        (CustomFieldType::Url, _) => wrong("a URL"),
        (CustomFieldType::Email, Value::String(s)) if s.validate_email() => {
            Some(Value::String(s.to_lowercase()))
        }
        (CustomFieldType::Email, _) => wrong("an email address"),
    }
}

/// The stored name of a custom field type.
pub fn type_name(t: CustomFieldType) -> &'static str {
    match t {
        CustomFieldType::Text => "text",
        CustomFieldType::Number => "number",
        CustomFieldType::Decimal => "decimal",
        CustomFieldType::Date => "date",
        CustomFieldType::Boolean => "boolean",
        CustomFieldType::Select => "select",
        CustomFieldType::MultiSelect => "multi_select",
        CustomFieldType::Url => "url",
        CustomFieldType::Email => "email",
    }
}

/// Parses a stored custom field type.
pub fn parse_type(s: &str) -> Option<CustomFieldType> {
    use CustomFieldType::*;
    [
        Text,
        Number,
        Decimal,
        Date,
        Boolean,
        Select,
        MultiSelect,
        Url,
        Email,
    ]
    .into_iter()
    .find(|t| type_name(*t) == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164() {
        let mut e = Errors::default();
        assert_eq!(
            phone(Some("+49 30 1234567".into()), None, "/phone", &mut e).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            phone(Some("030 1234567".into()), Some("DE"), "/phone", &mut e).as_deref(),
            Some("+49301234567")
        );
        assert!(e.0.is_empty());
        phone(Some("12".into()), None, "/phone", &mut e);
        assert_eq!(e.0[0].pointer, "/phone");
    }

    #[test]
    fn countries_domains_emails() {
        let mut e = Errors::default();
        assert_eq!(
            country(Some("de".into()), "/c", &mut e).as_deref(),
            Some("DE")
        );
        assert_eq!(
            domain(Some("https://www.Acme.com/about".into()), "/d", &mut e).as_deref(),
            Some("acme.com")
        );
        assert!(e.0.is_empty());
        country(Some("XX".into()), "/c", &mut e);
        email(Some("not-an-email".into()), "/e", &mut e);
        domain(Some("nodot".into()), "/d", &mut e);
        assert_eq!(e.0.len(), 3);
    }

    #[test]
    fn custom_values_are_typed() {
        let defs = vec![
            Def {
                key: "score".into(),
                field_type: CustomFieldType::Number,
                required: true,
                options: vec![],
            },
            Def {
                key: "tier".into(),
                field_type: CustomFieldType::Select,
                required: false,
                options: vec!["gold".into()],
            },
        ];
        let mut e = Errors::default();
        let v = custom(
            &defs,
            &Value::Null,
            Some(serde_json::json!({"score": 3, "tier": "gold"})),
            true,
            &mut e,
        );
        assert!(e.0.is_empty());
        assert_eq!(v["score"], 3);
        let mut e = Errors::default();
        custom(
            &defs,
            &Value::Null,
            Some(serde_json::json!({"score": "high", "tier": "silver", "x": 1})),
            true,
            &mut e,
        );
        let pointers: Vec<_> = e.0.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/custom/score",
                "/custom/tier",
                "/custom/x",
                "/custom/score"
            ]
        );
    }
}
