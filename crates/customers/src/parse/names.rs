//! Names, job titles and company names: which line is which, by word lists and shape.

/// Honorifics and academic titles before a name; they are not part of the first name.
const PREFIXES: &[&str] = &[
    "dr.",
    "dr",
    "prof.",
    "prof",
    "dipl.-ing.",
    "dipl.-kfm.",
    "dipl.-inf.",
    "ing.",
    "mag.",
    "mr.",
    "mr",
    "mrs.",
    "mrs",
    "ms.",
    "ms",
    "herr",
    "frau",
    "m.",
    "mme",
    "mme.",
    "sr.",
    "sra.",
    "dott.",
    "dott.ssa",
    "ir.",
    "drs.",
    "mag.a",
    "lic.",
    "dipl.",
    "mba",
];

/// Degrees and suffixes after a name (`Hans Meier, MBA`, `Jane Doe PhD`).
const SUFFIXES: &[&str] = &[
    "mba", "phd", "ph.d.", "m.sc.", "msc", "b.sc.", "bsc", "m.a.", "b.a.", "ll.m.", "jr.", "sr.",
    "jr", "iii", "ii", "cpa", "pmp", "esq.", "md", "m.d.",
];

/// Particles that belong to a last name (`von`, `van der`, `de la`).
const PARTICLES: &[&str] = &[
    "von", "van", "der", "den", "de", "la", "le", "di", "da", "del", "della", "du", "zu", "ten",
    "ter", "y", "dos", "das", "vom",
];

/// Legal forms that mark a company name.
const LEGAL_FORMS: &[&str] = &[
    "gmbh",
    "ag",
    "kg",
    "se",
    "ug",
    "e.k.",
    "mbh",
    "ohg",
    "gbr",
    "kgaa",
    "gesmbh",
    "e.v.",
    "ltd",
    "ltd.",
    "limited",
    "llp",
    "plc",
    "inc",
    "inc.",
    "corp",
    "corp.",
    "corporation",
    "llc",
    "l.l.c.",
    "co.",
    "sarl",
    "s.a.r.l.",
    "sàrl",
    "sas",
    "s.a.s.",
    "sa",
    "s.a.",
    "eurl",
    "snc",
    "sasu",
    "s.l.",
    "sl",
    "s.l.u.",
    "slu",
    "s.a.u.",
    "s.p.a.",
    "spa",
    "s.r.l.",
    "srl",
    "s.n.c.",
    "s.a.s",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "v.o.f.",
    "vof",
    "sagl",
    "pty",
    "a/s",
];

/// Words that mark a job title.
const TITLE_WORDS: &[&str] = &[
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cmo",
    "cio",
    "vp",
    "svp",
    "evp",
    "president",
    "vice",
    "founder",
    "co-founder",
    "cofounder",
    "owner",
    "partner",
    "director",
    "manager",
    "managing",
    "head",
    "lead",
    "chief",
    "officer",
    "engineer",
    "developer",
    "consultant",
    "architect",
    "analyst",
    "specialist",
    "assistant",
    "coordinator",
    "representative",
    "executive",
    "associate",
    "account",
    "sales",
    "marketing",
    "purchasing",
    "procurement",
    "buyer",
    "attorney",
    "counsel",
    "advisor",
    "adviser",
    "accountant",
    "designer",
    "recruiter",
    "geschäftsführer",
    "geschäftsführerin",
    "geschäftsführender",
    "gesellschafter",
    "inhaber",
    "inhaberin",
    "vorstand",
    "vorstandsvorsitzender",
    "prokurist",
    "prokuristin",
    "leiter",
    "leiterin",
    "abteilungsleiter",
    "abteilungsleiterin",
    "vertriebsleiter",
    "vertriebsleiterin",
    "einkaufsleiter",
    "einkäufer",
    "einkäuferin",
    "vertrieb",
    "einkauf",
    "berater",
    "beraterin",
    "referent",
    "referentin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "assistentin",
    "assistenz",
    "projektleiter",
    "projektleiterin",
    "teamleiter",
    "teamleiterin",
    "entwickler",
    "entwicklerin",
    "ingenieur",
    "ingenieurin",
    "rechtsanwalt",
    "rechtsanwältin",
    "steuerberater",
    "steuerberaterin",
    "kundenbetreuer",
    "kundenbetreuerin",
    "key",
    "directeur",
    "directrice",
    "responsable",
    "gérant",
    "gérante",
    "chef",
    "ingénieur",
    "commercial",
    "commerciale",
    "chargé",
    "chargée",
    "fondateur",
    "fondatrice",
    "président",
    "présidente",
    "avocat",
    "avocate",
    "conseiller",
    "conseillère",
    "directora",
    "gerente",
    "jefe",
    "jefa",
    "director/a",
    "comercial",
    "ingeniero",
    "ingeniera",
    "abogado",
    "abogada",
    "fundador",
    "fundadora",
    "presidente",
    "direttore",
    "direttrice",
    "responsabile",
    "amministratore",
    "ingegnere",
    "avvocato",
    "commerciale",
    "titolare",
    "socio",
    "eigenaar",
    "directeur-eigenaar",
    "bedrijfsleider",
    "adviseur",
    "verkoop",
    "inkoop",
    "medewerker",
    "accountmanager",
    "projectleider",
    "advocaat",
    "oprichter",
];

