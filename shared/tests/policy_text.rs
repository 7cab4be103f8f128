//! The policy text: the Dutch binding text matches the customer's seed word for word, and the
//! canonical text of each language is a reviewed snapshot, so any change shows up as a diff.
#![cfg(not(target_arch = "wasm32"))]

use expect_test::expect_file;
use privacy_shared::Language;
use privacy_shared::policy::{self, CURRENT_VERSION, PolicyDocument};
use std::path::Path;

fn current(language: Language) -> PolicyDocument {
    policy::document(CURRENT_VERSION, language)
        .expect("published")
        .expect("parses")
}

/// The words of a text, with Markdown markup and our anchor markers taken out.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| {
            let heading_marker = w.chars().all(|c| c == '#');
            let anchor_marker = w.starts_with("[#") && w.ends_with(']');
            !heading_marker && !anchor_marker
        })
        .map(|w| w.replace("**", ""))
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn the_dutch_text_is_the_seed_word_for_word() {
    let seed_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/seed/privacybeleid-virtio-2024-11-26.md");
    let seed = std::fs::read_to_string(&seed_path).unwrap_or_else(|e| {
        panic!(
            "the customer's seed must lie beside the checkout at {}: {e}",
            seed_path.display()
        )
    });
    // The seed writes links as Markdown; the plain text writes them as `text <href>`.
    let seed = seed.replace(
        "[support@virtio.nl](mailto:support@virtio.nl)",
        "support@virtio.nl <mailto:support@virtio.nl>",
    );
    let ours = current(Language::Nl).plain_text();
    let (expected, actual) = (words(&seed), words(&ours));
    if let Some(at) = expected.iter().zip(&actual).position(|(a, b)| a != b) {
        panic!(
            "the Dutch text drifts from the seed at word {at}: seed `{}`, ours `{}`",
            expected[at..]
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            actual[at..]
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    assert_eq!(
        expected.len(),
        actual.len(),
        "the Dutch text is longer or shorter than the seed"
    );
}

#[test]
fn the_dutch_canonical_text_matches_its_snapshot() {
    expect_file!["snapshots/policy-2024-11-26.nl.txt"]
        .assert_eq(&current(Language::Nl).plain_text());
}

#[test]
fn the_english_translation_matches_its_snapshot() {
    let english = current(Language::En);
    assert_eq!(
        english.translation_of,
        Some(Language::Nl),
        "the English text is marked as a translation"
    );
    expect_file!["snapshots/policy-2024-11-26.en.txt"].assert_eq(&english.plain_text());
}

#[test]
fn the_policy_names_the_supervisory_authority_and_the_support_address() {
    for language in [Language::Nl, Language::En] {
        let text = current(language).plain_text();
        assert!(text.contains("Autoriteit Persoonsgegevens"), "{language:?}");
        assert!(text.contains("mailto:support@virtio.nl"), "{language:?}");
    }
}
