//! Postal addresses: a postal-code line in one of the known layouts (DE/AT/CH/FR/ES/IT
//! `12345 City`, NL `1234 AB City`, GB `City AB1 2CD`, US `City, ST 12345`), the street before
//! it, and the country named in the text, from a prefix such as `D-`, or inferred.

use crate::dto::Address;

/// Country names (several languages) and their ISO codes.
const COUNTRIES: &[(&str, &str)] = &[
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("allemagne", "DE"),
    ("alemania", "DE"),
    ("germania", "DE"),
    ("duitsland", "DE"),
    ("austria", "AT"),
    ("österreich", "AT"),
    ("autriche", "AT"),
    ("oostenrijk", "AT"),
    ("switzerland", "CH"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("svizzera", "CH"),
    ("suiza", "CH"),
    ("zwitserland", "CH"),
    ("france", "FR"),
    ("frankreich", "FR"),
    ("francia", "FR"),
    ("frankrijk", "FR"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("u.k.", "GB"),
    ("great britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("großbritannien", "GB"),
    ("vereinigtes königreich", "GB"),
    ("royaume-uni", "GB"),
    ("reino unido", "GB"),
    ("regno unito", "GB"),
    ("usa", "US"),
    ("u.s.a.", "US"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("us", "US"),
    ("vereinigte staaten", "US"),
    ("états-unis", "US"),
    ("estados unidos", "US"),
    ("stati uniti", "US"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("nederland", "NL"),
    ("niederlande", "NL"),
    ("pays-bas", "NL"),
    ("países bajos", "NL"),
    ("paesi bassi", "NL"),
    ("holland", "NL"),
    ("spain", "ES"),
    ("españa", "ES"),
    ("espana", "ES"),
    ("spanien", "ES"),
    ("espagne", "ES"),
    ("spagna", "ES"),
    ("spanje", "ES"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("italien", "IT"),
    ("italie", "IT"),
    ("italië", "IT"),
    ("belgium", "BE"),
    ("belgique", "BE"),
    ("belgië", "BE"),
    ("belgien", "BE"),
];

/// The ISO code of a country name, or of a line that is only an ISO code of the countries above.
pub fn country(part: &str) -> Option<&'static str> {
    let l = part.trim().trim_end_matches('.').to_lowercase();
    let l = l.trim_start_matches("- ").trim();
    COUNTRIES
        .iter()
        .find(|(name, _)| *name == l || name.trim_end_matches('.') == l)
        .map(|(_, c)| *c)
        .or_else(|| {
            let up = part.trim().to_uppercase();
            ["DE", "AT", "CH", "FR", "GB", "NL", "ES", "IT", "BE"]
                .into_iter()
                .find(|c| *c == up && part.trim() == up)
        })
}

/// Country prefixes of continental postal codes (`D-10117`).
fn prefix_country(p: &str) -> Option<&'static str> {
    Some(match p {
        "D" | "DE" => "DE",
        "A" | "AT" => "AT",
        "CH" => "CH",
        "F" | "FR" => "FR",
        "I" | "IT" => "IT",
        "E" | "ES" => "ES",
        "NL" => "NL",
        "B" | "BE" => "BE",
        _ => return None,
    })
}

/// What a postal-code part holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Postal {
    postal_code: String,
    city: Option<String>,
    region: Option<String>,
    /// The country the layout or prefix gives for sure.
    country: Option<&'static str>,
    /// Candidate countries when the layout alone does not tell (by digit count).
    digits: usize,
}

fn is_city(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.chars().count() <= 60
        && s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '.' | '\'' | '’' | '(' | ')'))
}

/// A UK postcode such as `EC1A 1BB`, `SW1A 2AA`, `M1 1AE`.
fn is_uk_postcode(s: &str) -> bool {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [out, inward] = parts.as_slice() else {
        return false;
    };
    let o: Vec<char> = out.chars().collect();
    let i: Vec<char> = inward.chars().collect();
    (2..=4).contains(&o.len())
        && o[0].is_ascii_uppercase()
        && o.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && o.iter().any(char::is_ascii_digit)
        && i.len() == 3
        && i[0].is_ascii_digit()
        && i[1].is_ascii_uppercase()
        && i[2].is_ascii_uppercase()
}

/// Reads one comma-separated part as a postal-code part; `previous` is the part before it (the
/// city of US and GB layouts).
fn postal(part: &str, previous: Option<&str>) -> Option<Postal> {
    let p = part.trim();
    let words: Vec<&str> = p.split_whitespace().collect();
    // US: `CA 94105`, `San Francisco CA 94105-1234`.
    if let [head @ .., state, zip] = words.as_slice() {
        let zip_ok = {
            let (five, plus) = zip.split_once('-').unwrap_or((*zip, ""));
            five.len() == 5
                && five.chars().all(|c| c.is_ascii_digit())
                && (plus.is_empty()
                    || (plus.len() == 4 && plus.chars().all(|c| c.is_ascii_digit())))
        };
        let state_ok = state.len() == 2 && state.chars().all(|c| c.is_ascii_uppercase());
        if zip_ok && state_ok {
            let city = if head.is_empty() {
                previous.filter(|s| is_city(s)).map(str::to_owned)
            } else {
                Some(head.join(" "))
            };
            return Some(Postal {
                postal_code: (*zip).to_owned(),
                city,
                region: Some((*state).to_owned()),
                country: Some("US"),
                digits: 5,
            });
        }
    }
    // GB: `London EC1A 1BB` or `EC1A 1BB`.
    if words.len() >= 2 {
        let tail = words[words.len() - 2..].join(" ");
        if is_uk_postcode(&tail) {
            let head = words[..words.len() - 2].join(" ");
            let city = if head.is_empty() {
                previous.filter(|s| is_city(s)).map(str::to_owned)
            } else {
                Some(head)
            };
            return Some(Postal {
                postal_code: tail,
                city,
                region: None,
                country: Some("GB"),
                digits: 0,
            });
        }
    }
    // Continental: `[D-]12345 City`, NL `1234 AB City`, IT `20121 Milano (MI)`.
    let (first, rest) = p.split_once(' ')?;
    let (prefix, code) = match first.split_once('-') {
        Some((pre, code)) if pre.chars().all(|c| c.is_ascii_uppercase()) => {
            (prefix_country(pre), code)
        }
        _ => (None, first),
    };
    if !(4..=5).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim();
    let mut postal_code = code.to_owned();
    let mut country = prefix;
    let mut city = rest.to_owned();
    if code.len() == 4
        && let Some((letters, after)) = rest.split_once(' ')
        && letters.len() == 2
        && letters.chars().all(|c| c.is_ascii_uppercase())
    {
        postal_code = format!("{code} {letters}");
        country = country.or(Some("NL"));
        city = after.trim().to_owned();
    }
    let mut region = None;
    if let Some(open) = city.rfind(" (") {
        let inside = city[open + 2..].trim_end_matches(')').to_owned();
        if inside.len() == 2 && inside.chars().all(|c| c.is_ascii_uppercase()) {
            region = Some(inside);
            city.truncate(open);
            country = country.or(Some("IT"));
        }
    }
    if !is_city(&city) {
        return None;
    }
    Some(Postal {
        postal_code,
        city: Some(city),
        region,
        country,
        digits: code.len(),
    })
}

/// Words that mark a street line.
const STREET_WORDS: &[&str] = &[
    "straße",
    "strasse",
    "str.",
    "weg",
    "platz",
    "allee",
    "gasse",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "chemin",
    "place",
    "allée",
    "quai",
    "calle",
    "c/",
    "avda",
    "avenida",
    "paseo",
    "plaza",
    "via",
    "viale",
    "piazza",
    "corso",
    "largo",
    "straat",
    "laan",
    "plein",
    "gracht",
    "kade",
    "singel",
    "street",
    "st",
    "st.",
    "road",
    "rd",
    "rd.",
    "ave",
    "ave.",
    "lane",
    "ln",
    "drive",
    "dr.",
    "way",
    "blvd",
    "blvd.",
    "suite",
    "ste",
    "floor",
    "square",
    "court",
    "place",
    "row",
    "hill",
    "park",
    "house",
];

/// Whether a part reads as a street (or a US suite line).
pub fn is_street(s: &str) -> bool {
    let s = s.trim();
    if s.contains('@') || s.chars().count() > 120 || s.is_empty() {
        return false;
    }
    let lower = s.to_lowercase();
    let has_digit = s.chars().any(|c| c.is_ascii_digit());
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let keyword = lower.split([' ', ',']).any(|w| STREET_WORDS.contains(&w))
        || [
            "straße", "strasse", "str.", "weg", "platz", "gasse", "allee", "straat", "laan",
        ]
        .iter()
        .any(|k| lower.split(' ').any(|w| w.ends_with(k)));
    let has_letters = s.chars().filter(|c| c.is_alphabetic()).count() >= 3;
    (keyword && has_letters) || (has_digit && digits <= 6 && has_letters && !s.starts_with('+'))
}

/// A found address, the lines it used, and how sure the parser is.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The address.
    pub address: Address,
    /// Indexes of the lines it came from.
    pub lines: Vec<usize>,
    /// 0..1.
    pub confidence: f64,
    /// Why.
    pub reason: String,
}