/// Lowercase words of a line, without surrounding punctuation.
fn words(line: &str) -> Vec<String> {
    line.split([' ', ','])
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, '(' | ')' | ':' | ';'))
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a line names a company by its legal form (`Globex GmbH`, `Acme, Inc.`).
pub fn is_company(line: &str) -> bool {
    let lower = line.to_lowercase();
    if lower.contains("gmbh") || lower.contains("s.p.a.") || lower.contains("s.r.l.") {
        return true;
    }
    words(line)
        .iter()
        .any(|w| LEGAL_FORMS.contains(&w.as_str()) && w.len() > 1)
        && !line.contains('@')
        && line.chars().next().is_some_and(|c| !c.is_ascii_digit())
}

/// Whether a line reads as a job title.
pub fn is_title(line: &str) -> bool {
    if line.contains('@') || line.chars().filter(char::is_ascii_digit).count() > 2 {
        return false;
    }
    words(line).iter().any(|w| {
        TITLE_WORDS.contains(&w.as_str())
            || w.split(['-', '/', '&']).any(|p| TITLE_WORDS.contains(&p))
            || w.ends_with("leiter")
            || w.ends_with("leiterin")
            || w.ends_with("manager")
            || w.ends_with("managerin")
    })
}

/// Title case for a word written in capitals (`MEIER` -> `Meier`, `MÜLLER-LÜDENSCHEIDT` ->
/// `Müller-Lüdenscheidt`).
fn title_case(word: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in word.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        upper = matches!(c, '-' | '\'' | '’');
    }
    out
}

/// A person's name split into first and last name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// First name(s).
    pub first: Option<String>,
    /// Last name, with particles.
    pub last: Option<String>,
}

/// Whether a word looks like part of a name: a capital letter first, letters, `-`, `'`, `.`.
fn name_word(w: &str) -> bool {
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_uppercase() || PARTICLES.contains(&w))
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
}

