//! The privacy policy as versioned, structured data (PRODUCT.md §3). Each version and language is
//! authored as a Markdown file under `shared/content/` with front matter and an explicit anchor on
//! every heading; this module parses it into a [`PolicyDocument`] and computes its notice hash:
//! SHA-256 over the document's canonical JSON, the same bytes on every target.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Language, PurposeId};

/// The id of the policy version in force: the customer's privacy policy of 26 November 2024.
pub const CURRENT_VERSION: &str = "2024-11-26";

/// Every published version and language with its source, newest first.
static SOURCES: &[(&str, Language, &str)] = &[
    (
        "2024-11-26",
        Language::Nl,
        include_str!("../content/2024-11-26.nl.md"),
    ),
    (
        "2024-11-26",
        Language::En,
        include_str!("../content/2024-11-26.en.md"),
    ),
];

/// What one published version asks consent for: every purpose it lists, each with who receives
/// its data besides Virtio ICT B.V. (ids of [`crate::facts::RECIPIENTS`]). A choice given on one
/// version still answers on a later one unless the later one adds a purpose or a recipient
/// (PRODUCT.md §5.1); a new wording alone asks nobody again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub version: &'static str,
    pub purposes: &'static [(PurposeId, &'static [&'static str])],
}

/// What each published version asked consent for, newest first: the first is
/// [`CURRENT_VERSION`], and every version in [`SOURCES`] has its entry. Publishing a version
/// means adding its texts there and what it asks for here.
pub static ASKED: &[Asked] = &[Asked {
    version: "2024-11-26",
    purposes: &[
        (PurposeId::Necessary, &[]),
        (PurposeId::Analytics, &["google_analytics"]),
        (PurposeId::Advertising, &["google_ads", "meta"]),
        (PurposeId::Recaptcha, &["google_recaptcha"]),
        (PurposeId::Feedback, &["research_agencies"]),
        (PurposeId::Offers, &["group_companies"]),
        (PurposeId::Newsletter, &[]),
        (PurposeId::CrashReports, &[]),
    ],
}];

impl Asked {
    /// What the version in force asks for.
    pub fn current() -> &'static Asked {
        &ASKED[0]
    }

    /// The recipients of `purpose` in this version, or `None` if it does not list the purpose.
    pub fn recipients(&self, purpose: PurposeId) -> Option<&'static [&'static str]> {
        self.purposes
            .iter()
            .find(|(p, _)| *p == purpose)
            .map(|(_, recipients)| *recipients)
    }

    /// Whether a choice given on this version still answers on `later` for a site that shows
    /// `shown`: `later` adds none of them as a new purpose and gives none of them a new recipient.
    /// What `later` no longer lists, or what the site does not show, does not matter.
    pub fn still_answers_on(&self, later: &Asked, shown: &[PurposeId]) -> bool {
        shown.iter().all(
            |&purpose| match (self.recipients(purpose), later.recipients(purpose)) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(then), Some(now)) => now.iter().all(|r| then.contains(r)),
            },
        )
    }
}

/// Whether a choice given on `version` still answers now for a site that shows `shown`: the
/// version was published and nothing it asked for has grown since.
pub fn still_answers(version: &str, shown: &[PurposeId]) -> bool {
    still_answers_in(ASKED, version, shown)
}

/// [`still_answers`] over `history` (newest first) instead of [`ASKED`].
pub(crate) fn still_answers_in(history: &[Asked], version: &str, shown: &[PurposeId]) -> bool {
    let Some(current) = history.first() else {
        return false;
    };
    history
        .iter()
        .find(|asked| asked.version == version)
        .is_some_and(|asked| asked.still_answers_on(current, shown))
}

/// Every published version a choice given on still answers now for a site that shows `shown`,
/// newest first: [`still_answers`] as a list, for the loader.
pub fn answering_versions(shown: &[PurposeId]) -> Vec<&'static str> {
    ASKED
        .iter()
        .filter(|asked| asked.still_answers_on(Asked::current(), shown))
        .map(|asked| asked.version)
        .collect()
}

/// The binding language: other languages are translations of it.
pub const BINDING_LANGUAGE: Language = Language::Nl;

/// Every policy version the product has published, newest first.
pub fn versions() -> Vec<&'static str> {
    let mut versions: Vec<&str> = SOURCES.iter().map(|(v, _, _)| *v).collect();
    versions.dedup();
    versions
}

/// Whether `version` names a policy version the product has published.
pub fn is_known_version(version: &str) -> bool {
    SOURCES.iter().any(|(v, _, _)| *v == version)
}

