//! The privacy policy as versioned, structured data (PRODUCT.md §3). Each version and language is
//! authored as a Markdown file under `shared/content/` with front matter and an explicit anchor on
//! every heading; this module parses it into a [`PolicyDocument`] and computes its notice hash:
//! SHA-256 over the document's canonical JSON, the same bytes on every target.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Language;

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
