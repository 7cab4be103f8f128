//! The two interface languages. Dutch is the binding language of the policy.

use serde::{Deserialize, Serialize};

/// A language the widget and the policy are offered in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Nl,
    En,
}

impl Language {
    /// Reads a BCP 47 tag such as `nl`, `nl-NL` or `en-GB`; other languages give `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Self::Nl),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first supported language among `tags`, in order of preference, else Dutch.
    pub fn negotiate<'a>(tags: impl IntoIterator<Item = &'a str>) -> Self {
        tags.into_iter()
            .find_map(Self::from_tag)
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_takes_the_first_supported_tag_and_falls_back_to_dutch() {
        assert_eq!(Language::negotiate(["de-DE", "en-GB", "nl"]), Language::En);
        assert_eq!(Language::negotiate(["NL_be"]), Language::Nl);
        assert_eq!(Language::negotiate(["fr", "de"]), Language::Nl);
        assert_eq!(Language::negotiate([]), Language::Nl);
    }
}
