//! The group sites that embed the widget and which purposes each shows (PRODUCT.md §4).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::PurposeId;

/// A site that embeds the widget, named by a stable id such as `virtio-nl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteId(&'static Site);

/// One site's configuration.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Site {
    pub id: &'static str,
    pub name: &'static str,
    /// Purposes shown on this site, `necessary` first.
    pub purposes: &'static [PurposeId],
}

/// The sites of the Virtio group.
pub static SITES: &[Site] = &[
    Site {
        id: "virtio-nl",
        name: "virtio.nl",
        purposes: &[
            PurposeId::Necessary,
            PurposeId::Analytics,
            PurposeId::Advertising,
            PurposeId::Recaptcha,
            PurposeId::Feedback,
        ],
    },
    Site {
        id: "interface",
        name: "Virtio interface app",
        purposes: &[
            PurposeId::Necessary,
            PurposeId::Analytics,
            PurposeId::Feedback,
            PurposeId::Offers,
            PurposeId::Newsletter,
            PurposeId::CrashReports,
        ],
    },
    Site {
        id: "virtio-status",
        name: "status.virtio.nl",
        purposes: &[PurposeId::Necessary, PurposeId::Analytics],
    },
];

impl SiteId {
    pub fn site(self) -> &'static Site {
        self.0
    }

    pub fn as_str(self) -> &'static str {
        self.0.id
    }

    pub fn shows(self, purpose: PurposeId) -> bool {
        self.0.purposes.contains(&purpose)
    }
}

/// The text was not the id of any configured site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown site `{0}`")]
pub struct UnknownSite(pub String);

impl FromStr for SiteId {
    type Err = UnknownSite;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SITES
            .iter()
            .find(|site| site.id == s)
            .map(SiteId)
            .ok_or_else(|| UnknownSite(s.chars().take(64).collect()))
    }
}

impl TryFrom<String> for SiteId {
    type Error = UnknownSite;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SiteId> for String {
    fn from(id: SiteId) -> Self {
        id.as_str().to_owned()
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_lists_necessary_first_and_no_purpose_twice() {
        for site in SITES {
            assert_eq!(
                site.purposes.first(),
                Some(&PurposeId::Necessary),
                "{}",
                site.id
            );
            let mut seen = site.purposes.to_vec();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), site.purposes.len(), "{}", site.id);
        }
    }

    #[test]
    fn unknown_sites_are_refused() {
        assert!("virtio-nl".parse::<SiteId>().is_ok());
        assert_eq!("evil".parse::<SiteId>(), Err(UnknownSite("evil".into())));
        assert!(serde_json::from_str::<SiteId>("\"evil\"").is_err());
    }
}
