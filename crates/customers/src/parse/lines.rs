//! Splitting text into candidate lines: the signature block is cut off from a quoted reply, and
//! lines are split again at pipes and bullets, so `Name | Title | Company` gives three items.

/// A line of the signature, trimmed, with its position (0-based, after splitting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The text, trimmed.
    pub text: String,
}

/// Whether a line starts a quoted reply or a forwarded message, after which nothing belongs to
/// the signature.
fn starts_reply(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    l.starts_with('>')
        || lower.starts_with("-----original message")
        || lower.starts_with("-----ursprüngliche nachricht")
        || lower.starts_with("-------- forwarded message")
        || lower.starts_with("---------- forwarded message")
        || lower.starts_with("-------- message d'origine")
        || lower.starts_with("-----message d'origine")
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (lower.starts_with("am ") && lower.ends_with("schrieb:"))
        || (lower.starts_with("le ") && lower.ends_with("a écrit :"))
        || (lower.starts_with("le ") && lower.ends_with("a écrit:"))
        || (lower.starts_with("el ") && lower.ends_with("escribió:"))
        || (lower.starts_with("il ") && lower.ends_with("ha scritto:"))
        || (lower.starts_with("op ") && lower.ends_with("geschreven:"))
        || (lower.starts_with("from: ") && lower.contains('@') && lower.contains('<'))
        || (lower.starts_with("von: ") && lower.contains('@'))
}

/// Whether a line is only a separator such as `--`, `-- `, `___` or `====`.
fn is_separator(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| matches!(c, '-' | '_' | '=' | '*' | '~' | '—' | '–'))
}

/// Greetings that end a letter before the signature; they are not names.
pub fn is_closing(line: &str) -> bool {
    let l = line.trim().trim_end_matches([',', '!', '.']).to_lowercase();
    const CLOSINGS: &[&str] = &[
        "best regards",
        "kind regards",
        "regards",
        "best",
        "cheers",
        "thanks",
        "thank you",
        "sincerely",
        "yours sincerely",
        "mit freundlichen grüßen",
        "mit freundlichen grüssen",
        "freundliche grüße",
        "freundliche grüsse",
        "beste grüße",
        "beste grüsse",
        "viele grüße",
        "viele grüsse",
        "liebe grüße",
        "herzliche grüße",
        "mfg",
        "lg",
        "vg",
        "cordialement",
        "bien cordialement",
        "bien à vous",
        "salutations",
        "saludos",
        "un saludo",
        "saludos cordiales",
        "atentamente",
        "cordiali saluti",
        "distinti saluti",
        "saluti",
        "met vriendelijke groet",
        "met vriendelijke groeten",
        "vriendelijke groet",
        "groeten",
    ];
    CLOSINGS.contains(&l.as_str())
}

/// The lines of the signature: everything before a quoted reply, separators dropped, each line
/// split at ` | `, `•`, `·` and ` ∙ ` into items; blank items dropped.
pub fn split(text: &str) -> Vec<Line> {
    let mut raws: Vec<&str> = Vec::new();
    for raw in text.lines() {
        if starts_reply(raw) {
            break;
        }
        raws.push(raw);
    }
    // The signature starts after the last closing (`Best regards,`), else after the first
    // signature separator (`-- `) when something follows it.
    let start = raws
        .iter()
        .rposition(|l| is_closing(l))
        .map(|i| i + 1)
        .or_else(|| {
            raws.iter()
                .position(|l| matches!(l.trim_end(), "--" | "-- " | "—"))
                .filter(|&i| raws[i + 1..].iter().any(|l| !l.trim().is_empty()))
                .map(|i| i + 1)
        })
        .unwrap_or(0);
    let mut out = Vec::new();
    for raw in &raws[start..] {
        if is_separator(raw) {
            continue;
        }
        for item in raw.split(['|', '•', '·', '∙', '\t']) {
            let t = item.trim().trim_matches(',').trim();
            if !t.is_empty() {
                out.push(Line { text: t.to_owned() });
            }
        }
    }
    out
}

/// A label at the start of an item, such as `Tel.:`, and the rest of the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// An office phone label.
    Work,
    /// A mobile phone label.
    Mobile,
    /// A fax label.
    Fax,
    /// A generic phone label whose kind is unknown (`Phone` in a card with a mobile too is work).
    Phone,
    /// An email label.
    Email,
    /// A website label.
    Web,
    /// An address label.
    Address,
}

