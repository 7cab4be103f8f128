//! The group sites that embed the widget and which purposes each shows (PRODUCT.md §4): the
//! group's built-in sites, and sites added at run time from the server's configuration file
//! ([`install`]), which the widget learns from its loader. Either way a [`SiteId`] names one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

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

/// The built-in sites of the Virtio group.
static BUILT_IN: &[Site] = &[
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

/// Sites added at run time, after the built-in ones.
static INSTALLED: RwLock<Vec<&'static Site>> = RwLock::new(Vec::new());

/// The group's built-in sites, which the loader's first layers and staleness rule are generated
/// for at build time.
pub fn built_in() -> &'static [Site] {
    BUILT_IN
}

/// Every site: the built-in ones, then those installed.
pub fn all() -> Vec<&'static Site> {
    let installed = INSTALLED.read().map(|i| i.clone()).unwrap_or_default();
    BUILT_IN.iter().chain(installed).collect()
}

/// Why a site cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("a site id is 1 to 40 lowercase letters, digits and dashes, not `{0}`")]
    BadId(String),
    #[error("site `{0}` must show `necessary` first")]
    NecessaryFirst(String),
    #[error("site `{0}` lists a purpose twice")]
    DuplicatePurpose(String),
    #[error("site `{0}` exists already with other purposes or another name")]
    Conflict(String),
}

/// Adds a site declared outside the code (the server's configuration file, or the definition
/// the loader hands the widget): `id`, its `name`, and its purposes, `necessary` first. The same
/// definition again is no error; another definition under a known id is.
pub fn install(id: &str, name: &str, purposes: &[PurposeId]) -> Result<SiteId, SiteError> {
    let valid_id = !id.is_empty()
        && id.len() <= 40
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_id {
        return Err(SiteError::BadId(id.chars().take(40).collect()));
    }
    if purposes.first() != Some(&PurposeId::Necessary) {
        return Err(SiteError::NecessaryFirst(id.to_owned()));
    }
    if (1..purposes.len()).any(|i| purposes[..i].contains(&purposes[i])) {
        return Err(SiteError::DuplicatePurpose(id.to_owned()));
    }
    let mut installed = INSTALLED.write().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = BUILT_IN
        .iter()
        .chain(installed.iter().copied())
        .find(|s| s.id == id)
    {
        return if known.purposes == purposes && known.name == name {
            Ok(SiteId(known))
        } else {
            Err(SiteError::Conflict(id.to_owned()))
        };
    }
    let site: &'static Site = Box::leak(Box::new(Site {
        id: Box::leak(id.to_owned().into_boxed_str()),
        name: Box::leak(name.to_owned().into_boxed_str()),
        purposes: Box::leak(purposes.to_vec().into_boxed_slice()),
    }));
    installed.push(site);
    Ok(SiteId(site))
}

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
        all()
            .into_iter()
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
        for site in all() {
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
    fn an_installed_site_is_known_by_its_id_and_a_conflicting_one_is_refused() {
        use PurposeId::{Analytics, Necessary};
        let shop = install("test-shop-a", "Shop", &[Necessary, Analytics]).unwrap();
        assert_eq!("test-shop-a".parse::<SiteId>(), Ok(shop));
        assert!(shop.shows(Analytics));
        assert_eq!(
            install("test-shop-a", "Shop", &[Necessary, Analytics]),
            Ok(shop)
        );
        assert!(matches!(
            install("test-shop-a", "Shop", &[Necessary]),
            Err(SiteError::Conflict(_))
        ));
        assert!(matches!(
            install("virtio-nl", "x", &[Necessary]),
            Err(SiteError::Conflict(_))
        ));
        assert!(matches!(
            install("Bad Id", "x", &[Necessary]),
            Err(SiteError::BadId(_))
        ));
        assert!(matches!(
            install("test-shop-b", "x", &[Analytics, Necessary]),
            Err(SiteError::NecessaryFirst(_))
        ));
        assert!(matches!(
            install("test-shop-c", "x", &[Necessary, Analytics, Analytics]),
            Err(SiteError::DuplicatePurpose(_))
        ));
    }

    #[test]
    fn unknown_sites_are_refused() {
        assert!("virtio-nl".parse::<SiteId>().is_ok());
        assert_eq!("evil".parse::<SiteId>(), Err(UnknownSite("evil".into())));
        assert!(serde_json::from_str::<SiteId>("\"evil\"").is_err());
    }
}