/// Reads a line as a person's name, if it is shaped like one: 2 to 5 words (after honorifics
/// and degrees are dropped), capitalised, no digits, not a company or title. `Last, First` is
/// recognised by its comma.
pub fn name(line: &str) -> Option<Name> {
    if line.contains('@')
        || line.chars().any(|c| c.is_ascii_digit())
        || line.chars().count() > 80
        || is_company(line)
        || super::lines::is_closing(line)
    {
        return None;
    }
    // `Meier, Hans` (one comma, both sides names) vs `Hans Meier, MBA`.
    let parts: Vec<&str> = line.split(',').map(str::trim).collect();
    let mut core: Vec<String> = Vec::new();
    let mut swapped = false;
    match parts.as_slice() {
        [one] => core.extend(one.split_whitespace().map(str::to_owned)),
        [a, b] if SUFFIXES.contains(&b.to_lowercase().as_str()) || is_title(b) => {
            core.extend(a.split_whitespace().map(str::to_owned));
        }
        [a, b] => {
            let a_words = a.split_whitespace().count();
            let b_words = b.split_whitespace().count();
            if !(1..=3).contains(&a_words) || !(1..=3).contains(&b_words) {
                return None;
            }
            swapped = true;
            core.extend(b.split_whitespace().map(str::to_owned));
            core.extend(a.split_whitespace().map(str::to_owned));
        }
        _ => return None,
    }
    core.retain(|w| {
        let l = w.to_lowercase();
        !PREFIXES.contains(&l.as_str()) && !SUFFIXES.contains(&l.as_str())
    });
    if is_title(&core.join(" ")) {
        return None;
    }
    if !(2..=5).contains(&core.len()) || !core.iter().all(|w| name_word(w)) {
        return None;
    }
    // Initials only (`J. D.`) are not a name.
    if core
        .iter()
        .all(|w| w.trim_end_matches('.').chars().count() <= 1)
    {
        return None;
    }
    let shouting = core
        .iter()
        .all(|w| !w.chars().any(char::is_lowercase) && w.chars().count() > 1);
    let core: Vec<String> = if shouting {
        core.iter().map(|w| title_case(w)).collect()
    } else {
        core
    };
    // The last name starts at the first particle after the first word, else is the last word.
    let split = if swapped {
        // `van der Berg, Jan`: the last name is what came before the comma.
        core.len()
            .saturating_sub(parts[0].split_whitespace().count())
    } else {
        (1..core.len())
            .find(|&i| PARTICLES.contains(&core[i].to_lowercase().as_str()) && i + 1 < core.len())
            .unwrap_or(core.len() - 1)
    };
    Some(Name {
        first: Some(core[..split].join(" ")),
        last: Some(core[split..].join(" ")),
    })
}

/// A name from an email's local part (`hans.meier@` -> Hans Meier), when it has two parts.
pub fn from_email(email: &str) -> Option<Name> {
    let local = email.split('@').next()?;
    let parts: Vec<&str> = local.split(['.', '_']).collect();
    match parts.as_slice() {
        [first, last]
            if first.chars().count() > 1
                && last.chars().count() > 1
                && first
                    .chars()
                    .chain(last.chars())
                    .all(|c| c.is_alphabetic() || c == '-') =>
        {
            Some(Name {
                first: Some(title_case(first)),
                last: Some(title_case(last)),
            })
        }
        _ => None,
    }
}

/// Whether a name agrees with an email's local part (both names appear in it).
pub fn agrees_with_email(name: &Name, email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let plain = |s: &str| {
        s.to_lowercase()
            .replace('ä', "ae")
            .replace('ö', "oe")
            .replace('ü', "ue")
            .replace('ß', "ss")
            .replace(['é', 'è', 'ê'], "e")
    };
    let last = name.last.as_deref().map(plain).unwrap_or_default();
    let last_word = last.split([' ', '-']).next_back().unwrap_or("").to_owned();
    !last_word.is_empty() && (local.contains(&last_word) || local.contains(&plain(&last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(first: &str, last: &str) -> Option<Name> {
        Some(Name {
            first: Some(first.into()),
            last: Some(last.into()),
        })
    }

    #[test]
    fn names() {
        assert_eq!(name("Dr. Hans Meier"), n("Hans", "Meier"));
        assert_eq!(
            name("Prof. Dr. Anna-Lena Schmidt"),
            n("Anna-Lena", "Schmidt")
        );
        assert_eq!(name("Meier, Hans"), n("Hans", "Meier"));
        assert_eq!(name("Jan van der Berg"), n("Jan", "van der Berg"));
        assert_eq!(name("JANE DOE"), n("Jane", "Doe"));
        assert_eq!(name("Jane Doe, MBA"), n("Jane", "Doe"));
        assert_eq!(name("Globex GmbH"), None);
        assert_eq!(name("Head of Sales"), None);
        assert_eq!(name("Best regards,"), None);
        assert_eq!(name("Friedrichstraße 12"), None);
    }

    #[test]
    fn titles_and_companies() {
        assert!(is_title("Geschäftsführer"));
        assert!(is_title("Head of Purchasing"));
        assert!(is_title("Directrice commerciale"));
        assert!(is_company("Acme, Inc."));
        assert!(is_company("Dupont SARL"));
        assert!(!is_company("Anna Berg"));
    }
}