/// Label words, longest first where one is the start of another.
pub const LABELS: &[(&str, Label)] = &[
    ("telefax", Label::Fax),
    ("fax", Label::Fax),
    ("f", Label::Fax),
    ("mobile phone", Label::Mobile),
    ("mobiltelefon", Label::Mobile),
    ("mobile", Label::Mobile),
    ("mobil", Label::Mobile),
    ("mob", Label::Mobile),
    ("handy", Label::Mobile),
    ("cell phone", Label::Mobile),
    ("cell", Label::Mobile),
    ("portable", Label::Mobile),
    ("port", Label::Mobile),
    ("móvil", Label::Mobile),
    ("movil", Label::Mobile),
    ("cellulare", Label::Mobile),
    ("cell.", Label::Mobile),
    ("mobiel", Label::Mobile),
    ("m", Label::Mobile),
    ("office", Label::Work),
    ("direct", Label::Work),
    ("durchwahl", Label::Work),
    ("telefon", Label::Work),
    ("telephone", Label::Work),
    ("téléphone", Label::Work),
    ("teléfono", Label::Work),
    ("telefono", Label::Work),
    ("telefoon", Label::Work),
    ("tél", Label::Work),
    ("tel", Label::Work),
    ("tfno", Label::Work),
    ("phone", Label::Phone),
    ("ph", Label::Phone),
    ("t", Label::Work),
    ("p", Label::Phone),
    ("e-mail", Label::Email),
    ("email", Label::Email),
    ("mail", Label::Email),
    ("e", Label::Email),
    ("web", Label::Web),
    ("website", Label::Web),
    ("internet", Label::Web),
    ("w", Label::Web),
    ("adresse", Label::Address),
    ("address", Label::Address),
    ("anschrift", Label::Address),
    ("dirección", Label::Address),
    ("indirizzo", Label::Address),
    ("adres", Label::Address),
];

/// Splits a leading label off an item: `Tel.: +49 ...` gives `(Work, "+49 ...")`. A label is a
/// known word followed by `:`, `.` or a space, or for one-letter labels (`T`, `M`, `F`, `E`,
/// `W`) by `:` or `.` only.
pub fn label(item: &str) -> Option<(Label, &str)> {
    let lower = item.to_lowercase();
    for (word, kind) in LABELS {
        if !lower.starts_with(word) {
            continue;
        }
        // Lowercasing may change byte lengths; labels are matched on the lowercase text and the
        // rest is cut from the original by characters.
        let chars = word.chars().count();
        let rest: String = item.chars().skip(chars).collect();
        let after = rest.chars().next();
        let short = chars == 1;
        let ok = match after {
            Some(':' | '.') => true,
            Some(' ') if !short => true,
            Some(c) if short && c == ' ' => {
                // `T +49 ...`, `M 0171 ...`: a single letter then a number.
                rest.trim_start()
                    .starts_with(|c: char| c == '+' || c == '(' || c.is_ascii_digit())
            }
            _ => false,
        };
        if !ok {
            continue;
        }
        let start = item.len() - rest.len();
        let value = item[start..].trim_start_matches(['.', ':', ' ']).trim();
        let value = value.trim_start_matches([':', ' ']).trim();
        return Some((*kind, value));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_the_quoted_reply_and_splits_pipes() {
        let lines = split(
            "Hi Bob, see below.\n-- \nAnna Berg | Sales | Acme\n___\nTel: 1\nOn Mon, Bob wrote:\n> hi",
        );
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Anna Berg", "Sales", "Acme", "Tel: 1"]);
    }

    #[test]
    fn labels() {
        assert_eq!(label("Tel.: +49 30 1"), Some((Label::Work, "+49 30 1")));
        assert_eq!(label("Mob. 0171 1"), Some((Label::Mobile, "0171 1")));
        assert_eq!(label("M: +1 415"), Some((Label::Mobile, "+1 415")));
        assert_eq!(label("Tél. : 01 23"), Some((Label::Work, "01 23")));
        assert_eq!(label("Fax +49"), Some((Label::Fax, "+49")));
        assert_eq!(label("Marketing"), None);
        assert_eq!(label("Tom Smith"), None);
        assert_eq!(label("Email: a@b.de"), Some((Label::Email, "a@b.de")));
    }
}