/// The policy of `version` in `language`, or `None` if that was never published.
pub fn document(version: &str, language: Language) -> Option<Result<PolicyDocument, PolicyError>> {
    SOURCES
        .iter()
        .find(|(v, l, _)| *v == version && *l == language)
        .map(|(_, _, source)| PolicyDocument::parse(source))
}

/// The notice hash of `version` in `language`, computed once per process.
pub fn notice_hash(version: &str, language: Language) -> Option<&'static str> {
    static HASHES: std::sync::OnceLock<Vec<(&'static str, Language, String)>> =
        std::sync::OnceLock::new();
    let hashes = HASHES.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(v, l, source)| {
                Some((*v, *l, PolicyDocument::parse(source).ok()?.notice_hash()))
            })
            .collect()
    });
    hashes
        .iter()
        .find(|(v, l, _)| *v == version && *l == language)
        .map(|(_, _, hash)| hash.as_str())
}

/// One version of the policy in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDocument {
    pub version: String,
    /// The date the version took effect, `YYYY-MM-DD`.
    pub effective: String,
    pub language: Language,
    /// Set on a translation: the language of the binding text it translates.
    pub translation_of: Option<Language>,
    pub title: String,
    /// What stands between the title and the first section.
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub intro: Vec<Paragraph>,
    pub sections: Vec<Section>,
}

/// A heading with its text. Sections are flat; `level` 2 is a chapter, 3 a subsection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    /// Stable across languages and versions, so links and the language switch keep their place.
    pub anchor: String,
    pub level: u8,
    pub heading: String,
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub paragraphs: Vec<Paragraph>,
}

/// A paragraph: runs of text and links.
pub type Paragraph = Vec<Inline>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text { text: String },
    Link { text: String, href: String },
}

/// A policy source that does not follow the content format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the front matter is missing or lacks `{0}`")]
    FrontMatter(&'static str),
    #[error("unknown language `{0}`")]
    Language(String),
    #[error("line {0}: a heading needs an anchor such as `{{#parties}}`")]
    Anchor(usize),
    #[error("the anchor `{0}` is used twice")]
    DuplicateAnchor(String),
    #[error("line {0}: text before the title")]
    BeforeTitle(usize),
}

impl PolicyDocument {
    /// Parses the content format: front matter between `---` lines (`version`, `effective`,
    /// `language`, optional `translation-of`), a `#` title, `##`/`###` headings ending in
    /// `{#anchor}`, paragraphs separated by blank lines, `[text](href)` links and `**` emphasis
    /// in headings (dropped).
    pub fn parse(source: &str) -> Result<Self, PolicyError> {
        let mut lines = source.lines().enumerate();
        let mut front = Vec::new();
        if lines.next().map(|(_, l)| l.trim()) != Some("---") {
            return Err(PolicyError::FrontMatter("---"));
        }
        for (_, line) in lines.by_ref() {
            if line.trim() == "---" {
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                front.push((key.trim(), value.trim()));
            }
        }
        let get = |key: &'static str| {
            front
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
                .ok_or(PolicyError::FrontMatter(key))
        };
        let language =
            |tag: &str| Language::from_tag(tag).ok_or_else(|| PolicyError::Language(tag.into()));
        let mut document = PolicyDocument {
            version: get("version")?.to_owned(),
            effective: get("effective")?.to_owned(),
            language: language(get("language")?)?,
            translation_of: get("translation-of").ok().map(language).transpose()?,
            title: String::new(),
            intro: Vec::new(),
            sections: Vec::new(),
        };
        let mut paragraph = String::new();
        for (index, line) in lines {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                document.push_paragraph(&mut paragraph);
            }
            if line.is_empty() {
                continue;
            }
            let hashes = line.chars().take_while(|&c| c == '#').count();
            let text = line[hashes..].trim();
            match hashes {
                1 => document.title = text.to_owned(),
                2 | 3 => {
                    let (heading, anchor) = text
                        .strip_suffix('}')
                        .and_then(|t| t.rsplit_once("{#"))
                        .ok_or(PolicyError::Anchor(index + 1))?;
                    if document.sections.iter().any(|s| s.anchor == anchor) {
                        return Err(PolicyError::DuplicateAnchor(anchor.into()));
                    }
                    document.sections.push(Section {
                        anchor: anchor.to_owned(),
                        level: hashes as u8,
                        heading: heading.replace("**", "").trim().to_owned(),
                        paragraphs: Vec::new(),
                    });
                }
                _ if document.title.is_empty() => return Err(PolicyError::BeforeTitle(index + 1)),
                _ => {
                    if !paragraph.is_empty() {
                        paragraph.push(' ');
                    }
                    paragraph.push_str(line);
                }
            }
        }
        document.push_paragraph(&mut paragraph);
        Ok(document)
    }

    fn push_paragraph(&mut self, text: &mut String) {
        if text.is_empty() {
            return;
        }
        let paragraph = parse_inlines(text);
        match self.sections.last_mut() {
            Some(section) => section.paragraphs.push(paragraph),
            None => self.intro.push(paragraph),
        }
        text.clear();
    }

    /// The canonical serialisation the notice hash covers: compact JSON with fields in declaration
    /// order. The widget and the server serialise the same document to the same bytes.
    pub fn canonical_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The notice hash: lowercase hex SHA-256 of [`Self::canonical_json`].
    pub fn notice_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json()))
    }

    /// The text as people read it, one block per line group: the title, the intro, and each
    /// heading (marked with its anchor) followed by its paragraphs; links as `text <href>`.
    pub fn plain_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        let paragraph_text = |p: &Paragraph| {
            p.iter()
                .map(|inline| match inline {
                    Inline::Text { text } => text.clone(),
                    Inline::Link { text, href } => format!("{text} <{href}>"),
                })
                .collect::<String>()
        };
        for paragraph in &self.intro {
            out.push_str(&format!("\n{}\n", paragraph_text(paragraph)));
        }
        for section in &self.sections {
            let marker = "#".repeat(section.level as usize);
            out.push_str(&format!(
                "\n{marker} {} [#{}]\n",
                section.heading, section.anchor
            ));
            for paragraph in &section.paragraphs {
                out.push_str(&format!("\n{}\n", paragraph_text(paragraph)));
            }
        }
        out
    }
}

