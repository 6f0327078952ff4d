//! Real-world signature and business-card layouts, each with every extracted field asserted.

use super::parse;
use crate::parse_dto::PhoneKind;

/// What one layout must give; `None` fields must be absent.
struct Case {
    name: &'static str,
    text: &'static str,
    default_country: Option<&'static str>,
    first: Option<&'static str>,
    last: Option<&'static str>,
    title: Option<&'static str>,
    company: Option<&'static str>,
    emails: &'static [&'static str],
    phones: &'static [(&'static str, PhoneKind)],
    website: Option<&'static str>,
    /// street, postal code, city, region, country
    address: [Option<&'static str>; 5],
}

const NO_ADDRESS: [Option<&str>; 5] = [None, None, None, None, None];

use PhoneKind::{Fax, Mobile, Other, Work};

const CASES: &[Case] = &[
    Case {
        name: "German GmbH with Dr., Tel./Mob./Fax and (0) trunk",
        text: "Mit freundlichen Grüßen\n\nDr. Hans Meier\nGeschäftsführer\n\nGlobex GmbH\nFriedrichstraße 123\n10117 Berlin\nTel.: +49 (0)30 1234567\nMob.: +49 (0)171 1234567\nFax: +49 (0)30 1234568\nhans.meier@globex.de\nwww.globex.de",
        default_country: None,
        first: Some("Hans"),
        last: Some("Meier"),
        title: Some("Geschäftsführer"),
        company: Some("Globex GmbH"),
        emails: &["hans.meier@globex.de"],
        phones: &[
            ("+49301234567", Work),
            ("+491711234567", Mobile),
            ("+49301234568", Fax),
        ],
        website: Some("https://www.globex.de"),
        address: [
            Some("Friedrichstraße 123"),
            Some("10117"),
            Some("Berlin"),
            None,
            Some("DE"),
        ],
    },
    Case {
        name: "German Prof. with Telefon/Mobil and national numbers",
        text: "Prof. Dr. Anna-Lena Schmidt\nLeiterin Forschung\nInnotech AG\nHauptstraße 5, D-80331 München\nTelefon 089 12345678\nMobil 0151 23456789\nanna-lena.schmidt@innotech.de",
        default_country: None,
        first: Some("Anna-Lena"),
        last: Some("Schmidt"),
        title: Some("Leiterin Forschung"),
        company: Some("Innotech AG"),
        emails: &["anna-lena.schmidt@innotech.de"],
        phones: &[("+498912345678", Work), ("+4915123456789", Mobile)],
        website: None,
        address: [
            Some("Hauptstraße 5"),
            Some("80331"),
            Some("München"),
            None,
            Some("DE"),
        ],
    },
    Case {
        name: "German with Handy, pipes and -- separator",
        text: "Danke und bis bald!\n-- \nKlaus Weber | Vertriebsleiter | Weber & Söhne GmbH & Co. KG\nTel. +49 40 3012345 | Handy +49 172 9876543\nk.weber@weber-soehne.de | https://weber-soehne.de",
        default_country: None,
        first: Some("Klaus"),
        last: Some("Weber"),
        title: Some("Vertriebsleiter"),
        company: Some("Weber & Söhne GmbH & Co. KG"),
        emails: &["k.weber@weber-soehne.de"],
        phones: &[("+49403012345", Work), ("+491729876543", Mobile)],
        website: Some("https://weber-soehne.de"),
        address: NO_ADDRESS,
    },
    Case {
        name: "Austrian GesmbH with A- prefix",
        text: "Mag. Thomas Gruber\nProkurist\nAlpenland Handels GesmbH\nMariahilfer Straße 47\nA-1060 Wien\nT +43 1 5871234\nM +43 664 1234567\nthomas.gruber@alpenland.at",
        default_country: None,
        first: Some("Thomas"),
        last: Some("Gruber"),
        title: Some("Prokurist"),
        company: Some("Alpenland Handels GesmbH"),
        emails: &["thomas.gruber@alpenland.at"],
        phones: &[("+4315871234", Work), ("+436641234567", Mobile)],
        website: None,
        address: [
            Some("Mariahilfer Straße 47"),
            Some("1060"),
            Some("Wien"),
            None,
            Some("AT"),
        ],
    },
    Case {
        name: "Swiss AG with country line and phone-code inference",
        text: "Freundliche Grüsse\nReto Keller\nHead of Sales\nHelvetia Tools AG\nBahnhofstrasse 10\n8001 Zürich\nSchweiz\nTel. +41 44 123 45 67\nreto.keller@helvetia-tools.ch",
        default_country: None,
        first: Some("Reto"),
        last: Some("Keller"),
        title: Some("Head of Sales"),
        company: Some("Helvetia Tools AG"),
        emails: &["reto.keller@helvetia-tools.ch"],
        phones: &[("+41441234567", Work)],
        website: None,
        address: [
            Some("Bahnhofstrasse 10"),
            Some("8001"),
            Some("Zürich"),
            None,
            Some("CH"),
        ],
    },
    Case {
        name: "French SARL with Tél./Portable",
        text: "Cordialement,\n\nMarie Dubois\nDirectrice commerciale\nDubois Conseil SARL\n12 rue de la Paix\n75002 Paris\nFrance\nTél. : 01 42 68 53 00\nPortable : 06 12 34 56 78\nmarie.dubois@dubois-conseil.fr",
        default_country: None,
        first: Some("Marie"),
        last: Some("Dubois"),
        title: Some("Directrice commerciale"),
        company: Some("Dubois Conseil SARL"),
        emails: &["marie.dubois@dubois-conseil.fr"],
        phones: &[("+33142685300", Work), ("+33612345678", Mobile)],
        website: None,
        address: [
            Some("12 rue de la Paix"),
            Some("75002"),
            Some("Paris"),
            None,
            Some("FR"),
        ],
    },
    Case {
        name: "French SAS with +33 and F: fax",
        text: "Jean-Pierre Martin\nResponsable des achats\nTechnoFrance SAS\nT : +33 4 72 00 00 01\nF : +33 4 72 00 00 02\njp.martin@technofrance.fr",
        default_country: None,
        first: Some("Jean-Pierre"),
        last: Some("Martin"),
        title: Some("Responsable des achats"),
        company: Some("TechnoFrance SAS"),
        emails: &["jp.martin@technofrance.fr"],
        phones: &[("+33472000001", Work), ("+33472000002", Fax)],
        website: None,
        address: NO_ADDRESS,
    },
    Case {
        name: "Spanish S.L. with Móvil and default country",
        text: "Un saludo,\nCarlos García López\nDirector Comercial\nIbérica Soluciones S.L.\nCalle de Alcalá 50, 28014 Madrid\nTel.: 912 345 678\nMóvil: 612 345 678\ncarlos.garcia@iberica.es",
        default_country: Some("ES"),
        first: Some("Carlos García"),
        last: Some("López"),
        title: Some("Director Comercial"),
        company: Some("Ibérica Soluciones S.L."),
        emails: &["carlos.garcia@iberica.es"],
        phones: &[("+34912345678", Work), ("+34612345678", Mobile)],
        website: None,
        address: [
            Some("Calle de Alcalá 50"),
            Some("28014"),
            Some("Madrid"),
            None,
            Some("ES"),
        ],
    },
    Case {
        name: "Italian S.r.l. with Cellulare and province",
        text: "Cordiali saluti\nGiulia Rossi\nResponsabile Marketing\nLombarda Sistemi S.r.l.\nVia Dante 15\n20121 Milano (MI)\nTel. +39 02 1234 5678\nCellulare +39 347 123 4567\ngiulia.rossi@lombardasistemi.it",
        default_country: None,
        first: Some("Giulia"),
        last: Some("Rossi"),
        title: Some("Responsabile Marketing"),
        company: Some("Lombarda Sistemi S.r.l."),
        emails: &["giulia.rossi@lombardasistemi.it"],
        phones: &[("+390212345678", Work), ("+393471234567", Mobile)],
        website: None,
        address: [
            Some("Via Dante 15"),
            Some("20121"),
            Some("Milano"),
            Some("MI"),
            Some("IT"),
        ],
    },
    Case {
        name: "Dutch B.V. with particle name and postcode letters",
        text: "Met vriendelijke groet,\n\nJan van der Berg\nAccountmanager\nPolderTech B.V.\nHerengracht 100\n1015 BS Amsterdam\nT: +31 20 123 4567\nM: +31 6 12345678\nE: jan.vanderberg@poldertech.nl",
        default_country: None,
        first: Some("Jan"),
        last: Some("van der Berg"),
        title: Some("Accountmanager"),
        company: Some("PolderTech B.V."),
        emails: &["jan.vanderberg@poldertech.nl"],
        phones: &[("+31201234567", Work), ("+31612345678", Mobile)],
        website: None,
        address: [
            Some("Herengracht 100"),
            Some("1015 BS"),
            Some("Amsterdam"),
            None,
            Some("NL"),
        ],
    },
    Case {
        name: "UK Ltd with +44 (0)20 and postcode",
        text: "Kind regards,\n\nOliver Smith\nManaging Director\nBrightside Consulting Ltd\n1 Canada Square\nLondon E14 5AB\nUnited Kingdom\nT: +44 (0)20 7946 0958\nM: +44 (0)7911 123456\noliver.smith@brightside.co.uk\nwww.brightside.co.uk",
        default_country: None,
        first: Some("Oliver"),
        last: Some("Smith"),
        title: Some("Managing Director"),
        company: Some("Brightside Consulting Ltd"),
        emails: &["oliver.smith@brightside.co.uk"],
        phones: &[("+442079460958", Work), ("+447911123456", Mobile)],
        website: Some("https://www.brightside.co.uk"),
        address: [
            Some("1 Canada Square"),
            Some("E14 5AB"),
            Some("London"),
            None,
            Some("GB"),
        ],
    },
    Case {
        name: "US Inc. with (415) numbers and a Suite",
        text: "Best,\nSarah Johnson\nVP of Engineering\nAcme Robotics, Inc.\n100 Market Street, Suite 200\nSan Francisco, CA 94105\nOffice: (415) 555-0132\nCell: (415) 555-0199\nsarah@acmerobotics.com\nhttps://www.acmerobotics.com/",
        default_country: Some("US"),
        first: Some("Sarah"),
        last: Some("Johnson"),
        title: Some("VP of Engineering"),
        company: Some("Acme Robotics, Inc."),
        emails: &["sarah@acmerobotics.com"],
        phones: &[("+14155550132", Work), ("+14155550199", Mobile)],
        website: Some("https://www.acmerobotics.com"),
        address: [
            Some("100 Market Street, Suite 200"),
            Some("94105"),
            Some("San Francisco"),
            Some("CA"),
            Some("US"),
        ],
    },
    Case {
        name: "US one-line address, P:/C: style without default country",
        text: "Mike O'Brien | Founder & CEO | Northwind LLC\n500 Elm St, Austin, TX 78701\nPhone: +1 512-555-0148\nmike@northwind.io",
        default_country: None,
        first: Some("Mike"),
        last: Some("O'Brien"),
        title: Some("Founder & CEO"),
        company: Some("Northwind LLC"),
        emails: &["mike@northwind.io"],
        phones: &[("+15125550148", Work)],
        website: None,
        address: [
            Some("500 Elm St"),
            Some("78701"),
            Some("Austin"),
            Some("TX"),
            Some("US"),
        ],
    },
    Case {
        name: "Quoted reply below the signature is ignored",
        text: "Thanks, see you Tuesday.\n\nBest regards,\nEmma Brown\nProcurement Manager\nGlobal Foods plc\n+44 161 496 0123\nemma.brown@globalfoods.co.uk\n\nOn Mon, 3 Mar 2025 at 10:00, Peter Miller <peter@other.com> wrote:\n> Peter Miller\n> Other Corp Inc.\n> Tel: +1 212 555 0100",
        default_country: None,
        first: Some("Emma"),
        last: Some("Brown"),
        title: Some("Procurement Manager"),
        company: Some("Global Foods plc"),
        emails: &["emma.brown@globalfoods.co.uk"],
        phones: &[("+441614960123", Other)],
        website: None,
        address: NO_ADDRESS,
    },
    Case {
        name: "Last, First order and email in angle brackets",
        text: "Müller, Stefanie\nEinkauf\nBauhaus Werkzeuge KG\nE-Mail: <stefanie.mueller@bauhaus-werkzeuge.de>\nTelefon: +49 (0) 711 987654",
        default_country: None,
        first: Some("Stefanie"),
        last: Some("Müller"),
        title: Some("Einkauf"),
        company: Some("Bauhaus Werkzeuge KG"),
        emails: &["stefanie.mueller@bauhaus-werkzeuge.de"],
        phones: &[("+49711987654", Work)],
        website: None,
        address: NO_ADDRESS,
    },
    Case {
        name: "Business card in capitals with a bare domain",
        text: "PETER SCHULZ\nSENIOR CONSULTANT\nSchulz Beratung GmbH\nschulz-beratung.de\np.schulz@schulz-beratung.de\n+49 221 4567890",
        default_country: None,
        first: Some("Peter"),
        last: Some("Schulz"),
        title: Some("SENIOR CONSULTANT"),
        company: Some("Schulz Beratung GmbH"),
        emails: &["p.schulz@schulz-beratung.de"],
        phones: &[("+492214567890", Other)],
        website: Some("https://schulz-beratung.de"),
        address: NO_ADDRESS,
    },
    Case {
        name: "Name with title after a comma, Mobile: and Web: label",
        text: "Lukas Hofer, Geschäftsführer\nHofer IT e.U.\nMobile: +43 676 1234567\nWeb: hofer-it.at\nlukas@hofer-it.at",
        default_country: None,
        first: Some("Lukas"),
        last: Some("Hofer"),
        title: Some("Geschäftsführer"),
        company: Some("Hofer IT e.U."),
        emails: &["lukas@hofer-it.at"],
        phones: &[("+436761234567", Mobile)],
        website: Some("https://hofer-it.at"),
        address: NO_ADDRESS,
    },
    Case {
        name: "Title at company on one line",
        text: "Cheers,\nTom Becker\nSoftware Engineer at Streamline\ntom.becker@streamline.dev\nCell +1 (646) 555-0187",
        default_country: None,
        first: Some("Tom"),
        last: Some("Becker"),
        title: Some("Software Engineer"),
        company: Some("Streamline"),
        emails: &["tom.becker@streamline.dev"],
        phones: &[("+16465550187", Mobile)],
        website: None,
        address: NO_ADDRESS,
    },
    Case {
        name: "vCard 3.0",
        text: "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Meier;Hans;;Dr.;\r\nFN:Dr. Hans Meier\r\nORG:Globex GmbH;Einkauf\r\nTITLE:Head of Purchasing\r\nTEL;TYPE=WORK,VOICE:+49 30 1234567\r\nTEL;TYPE=CELL:+49 171 1234567\r\nTEL;TYPE=WORK,FAX:+49 30 1234568\r\nEMAIL;TYPE=INTERNET:hans.meier@globex.de\r\nADR;TYPE=WORK:;;Friedrichstraße 123;Berlin;;10117;Germany\r\nURL:http://www.globex.de\r\nEND:VCARD\r\n",
        default_country: None,
        first: Some("Hans"),
        last: Some("Meier"),
        title: Some("Head of Purchasing"),
        company: Some("Globex GmbH"),
        emails: &["hans.meier@globex.de"],
        phones: &[
            ("+49301234567", Work),
            ("+491711234567", Mobile),
            ("+49301234568", Fax),
        ],
        website: Some("http://www.globex.de"),
        address: [
            Some("Friedrichstraße 123"),
            Some("10117"),
            Some("Berlin"),
            None,
            Some("DE"),
        ],
    },
    Case {
        name: "vCard 4.0 with TEL;TYPE=cell and tel: URIs, folded line",
        text: "BEGIN:VCARD\nVERSION:4.0\nFN:Jane Doe\nN:Doe;Jane;;;\nORG:Example Corp.\nTITLE:Chief Technology\n  Officer\nTEL;TYPE=cell;VALUE=uri:tel:+1-415-555-0132\nTEL;TYPE=\"work,voice\";VALUE=uri:tel:+1-415-555-0100\nEMAIL;TYPE=work:jane.doe@example.com\nADR;TYPE=work:;;100 Main St;Springfield;IL;62701;USA\nEND:VCARD",
        default_country: None,
        first: Some("Jane"),
        last: Some("Doe"),
        title: Some("Chief Technology Officer"),
        company: Some("Example Corp."),
        emails: &["jane.doe@example.com"],
        phones: &[("+14155550132", Mobile), ("+14155550100", Work)],
        website: None,
        address: [
            Some("100 Main St"),
            Some("62701"),
            Some("Springfield"),
            Some("IL"),
            Some("US"),
        ],
    },
    Case {
        name: "Only an email: the name comes from its local part",
        text: "anna.berg@example.org",
        default_country: None,
        first: Some("Anna"),
        last: Some("Berg"),
        title: None,
        company: None,
        emails: &["anna.berg@example.org"],
        phones: &[],
        website: None,
        address: NO_ADDRESS,
    },
    Case {
        name: "Swiss Sàrl with Suisse, French labels and bullet separators",
        text: "Sophie Favre • Gérante • Favre Design Sàrl\nRue du Rhône 20 • 1204 Genève • Suisse\nTél. +41 22 345 67 89 • sophie@favre-design.ch",
        default_country: None,
        first: Some("Sophie"),
        last: Some("Favre"),
        title: Some("Gérante"),
        company: Some("Favre Design Sàrl"),
        emails: &["sophie@favre-design.ch"],
        phones: &[("+41223456789", Work)],
        website: None,
        address: [
            Some("Rue du Rhône 20"),
            Some("1204"),
            Some("Genève"),
            None,
            Some("CH"),
        ],
    },
    Case {
        name: "Dutch national numbers with default country and Mobiel",
        text: "Groeten,\nSanne de Vries\nInkoop\nDe Vries Groothandel BV\nTelefoon 010 123 4567\nMobiel 06 12345678\nsanne@devriesgroothandel.nl",
        default_country: Some("NL"),
        first: Some("Sanne"),
        last: Some("de Vries"),
        title: Some("Inkoop"),
        company: Some("De Vries Groothandel BV"),
        emails: &["sanne@devriesgroothandel.nl"],
        phones: &[("+31101234567", Work), ("+31612345678", Mobile)],
        website: None,
        address: NO_ADDRESS,
    },
];