/// Finds the address among `lines` (skipping `used` ones). `phone_country` is the country of the
/// first phone number, `default_country` the caller's; both only settle an ambiguous layout.
pub fn find(
    lines: &[String],
    used: &[bool],
    phone_country: Option<&str>,
    default_country: Option<&str>,
) -> Option<Found> {
    // Every part: (line, text).
    let mut parts: Vec<(usize, String)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if used.get(i).copied().unwrap_or(false) {
            continue;
        }
        for p in l.split(',') {
            let p = p.trim();
            if !p.is_empty() {
                parts.push((i, p.to_owned()));
            }
        }
    }
    let mut hit = None;
    for k in 0..parts.len() {
        let previous = k.checked_sub(1).map(|j| parts[j].1.as_str());
        if let Some(p) = postal(&parts[k].1, previous) {
            hit = Some((k, p));
            break;
        }
    }
    let (k, p) = hit?;
    let mut used_lines = vec![parts[k].0];
    // The city of US/GB layouts may be the part before: then the street is before that.
    let mut before = k;
    if p.city.as_deref() == k.checked_sub(1).map(|j| parts[j].1.as_str()) && k > 0 {
        before = k - 1;
        used_lines.push(parts[before].0);
    }
    // The street: the parts before, back to the first that is not a street (at most 2: `100
    // Market St, Suite 200`), on the same line or the line just before.
    let mut street_parts: Vec<String> = Vec::new();
    let mut j = before;
    while j > 0 && street_parts.len() < 2 {
        j -= 1;
        let (line, text) = &parts[j];
        let near =
            *line == parts[before].0 || *line + 1 == parts[before].0 || used_lines.contains(line);
        if !near || !is_street(text) || country(text).is_some() {
            break;
        }
        street_parts.insert(0, text.clone());
        used_lines.push(*line);
    }
    // The country: a part after the postal part, on its line or the next.
    let mut named = None;
    for (line, text) in parts.iter().skip(k + 1).take(2) {
        if *line > parts[k].0 + 1 {
            break;
        }
        if let Some(c) = country(text) {
            named = Some(c);
            used_lines.push(*line);
            break;
        }
    }
    let guess = |candidates: &[&'static str]| -> Option<(&'static str, &'static str)> {
        if let Some(c) = phone_country.and_then(|pc| candidates.iter().find(|c| **c == pc)) {
            return Some((*c, "the phone's country code"));
        }
        if let Some(c) =
            default_country.and_then(|d| candidates.iter().find(|c| c.eq_ignore_ascii_case(d)))
        {
            return Some((*c, "default_country"));
        }
        None
    };
    let (country_code, why, confidence) = if let Some(c) = named {
        (Some(c), "country named in the text", 0.95)
    } else if let Some(c) = p.country {
        (Some(c), "postal code layout", 0.85)
    } else {
        let candidates: &[&'static str] = if p.digits == 4 {
            &["AT", "CH", "BE", "NL"]
        } else {
            &["DE", "FR", "ES", "IT", "US"]
        };
        match guess(candidates) {
            Some((c, why)) => (Some(c), why, 0.75),
            None => (None, "no country found", 0.6),
        }
    };
    used_lines.sort_unstable();
    used_lines.dedup();
    Some(Found {
        address: Address {
            street: (!street_parts.is_empty()).then(|| street_parts.join(", ")),
            city: p.city,
            region: p.region,
            postal_code: Some(p.postal_code),
            country: country_code.map(str::to_owned),
        },
        lines: used_lines,
        confidence,
        reason: format!("postal code and city; country from {why}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Address {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        find(&lines, &[], None, None)
            .map(|f| f.address)
            .unwrap_or_default()
    }

    #[test]
    fn layouts() {
        let a = one("Friedrichstraße 123, 10117 Berlin, Germany");
        assert_eq!(a.street.as_deref(), Some("Friedrichstraße 123"));
        assert_eq!(a.postal_code.as_deref(), Some("10117"));
        assert_eq!(a.city.as_deref(), Some("Berlin"));
        assert_eq!(a.country.as_deref(), Some("DE"));
        let a = one("100 Market Street, Suite 200\nSan Francisco, CA 94105");
        assert_eq!(a.street.as_deref(), Some("100 Market Street, Suite 200"));
        assert_eq!(a.city.as_deref(), Some("San Francisco"));
        assert_eq!(a.region.as_deref(), Some("CA"));
        assert_eq!(a.country.as_deref(), Some("US"));
        let a = one("1 Canada Square\nLondon E14 5AB");
        assert_eq!(a.postal_code.as_deref(), Some("E14 5AB"));
        assert_eq!(a.city.as_deref(), Some("London"));
        assert_eq!(a.country.as_deref(), Some("GB"));
        let a = one("Herengracht 100\n1015 BS Amsterdam");
        assert_eq!(a.postal_code.as_deref(), Some("1015 BS"));
        assert_eq!(a.country.as_deref(), Some("NL"));
        let a = one("A-1010 Wien");
        assert_eq!(a.country.as_deref(), Some("AT"));
    }
}