/// Splits `[text](href)` links out of a paragraph.
fn parse_inlines(mut rest: &str) -> Paragraph {
    let mut inlines = Vec::new();
    let push_text = |inlines: &mut Paragraph, text: &str| {
        if !text.is_empty() {
            inlines.push(Inline::Text {
                text: text.to_owned(),
            });
        }
    };
    while let Some(open) = rest.find('[') {
        let link = rest[open..].split_once("](").and_then(|(text, after)| {
            let (href, tail) = after.split_once(')')?;
            (!text[1..].contains(']')).then(|| (text[1..].to_owned(), href.to_owned(), tail))
        });
        match link {
            Some((text, href, tail)) => {
                push_text(&mut inlines, &rest[..open]);
                inlines.push(Inline::Link { text, href });
                rest = tail;
            }
            None => {
                push_text(&mut inlines, &rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    push_text(&mut inlines, rest);
    // Adjacent text runs (left by a `[` that opened no link) are one run.
    inlines.dedup_by(|next, previous| match (previous, next) {
        (Inline::Text { text: a }, Inline::Text { text: b }) => {
            a.push_str(b);
            true
        }
        _ => false,
    });
    inlines
}

// Natively only: proptest is a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod asked {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn every_published_version_says_what_it_asked_for() {
        let asked: Vec<&str> = ASKED.iter().map(|a| a.version).collect();
        assert_eq!(
            asked,
            versions(),
            "one entry per published version, newest first"
        );
        assert_eq!(Asked::current().version, CURRENT_VERSION);
        for version in ASKED {
            let mut purposes: Vec<PurposeId> = version.purposes.iter().map(|(p, _)| *p).collect();
            purposes.sort();
            purposes.dedup();
            assert_eq!(
                purposes.len(),
                version.purposes.len(),
                "{}",
                version.version
            );
            for id in version.purposes.iter().flat_map(|(_, r)| r.iter()) {
                assert!(crate::facts::Recipient::by_id(id).is_some(), "{id}");
            }
        }
        for purpose in PurposeId::ALL {
            assert!(Asked::current().recipients(purpose).is_some(), "{purpose}");
        }
    }

    #[test]
    fn a_choice_answers_on_the_version_in_force_and_never_on_one_never_published() {
        for shown in [&PurposeId::ALL[..], &[PurposeId::Necessary]] {
            assert!(still_answers(CURRENT_VERSION, shown));
            assert_eq!(answering_versions(shown)[0], CURRENT_VERSION);
            for unknown in ["2023-01-01", "", "2024-11-26 ", "2024-11-27"] {
                assert!(!still_answers(unknown, shown), "`{unknown}`");
            }
        }
    }

    /// A version as data: per purpose it lists, the indexes of its recipients among `POOL`.
    type Listed = BTreeMap<PurposeId, Vec<usize>>;

    const POOL: [&str; 4] = ["google_analytics", "google_ads", "meta", "group_companies"];

    fn listed() -> impl Strategy<Value = Listed> {
        proptest::collection::btree_map(
            proptest::sample::select(PurposeId::ALL.to_vec()),
            proptest::sample::subsequence((0..POOL.len()).collect::<Vec<_>>(), 0..=POOL.len()),
            0..=PurposeId::ALL.len(),
        )
    }

    fn shown() -> impl Strategy<Value = Vec<PurposeId>> {
        proptest::sample::subsequence(PurposeId::ALL.to_vec(), 0..=PurposeId::ALL.len())
    }

    fn version(listed: &Listed) -> Asked {
        let purposes: Vec<(PurposeId, &'static [&'static str])> = listed
            .iter()
            .map(|(p, r)| {
                let names: Vec<&'static str> = r.iter().map(|&i| POOL[i]).collect();
                (*p, &*Vec::leak(names))
            })
            .collect();
        Asked {
            version: "test",
            purposes: Vec::leak(purposes),
        }
    }

    proptest! {
        #[test]
        fn a_choice_answers_on_its_own_version(then in listed(), shown in shown()) {
            prop_assert!(version(&then).still_answers_on(&version(&then), &shown));
        }

        /// A later version that adds a shown purpose, or a recipient to one, asks again; one that
        /// adds only what the site does not show, or takes anything away, does not.
        #[test]
        fn only_a_new_purpose_or_recipient_the_site_shows_asks_again(
            then in listed(),
            later in listed(),
            shown in shown(),
        ) {
            let grown = shown.iter().any(|p| match (then.get(p), later.get(p)) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(was), Some(is)) => is.iter().any(|r| !was.contains(r)),
            });
            prop_assert_eq!(
                version(&then).still_answers_on(&version(&later), &shown),
                !grown
            );
        }

        #[test]
        fn what_answers_on_a_version_answers_on_any_that_took_something_away(
            then in listed(),
            later in listed(),
            drop in proptest::collection::vec(any::<bool>(), 64),
            shown in shown(),
        ) {
            let mut smaller = later.clone();
            let mut bits = drop.into_iter();
            smaller.retain(|_, recipients| {
                recipients.retain(|_| !bits.next().unwrap_or(false));
                !bits.next().unwrap_or(false)
            });
            if version(&then).still_answers_on(&version(&later), &shown) {
                prop_assert!(version(&then).still_answers_on(&version(&smaller), &shown));
            }
        }

        #[test]
        fn answering_carries_over_from_version_to_version(
            first in listed(),
            second in listed(),
            third in listed(),
            shown in shown(),
        ) {
            let [a, b, c] = [&first, &second, &third].map(version);
            if a.still_answers_on(&b, &shown) && b.still_answers_on(&c, &shown) {
                prop_assert!(a.still_answers_on(&c, &shown));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_source_parses_with_the_same_anchors_in_every_language() {
        for version in versions() {
            let binding = document(version, BINDING_LANGUAGE).unwrap().unwrap();
            assert_eq!(binding.translation_of, None);
            let anchors = |d: &PolicyDocument| {
                d.sections
                    .iter()
                    .map(|s| s.anchor.clone())
                    .collect::<Vec<_>>()
            };
            for (v, language, _) in SOURCES.iter().filter(|(v, _, _)| *v == version) {
                let doc = document(v, *language).unwrap().unwrap();
                assert_eq!((doc.version.as_str(), doc.language), (*v, *language));
                assert_eq!(anchors(&doc), anchors(&binding), "{language:?}");
                if *language != BINDING_LANGUAGE {
                    assert_eq!(
                        doc.translation_of,
                        Some(BINDING_LANGUAGE),
                        "a translation says so"
                    );
                }
            }
        }
    }

    #[test]
    fn links_are_split_out_of_paragraphs() {
        assert_eq!(
            parse_inlines("mail [us](mailto:a@b.nl) [now]."),
            vec![
                Inline::Text {
                    text: "mail ".into()
                },
                Inline::Link {
                    text: "us".into(),
                    href: "mailto:a@b.nl".into()
                },
                Inline::Text {
                    text: " [now].".into()
                },
            ]
        );
    }

    #[test]
    fn malformed_sources_are_errors() {
        assert_eq!(
            PolicyDocument::parse("# x"),
            Err(PolicyError::FrontMatter("---"))
        );
        let front = "---\nversion: 1\neffective: 2024-01-01\nlanguage: nl\n---\n";
        assert_eq!(
            PolicyDocument::parse(&format!("{front}# T\n## No anchor")),
            Err(PolicyError::Anchor(7))
        );
        assert_eq!(
            PolicyDocument::parse(&format!("{front}# T\n## A {{#a}}\n## B {{#a}}")),
            Err(PolicyError::DuplicateAnchor("a".into()))
        );
        assert_eq!(
            PolicyDocument::parse(&format!("{front}text")),
            Err(PolicyError::BeforeTitle(6))
        );
        assert!(PolicyDocument::parse("---\nversion: 1\n---\n# T").is_err());
    }
}