#[test]
fn layouts() {
    let mut failures = Vec::new();
    for case in CASES {
        let p = parse(case.text, case.default_country).proposal;
        let phones: Vec<(String, PhoneKind)> = p
            .phones
            .iter()
            .map(|x| (x.number.clone(), x.kind))
            .collect();
        let want_phones: Vec<(String, PhoneKind)> = case
            .phones
            .iter()
            .map(|(n, k)| ((*n).to_owned(), *k))
            .collect();
        let got = (
            p.first_name.as_deref(),
            p.last_name.as_deref(),
            p.title.as_deref(),
            p.company_name.as_deref(),
            p.emails.iter().map(String::as_str).collect::<Vec<_>>(),
            phones,
            p.website.as_deref(),
            [
                p.address.street.as_deref(),
                p.address.postal_code.as_deref(),
                p.address.city.as_deref(),
                p.address.region.as_deref(),
                p.address.country.as_deref(),
            ],
        );
        let want = (
            case.first,
            case.last,
            case.title,
            case.company,
            case.emails.to_vec(),
            want_phones,
            case.website,
            case.address,
        );
        if got != want {
            failures.push(format!("{}:\n  got  {got:?}\n  want {want:?}", case.name));
        }
        assert_eq!(
            p.email.as_deref(),
            case.emails.first().copied(),
            "{}",
            case.name
        );
    }
    assert!(CASES.len() >= 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nothing_recognisable_gives_empty_fields_and_zero_confidence() {
    let p = parse("lorem ipsum dolor sit amet", None);
    assert_eq!(p.proposal, Default::default());
    assert_eq!(p.confidence.len(), 8);
    assert!(
        p.confidence
            .iter()
            .all(|c| c.confidence == 0.0 && c.reason == "not found")
    );
}

#[test]
fn confidences_follow_the_evidence() {
    let p = parse(
        "Hans Meier\nhans.meier@globex.de\nTel. +49 30 1234567",
        None,
    );
    let c = |f: &str| {
        p.confidence
            .iter()
            .find(|c| c.field == f)
            .map(|c| c.confidence)
            .unwrap_or(-1.0)
    };
    assert_eq!(c("email"), 0.99);
    assert_eq!(c("first_name"), 0.9);
    assert_eq!(c("phone"), 0.95);
    assert_eq!(c("company_name"), 0.0);
    assert_eq!(p.source, "text");
    assert_eq!(parse("BEGIN:VCARD\nN:A;B\nEND:VCARD", None).source, "vcard");
}

#[test]
fn odd_input_never_panics_and_stays_within_the_contact_rules() {
    let odd = [
        "ß",
        "İstanbul İ",
        "Tél.",
        "+",
        "(",
        "@",
        "a@",
        "BEGIN:VCARD",
        "BEGIN:VCARD\nN:\\\nTEL;TYPE=:\nADR:;;;;;;;;\nEND:VCARD",
        "\u{feff}Hans Meier\u{200b}",
        "M.\nT.\nF.\nE.\nW.",
        "D-\n12345\nA-1 \nCH-",
        "x, y, z, , ,",
        "Meier, Hans, Dr., MBA",
        "+49 (0)30 1234567 +49 (0)30 1234567 +49 (0)30 1234567",
        "www.\nhttp://\nhttps://a.b/c?d#e",
        "San Francisco, CA 94105-1234\nLondon E14 5AB\n1015 BS",
        "> only a quote",
        "--\n--\n-- ",
    ];
    for text in odd {
        let p = parse(text, Some("DE")).proposal;
        for n in [&p.first_name, &p.last_name, &p.title, &p.company_name] {
            assert!(
                n.as_ref().is_none_or(|s| s.chars().count() <= 200),
                "{text:?}"
            );
        }
        assert!(
            p.phones.iter().all(|x| x.number.starts_with('+')),
            "{text:?}"
        );
    }
    // A long line is never a name or title.
    let long = "Word ".repeat(300);
    let p = parse(&long, None).proposal;
    assert_eq!(p.first_name, None);
    assert_eq!(p.title, None);
}
