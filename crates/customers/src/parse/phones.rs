//! Phone numbers: found in a line, their kind from the label before them, normalised to E.164
//! (`+49 (0)30 1234567` -> `+49301234567`: the trunk `(0)` after a country code is dropped).

use super::lines::{LABELS, Label};
use crate::parse_dto::{ParsedPhone, PhoneKind};

/// Whether a character may be part of a written phone number.
fn phone_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | '/' | ' ' | '\u{a0}')
}

/// The runs of phone characters in a line with at least 6 digits: `(start, end)` byte offsets.
fn runs(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let close = |s: Option<usize>, e: usize, out: &mut Vec<(usize, usize)>| {
        if let Some(s) = s {
            let run = line[s..e].trim_end_matches([' ', '-', '.', '/', '(', '\u{a0}']);
            let digits = run.chars().filter(char::is_ascii_digit).count();
            if (6..=17).contains(&digits) {
                out.push((s, s + run.len()));
            }
        }
    };
    for (i, c) in line.char_indices() {
        let starts = c.is_ascii_digit() || c == '+' || c == '(';
        if start.is_none() {
            // A number starts at a digit, `+` or `(` that does not follow a letter.
            let after_letter = line[..i].chars().last().is_some_and(char::is_alphanumeric);
            if starts && !after_letter {
                start = Some(i);
            }
        } else if !phone_char(c) {
            close(start, i, &mut out);
            start = None;
        }
        end = i + c.len_utf8();
    }
    close(start, end, &mut out);
    out
}

/// The kind a label before a number gives, looking at the last word before it.
fn kind_before(prefix: &str) -> Option<Label> {
    let p = prefix
        .trim_end_matches([' ', ':', '.', ',', '/', '\u{a0}'])
        .to_lowercase();
    LABELS.iter().find_map(|(word, label)| {
        if !matches!(
            label,
            Label::Work | Label::Mobile | Label::Fax | Label::Phone
        ) {
            return None;
        }
        let head = p.strip_suffix(word)?;
        let clean = head.chars().last().is_none_or(|c| !c.is_alphabetic());
        clean.then_some(*label)
    })
}

/// Normalises a written number to E.164, reading national numbers with `region`. Only numbers
/// the numbering plan calls valid are kept.
pub fn normalise(raw: &str, region: Option<&str>) -> Option<String> {
    let mut s: String = raw.replace('\u{a0}', " ");
    if s.trim_start().starts_with('+') {
        s = s.replace("(0)", "");
    }
    if let Some(rest) = s.trim_start().strip_prefix("00") {
        s = format!("+{rest}");
    }
    let id = region.and_then(|r| r.parse::<phonenumber::country::Id>().ok());
    let n = phonenumber::parse(id, s.trim()).ok()?;
    phonenumber::is_valid(&n).then(|| n.format().mode(phonenumber::Mode::E164).to_string())
}

/// The ISO country of a number's country code, for the few countries addresses are read for.
pub fn country_of(e164: &str) -> Option<&'static str> {
    const CODES: &[(&str, &str)] = &[
        ("+49", "DE"),
        ("+43", "AT"),
        ("+41", "CH"),
        ("+33", "FR"),
        ("+44", "GB"),
        ("+31", "NL"),
        ("+34", "ES"),
        ("+39", "IT"),
        ("+32", "BE"),
        ("+1", "US"),
    ];
    CODES
        .iter()
        .find(|(p, _)| e164.starts_with(p))
        .map(|(_, c)| *c)
}

/// Whether a line holds a phone number before its country is known: a number after a phone
/// label, one written internationally (`+`, `00`) or with an area code in brackets, or a line
/// that is only a number valid in one of the countries the parser knows.
pub fn has_number(line: &str, labelled: bool, default_country: Option<&str>) -> bool {
    let found = runs(line);
    if found.is_empty() {
        return false;
    }
    if labelled {
        return true;
    }
    let intl = found.iter().any(|(s, e)| {
        let raw = line[*s..*e].trim();
        (raw.starts_with('+') || raw.starts_with("00") || raw.starts_with('('))
            && normalise(raw, default_country.or(Some("US"))).is_some()
    });
    let only_number = line.chars().all(phone_char);
    intl || (only_number
        && default_country
            .into_iter()
            .chain(["DE", "AT", "CH", "FR", "GB", "NL", "ES", "IT", "US"])
            .any(|c| normalise(line, Some(c)).is_some()))
}

/// Every phone number in a line, with its kind; `label` is the kind of a label at the start of
/// the item, if any (it applies to the first number without a label of its own).
pub fn in_line(line: &str, label: Option<Label>, region: Option<&str>) -> Vec<ParsedPhone> {
    let mut out = Vec::new();
    let mut previous_end = 0;
    for (i, (s, e)) in runs(line).into_iter().enumerate() {
        let raw = line[s..e].trim();
        let own = kind_before(&line[previous_end..s]);
        previous_end = e;
        let kind = match own.or(if i == 0 { label } else { None }) {
            Some(Label::Mobile) => PhoneKind::Mobile,
            Some(Label::Fax) => PhoneKind::Fax,
            Some(Label::Work | Label::Phone) => PhoneKind::Work,
            _ => PhoneKind::Other,
        };
        if let Some(number) = normalise(raw, region) {
            out.push(ParsedPhone {
                number,
                kind,
                raw: raw.to_owned(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_zero_and_formats() {
        assert_eq!(
            normalise("+49 (0)30 1234567", None).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            normalise("+44 (0)20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            normalise("(415) 555-0132", Some("US")).as_deref(),
            Some("+14155550132")
        );
        assert_eq!(
            normalise("0049 30 1234567", None).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(normalise("030 1234567", None), None);
    }

    #[test]
    fn two_numbers_in_one_line() {
        let p = in_line("Tel. +49 30 1234567, Fax +49 30 1234568", None, None);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].kind, PhoneKind::Work);
        assert_eq!(p[1].kind, PhoneKind::Fax);
        assert_eq!(p[1].number, "+49301234568");
    }

    #[test]
    fn postal_codes_are_not_numbers() {
        assert!(in_line("Friedrichstraße 123, 10117 Berlin", None, Some("DE")).is_empty());
    }
}
