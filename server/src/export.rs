//! The automatic export of an access or portability answer (PRODUCT.md §6.3): what the server
//! itself holds about the person (their consent events and their rights requests) as JSON and as
//! CSV, each with a description of every field in the person's language.

use privacy_shared::{ConsentReceipt, Language};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::requests::StoredRequest;

/// What the server holds about one person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonData {
    pub consent_events: Vec<ConsentReceipt>,
    pub requests: Vec<StoredRequest>,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub content: Vec<u8>,
}

/// A field of a table: its name, its description in Dutch and in English, and its value.
struct Field<T> {
    name: &'static str,
    nl: &'static str,
    en: &'static str,
    value: fn(&T) -> String,
}

fn time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn optional(value: Option<&(impl ToString + ?Sized)>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

#[rustfmt::skip]
const CONSENT_FIELDS: &[Field<ConsentReceipt>] = &[
    Field { name: "event_id", nl: "Nummer van de toestemmingsgebeurtenis", en: "Number of the consent event", value: |e| e.event.event_id.to_string() },
    Field { name: "recorded_at", nl: "Moment waarop de keuze is vastgelegd (UTC)", en: "When the choice was recorded (UTC)", value: |e| time(e.event.recorded_at) },
    Field { name: "site", nl: "Website waarop de keuze is gemaakt", en: "Website on which the choice was made", value: |e| e.event.decision.site.to_string() },
    Field { name: "subject", nl: "Willekeurig nummer van de browser (geen naam of IP-adres)", en: "Random number of the browser (no name or IP address)", value: |e| e.event.subject.to_string() },
    Field { name: "customer", nl: "Klantnummer, als je was ingelogd", en: "Customer number, if you were logged in", value: |e| optional(e.event.customer.as_ref().map(AsRef::<str>::as_ref)) },
    Field { name: "kind", nl: "Soort keuze (alles accepteren, alles weigeren, eigen keuze, intrekking, GPC)", en: "Kind of choice (accept all, reject all, custom, withdrawal, GPC)", value: |e| json_text(&e.event.decision.kind) },
    Field { name: "source", nl: "Waar de keuze is gemaakt (banner, voorkeuren, API)", en: "Where the choice was made (banner, preferences, API)", value: |e| json_text(&e.event.decision.source) },
    Field { name: "choices", nl: "Per doel: toestemming gegeven (true) of niet (false)", en: "Per purpose: consent given (true) or not (false)", value: |e| json_text(&e.event.decision.choices) },
    Field { name: "policy_version", nl: "Versie van de privacyverklaring die je zag", en: "Version of the privacy statement you were shown", value: |e| e.event.decision.policy_version.clone() },
    Field { name: "language", nl: "Taal waarin je de tekst zag", en: "Language in which you saw the text", value: |e| e.event.decision.language.as_str().to_owned() },
    Field { name: "notice_hash", nl: "Vingerafdruk (SHA-256) van de getoonde tekst", en: "Fingerprint (SHA-256) of the text shown", value: |e| e.event.decision.notice_hash.clone() },
    Field { name: "withdrawn", nl: "Doelen waarvoor je met deze keuze je toestemming introk", en: "Purposes for which this choice withdrew your consent", value: |e| json_text(&e.event.decision.withdrawn) },
    Field { name: "gpc", nl: "Of je browser Global Privacy Control meestuurde", en: "Whether your browser sent Global Privacy Control", value: |e| e.event.decision.gpc.to_string() },
    Field { name: "expires_at", nl: "Na dit moment vragen we opnieuw", en: "After this moment we ask again", value: |e| time(e.event.expires_at) },
    Field { name: "hash", nl: "Vingerafdruk van deze gebeurtenis in de keten van bewijs", en: "Fingerprint of this event in the chain of proof", value: |e| e.hash.clone() },
];

#[rustfmt::skip]
const REQUEST_FIELDS: &[Field<StoredRequest>] = &[
    Field { name: "id", nl: "Nummer van het verzoek", en: "Number of the request", value: |r| r.id.to_string() },
    Field { name: "site", nl: "Website waarop het verzoek is gedaan", en: "Website on which the request was filed", value: |r| r.site.to_string() },
    Field { name: "kind", nl: "Welk recht je uitoefende", en: "Which right you exercised", value: |r| r.kind.as_str().to_owned() },
    Field { name: "status", nl: "Stand van zaken", en: "Status", value: |r| r.status.as_str().to_owned() },
    Field { name: "received_at", nl: "Moment van ontvangst (UTC)", en: "When it was received (UTC)", value: |r| time(r.received_at) },
    Field { name: "due_date", nl: "Uiterste datum van ons antwoord", en: "Date by which we answer", value: |r| r.due_date.to_string() },
    Field { name: "email", nl: "E-mailadres voor het verzoek", en: "E-mail address of the request", value: |r| optional(r.email.as_ref().map(AsRef::<str>::as_ref)) },
    Field { name: "customer", nl: "Klantnummer, als je was ingelogd", en: "Customer number, if you were logged in", value: |r| optional(r.customer.as_ref().map(AsRef::<str>::as_ref)) },
    Field { name: "name", nl: "Naam die je opgaf", en: "Name you gave", value: |r| r.name.clone().unwrap_or_default() },
    Field { name: "details", nl: "Toelichting die je gaf", en: "Details you gave", value: |r| r.details.clone().unwrap_or_default() },
    Field { name: "extension_reason", nl: "Reden van een verlenging", en: "Reason for an extension", value: |r| r.extension_reason.clone().unwrap_or_default() },
    Field { name: "answer", nl: "Ons antwoord", en: "Our answer", value: |r| r.answer.clone().unwrap_or_default() },
    Field { name: "refusal_reasons", nl: "Reden van een afwijzing", en: "Reasons for a refusal", value: |r| r.refusal_reasons.clone().unwrap_or_default() },
];

fn json_text(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn description<T>(field: &Field<T>, language: Language) -> &'static str {
    match language {
        Language::Nl => field.nl,
        Language::En => field.en,
    }
}

fn rows_json<T>(rows: &[T], fields: &[Field<T>]) -> Value {
    rows.iter()
        .map(|row| {
            fields
                .iter()
                .map(|f| (f.name.to_owned(), Value::String((f.value)(row))))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect::<Vec<Value>>()
        .into()
}

fn descriptions_json<T>(fields: &[Field<T>], language: Language) -> Value {
    fields
        .iter()
        .map(|f| {
            (
                f.name.to_owned(),
                Value::String(description(f, language).to_owned()),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// One CSV cell: quoted when it holds a separator, a quote or a line break. A cell a spreadsheet
/// would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'`, so text a requester typed never runs when the export is opened.
fn cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn csv_line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells
        .into_iter()
        .map(|c| cell(&c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// One line of `field-descriptions.csv` per field of `file`.
fn describe<T>(file: &str, fields: &[Field<T>], language: Language, out: &mut String) {
    for field in fields {
        out.push_str(&csv_line([
            file.to_owned(),
            field.name.to_owned(),
            description(field, language).to_owned(),
        ]));
    }
}

fn table_csv<T>(rows: &[T], fields: &[Field<T>]) -> Vec<u8> {
    let mut out = csv_line(fields.iter().map(|f| f.name.to_owned()));
    for row in rows {
        out.push_str(&csv_line(fields.iter().map(|f| (f.value)(row))));
    }
    out.into_bytes()
}

/// The export files: `export.json` with everything and its field descriptions, and one CSV per
/// table plus `field-descriptions.csv`.
pub fn files(
    person: &PersonData,
    language: Language,
    generated_at: OffsetDateTime,
) -> Vec<ExportFile> {
    let about = match language {
        Language::Nl => {
            "Alle gegevens die de privacyserver van Virtio ICT B.V. over je bewaart: je toestemmingskeuzes en je privacyverzoeken."
        }
        Language::En => {
            "All data the privacy server of Virtio ICT B.V. keeps about you: your consent choices and your privacy requests."
        }
    };
    let document = json!({
        "about": about,
        "generated_at": time(generated_at),
        "field_descriptions": {
            "consent_events": descriptions_json(CONSENT_FIELDS, language),
            "requests": descriptions_json(REQUEST_FIELDS, language),
        },
        "consent_events": rows_json(&person.consent_events, CONSENT_FIELDS),
        "requests": rows_json(&person.requests, REQUEST_FIELDS),
    });
    let mut descriptions = csv_line(["file", "field", "description"].map(String::from));
    describe(
        "consent-events.csv",
        CONSENT_FIELDS,
        language,
        &mut descriptions,
    );
    describe("requests.csv", REQUEST_FIELDS, language, &mut descriptions);
    let json = serde_json::to_vec_pretty(&document).unwrap_or_default();
    vec![
        ExportFile {
            name: "export.json",
            content_type: "application/json",
            content: json,
        },
        ExportFile {
            name: "consent-events.csv",
            content_type: "text/csv",
            content: table_csv(&person.consent_events, CONSENT_FIELDS),
        },
        ExportFile {
            name: "requests.csv",
            content_type: "text/csv",
            content: table_csv(&person.requests, REQUEST_FIELDS),
        },
        ExportFile {
            name: "field-descriptions.csv",
            content_type: "text/csv",
            content: descriptions.into_bytes(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_separators_quotes_or_line_breaks_are_quoted() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    proptest::proptest! {
        /// Whatever a requester typed, its cell reads back as that text (with a `'` before a
        /// would-be formula) and a spreadsheet never sees a formula.
        #[test]
        fn no_cell_is_a_formula_and_every_cell_reads_back(value in ".{0,40}") {
            let written = cell(&value);
            let read = match written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => written.clone(),
            };
            proptest::prop_assert!(!read.starts_with(['=', '+', '-', '@', '\t', '\r']));
            let original = read.strip_prefix('\'').filter(|_| read != value).unwrap_or(&read);
            proptest::prop_assert_eq!(original, value.as_str());
        }
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+31 6"), "'+31 6");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("a=b"), "a=b");
    }

    #[test]
    fn every_field_has_a_description_in_both_languages() {
        for (name, nl, en) in CONSENT_FIELDS
            .iter()
            .map(|f| (f.name, f.nl, f.en))
            .chain(REQUEST_FIELDS.iter().map(|f| (f.name, f.nl, f.en)))
        {
            assert!(!nl.is_empty() && !en.is_empty() && nl != en, "{name}");
        }
    }

    /// A field added to the consent decision or event reaches a person's export: the export
    /// describes every field a receipt carries, except `prev_hash`, the previous event's hash.
    #[test]
    fn the_export_holds_every_field_of_a_consent_receipt() {
        use privacy_shared::{
            ConsentDecision, ConsentEvent, ConsentKind, ConsentSource, SubjectId,
        };
        privacy_shared::site::install_repo_catalogue_for_tests();
        let site = "virtio-nl".parse().unwrap();
        let mut decision = ConsentDecision::uniform(
            site,
            ConsentKind::Withdraw,
            ConsentSource::Banner,
            Language::Nl,
        );
        decision.withdrawn = [privacy_shared::PurposeId::Analytics].into();
        let receipt = ConsentReceipt {
            event: ConsentEvent {
                event_id: uuid::Uuid::from_u128(1),
                recorded_at: OffsetDateTime::UNIX_EPOCH,
                subject: SubjectId::from_random_bytes([1; 16]),
                customer: None,
                decision,
                expires_at: OffsetDateTime::UNIX_EPOCH,
            },
            prev_hash: "0".repeat(64),
            hash: "1".repeat(64),
        };
        let json = serde_json::to_value(&receipt).unwrap();
        let exported: Vec<&str> = CONSENT_FIELDS.iter().map(|f| f.name).collect();
        for name in json.as_object().unwrap().keys() {
            assert!(
                exported.contains(&name.as_str()) || name == "prev_hash",
                "`{name}` is not in the export"
            );
        }
    }
}
