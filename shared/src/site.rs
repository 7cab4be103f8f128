//! The group sites that embed the widget and which purposes each shows (PRODUCT.md §4). None is
//! in the code: the server installs them at start from its catalogue file (`config/sites.toml`)
//! and settings ([`install_catalogue`], [`install`]); the widget installs the one its loader
//! declares. A [`SiteId`] names an installed site.

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
    /// Cookie names this site's own scripts set per purpose, beyond the purpose's
    /// ([`PurposeId::cookies`]); a trailing `*` matches any suffix.
    pub cookies: &'static [(PurposeId, &'static str)],
    /// Web Storage keys this site's own scripts keep per purpose, beyond the purpose's
    /// ([`PurposeId::storage_keys`]).
    pub storage_keys: &'static [(PurposeId, &'static str)],
    /// Values of the widget's theme variables ([`THEME_VARIABLES`]) for this site.
    pub theme: &'static [(&'static str, &'static str)],
}

/// The CSS custom properties the widget's stylesheet reads (`widget/style.css`): what a site may
/// theme, on the host page or in its configuration.
pub const THEME_VARIABLES: [&str; 6] = [
    "--vp-background",
    "--vp-text",
    "--vp-button-background",
    "--vp-button-text",
    "--vp-focus-ring",
    "--vp-font",
];

/// A site declared outside the code: in the server's configuration file (`[sites.<id>]`), or
/// handed to the widget by its loader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDefinition {
    pub name: String,
    /// The purposes the site shows, from the policy, `necessary` first.
    pub purposes: Vec<PurposeId>,
    /// Per purpose, the cookie names the site's own scripts set (a trailing `*` matches any
    /// suffix), deleted with the purpose's own on withdrawal and listed in the preferences.
    #[serde(default)]
    pub cookies: std::collections::BTreeMap<PurposeId, Vec<String>>,
    /// Per purpose, the `localStorage` and `sessionStorage` keys the site's own scripts keep.
    #[serde(default)]
    pub storage: std::collections::BTreeMap<PurposeId, Vec<String>>,
    /// Values of the widget's theme variables, such as `"--vp-button-background" = "#0b5cad"`.
    #[serde(default)]
    pub theme: std::collections::BTreeMap<String, String>,
}

/// Every site installed, in the order they were.
static INSTALLED: RwLock<Vec<&'static Site>> = RwLock::new(Vec::new());

/// Every site installed: from the server's catalogue and settings at start, or, in the widget,
/// the one its loader declared.
pub fn all() -> Vec<&'static Site> {
    INSTALLED.read().map(|i| i.clone()).unwrap_or_default()
}

/// A file of `[sites.<id>]` tables, each a [`SiteDefinition`]: the group's catalogue
/// (`config/sites.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    #[serde(default)]
    sites: std::collections::BTreeMap<String, SiteDefinition>,
}

/// The line of `text` that opens the table `header` (such as `[sites.shop]`), or line 1.
pub fn line_of_table(text: &str, header: &str) -> usize {
    text.lines()
        .position(|l| l.trim() == header)
        .map_or(1, |i| i + 1)
}

/// Installs every site of a catalogue file's text (`file` names it in errors). Each error is one
/// line naming the file and line: `sites.toml:12: [sites.shop] must show `necessary` first`.
pub fn install_catalogue(text: &str, file: &str) -> Result<Vec<SiteId>, String> {
    let catalogue: Catalogue = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start + 1);
        let line = text[..offset.min(text.len())].lines().count().max(1);
        format!("{file}:{line}: {}", e.message().trim())
    })?;
    catalogue
        .sites
        .iter()
        .map(|(id, definition)| {
            install(id, definition).map_err(|e| {
                let header = format!("[sites.{id}]");
                format!("{file}:{}: {header} {e}", line_of_table(text, &header))
            })
        })
        .collect()
}

/// Installs the catalogue of this repository, `config/sites.toml`, as tests and benchmarks need
/// the group's sites without a server's settings. The product itself reads the catalogue a
/// deployment names.
#[doc(hidden)]
pub fn install_repo_catalogue_for_tests() -> Vec<SiteId> {
    install_catalogue(include_str!("../../config/sites.toml"), "config/sites.toml")
        .expect("config/sites.toml is valid")
}

/// The site a stored record names: the installed one, or else a retired site known by its id
/// alone (named by its id, showing `necessary` only), so what was recorded for a site the
/// configuration no longer holds, or before the configuration was read (`ledger verify`), still
/// reads, verifies and exports.
pub fn stored(id: &str) -> Result<SiteId, SiteError> {
    if let Ok(site) = id.parse() {
        return Ok(site);
    }
    let retired = SiteDefinition {
        name: id.to_owned(),
        purposes: vec![PurposeId::Necessary],
        ..SiteDefinition::default()
    };
    install(id, &retired)
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
    #[error("site `{0}` names cookies or storage keys for `{1}`, a purpose it does not show")]
    NamesForPurposeNotShown(String, PurposeId),
    #[error("site `{0}`: `{1}` is not a cookie name or storage key (a trailing `*` may end one)")]
    BadName(String, String),
    #[error("site `{0}`: `{1}` is not a theme variable (one of {vars})", vars = THEME_VARIABLES.join(", "))]
    UnknownThemeVariable(String, String),
    #[error("site `{0}`: the value of `{1}` is not a plain CSS value")]
    BadThemeValue(String, String),
}

/// Adds a site declared outside the code (the server's configuration file, or the definition
/// the loader hands the widget). The same definition again is no error; another definition under
/// a known id is.
pub fn install(id: &str, definition: &SiteDefinition) -> Result<SiteId, SiteError> {
    let (name, purposes) = (definition.name.as_str(), definition.purposes.as_slice());
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
    let names = |map: &std::collections::BTreeMap<PurposeId, Vec<String>>| {
        let mut pairs: Vec<(PurposeId, &'static str)> = Vec::new();
        for (&purpose, list) in map {
            if !purposes.contains(&purpose) {
                return Err(SiteError::NamesForPurposeNotShown(id.to_owned(), purpose));
            }
            for name in list {
                let stem = name.strip_suffix('*').unwrap_or(name);
                let valid = !stem.is_empty()
                    && !stem.contains('*')
                    && stem
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !";,=\"".contains(c));
                if !valid {
                    return Err(SiteError::BadName(id.to_owned(), name.clone()));
                }
                pairs.push((purpose, Box::leak(name.clone().into_boxed_str())));
            }
        }
        Ok(pairs)
    };
    let cookies = names(&definition.cookies)?;
    let storage_keys = names(&definition.storage)?;
    let mut theme: Vec<(&'static str, &'static str)> = Vec::new();
    for (variable, value) in &definition.theme {
        let Some(&known) = THEME_VARIABLES.iter().find(|v| **v == variable.as_str()) else {
            return Err(SiteError::UnknownThemeVariable(
                id.to_owned(),
                variable.clone(),
            ));
        };
        let plain = !value.trim().is_empty()
            && value.len() <= 100
            && !value
                .chars()
                .any(|c| ";{}<>\\".contains(c) || c.is_control());
        if !plain {
            return Err(SiteError::BadThemeValue(id.to_owned(), variable.clone()));
        }
        theme.push((known, Box::leak(value.clone().into_boxed_str())));
    }
    let mut installed = INSTALLED.write().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = installed.iter().copied().find(|s| s.id == id) {
        let same = known.purposes == purposes
            && known.name == name
            && known.cookies == cookies.as_slice()
            && known.storage_keys == storage_keys.as_slice()
            && known.theme == theme.as_slice();
        return if same {
            Ok(SiteId(known))
        } else {
            Err(SiteError::Conflict(id.to_owned()))
        };
    }
    let site: &'static Site = Box::leak(Box::new(Site {
        id: Box::leak(id.to_owned().into_boxed_str()),
        name: Box::leak(name.to_owned().into_boxed_str()),
        purposes: Box::leak(purposes.to_vec().into_boxed_slice()),
        cookies: Box::leak(cookies.into_boxed_slice()),
        storage_keys: Box::leak(storage_keys.into_boxed_slice()),
        theme: Box::leak(theme.into_boxed_slice()),
    }));
    installed.push(site);
    Ok(SiteId(site))
}

impl Site {
    /// The definition this site was installed from: what the loader hands the widget, which
    /// installs the same site from it.
    pub fn definition(&self) -> SiteDefinition {
        let per_purpose = |pairs: &[(PurposeId, &str)]| {
            let mut map = std::collections::BTreeMap::<_, Vec<String>>::new();
            for (purpose, name) in pairs {
                map.entry(*purpose).or_default().push((*name).to_owned());
            }
            map
        };
        SiteDefinition {
            name: self.name.to_owned(),
            purposes: self.purposes.to_vec(),
            cookies: per_purpose(self.cookies),
            storage: per_purpose(self.storage_keys),
            theme: self
                .theme
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
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

    /// The cookie names of `purpose` on this site: the purpose's own, then the site's.
    pub fn cookies(self, purpose: PurposeId) -> Vec<&'static str> {
        let extra = self.0.cookies.iter().filter(|(p, _)| *p == purpose);
        once_each(
            purpose
                .cookies()
                .iter()
                .copied()
                .chain(extra.map(|(_, n)| *n)),
        )
    }

    /// The Web Storage keys of `purpose` on this site: the purpose's own, then the site's.
    pub fn storage_keys(self, purpose: PurposeId) -> Vec<&'static str> {
        let extra = self.0.storage_keys.iter().filter(|(p, _)| *p == purpose);
        once_each(
            purpose
                .storage_keys()
                .iter()
                .copied()
                .chain(extra.map(|(_, n)| *n)),
        )
    }

    /// What `purpose` keeps in the browser on this site, as the preferences list it: the cookie
    /// names, then the Web Storage keys, each once.
    pub fn browser_names(self, purpose: PurposeId) -> Vec<&'static str> {
        once_each(
            self.cookies(purpose)
                .into_iter()
                .chain(self.storage_keys(purpose)),
        )
    }

    /// Whether a cookie called `name` belongs to `purpose` on this site.
    pub fn owns_cookie(self, purpose: PurposeId, name: &str) -> bool {
        crate::purpose::matches_any(&self.cookies(purpose), name)
    }

    /// Whether a Web Storage key belongs to `purpose` on this site.
    pub fn owns_storage_key(self, purpose: PurposeId, key: &str) -> bool {
        crate::purpose::matches_any(&self.storage_keys(purpose), key)
    }
}

/// The names in order, each once.
fn once_each(names: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut unique: Vec<&'static str> = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique
}

/// The text was not the id of any configured site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown site `{0}`")]
pub struct UnknownSite(pub String);

impl FromStr for SiteId {
    type Err = UnknownSite;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The crate's own tests use the group's sites as the product does after start.
        #[cfg(test)]
        install_repo_catalogue_for_tests();
        all()
            .into_iter()
            .find(|site| site.id == s)
            .map(SiteId)
            .ok_or_else(|| UnknownSite(s.chars().take(64).collect()))
    }
}

/// How a site id is read from JSON. On the server, a request must name a configured site. In the
/// browser (the widget, the console) every site id comes from the privacy server, which knows its
/// sites while the client knows only its own: any well-formed id it names is accepted, as
/// [`stored`] does (a customer's requests and choices from other group sites, the console's
/// inbox and statistics).
impl TryFrom<String> for SiteId {
    type Error = UnknownSite;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if cfg!(target_arch = "wasm32") {
            stored(&s).map_err(|_| UnknownSite(s.chars().take(64).collect()))
        } else {
            s.parse()
        }
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
        use PurposeId::{Advertising, Analytics, Necessary};
        let define = |purposes: &[PurposeId]| SiteDefinition {
            name: "Shop".into(),
            purposes: purposes.to_vec(),
            ..SiteDefinition::default()
        };
        let mut definition = define(&[Necessary, Analytics]);
        definition
            .cookies
            .insert(Analytics, vec!["shop_stats".into(), "shop_ab_*".into()]);
        definition
            .storage
            .insert(Analytics, vec!["shopStats".into()]);
        let shop = install("test-shop-a", &definition).unwrap();
        assert_eq!("test-shop-a".parse::<SiteId>(), Ok(shop));
        assert!(shop.shows(Analytics));
        assert_eq!(install("test-shop-a", &definition), Ok(shop));
        // The site's own names join the purpose's: listed, and deleted on withdrawal.
        assert_eq!(
            shop.browser_names(Analytics),
            [
                "_ga",
                "_ga_*",
                "_gid",
                "_gat*",
                "shop_stats",
                "shop_ab_*",
                "_ga*",
                "shopStats"
            ]
        );
        assert!(shop.owns_cookie(Analytics, "shop_ab_7") && shop.owns_cookie(Analytics, "_ga"));
        assert!(shop.owns_storage_key(Analytics, "shopStats"));
        let built_in: SiteId = "virtio-nl".parse().unwrap();
        assert!(!built_in.owns_cookie(Analytics, "shop_stats"));
        let conflict =
            |id: &str, d: &SiteDefinition| matches!(install(id, d), Err(SiteError::Conflict(_)));
        assert!(conflict("test-shop-a", &define(&[Necessary])));
        assert!(conflict("virtio-nl", &define(&[Necessary])));
        assert!(matches!(
            install("Bad Id", &define(&[Necessary])),
            Err(SiteError::BadId(_))
        ));
        assert!(matches!(
            install("test-shop-b", &define(&[Analytics, Necessary])),
            Err(SiteError::NecessaryFirst(_))
        ));
        assert!(matches!(
            install("test-shop-c", &define(&[Necessary, Analytics, Analytics])),
            Err(SiteError::DuplicatePurpose(_))
        ));
        let mut elsewhere = define(&[Necessary, Analytics]);
        elsewhere.cookies.insert(Advertising, vec!["_x".into()]);
        assert!(matches!(
            install("test-shop-d", &elsewhere),
            Err(SiteError::NamesForPurposeNotShown(_, Advertising))
        ));
        let mut bad = define(&[Necessary, Analytics]);
        bad.cookies.insert(Analytics, vec!["a*b".into()]);
        assert!(matches!(
            install("test-shop-e", &bad),
            Err(SiteError::BadName(..))
        ));
        let mut other_names = definition.clone();
        other_names.cookies.insert(Analytics, vec!["other".into()]);
        assert!(conflict("test-shop-a", &other_names));
        let mut themed = define(&[Necessary]);
        themed
            .theme
            .insert("--vp-button-background".into(), "#123456".into());
        let themed = install("test-shop-f", &themed).unwrap();
        assert_eq!(themed.site().theme, [("--vp-button-background", "#123456")]);
        let mut unknown = define(&[Necessary]);
        unknown
            .theme
            .insert("--vp-buton-background".into(), "red".into());
        assert!(matches!(
            install("test-shop-g", &unknown),
            Err(SiteError::UnknownThemeVariable(..))
        ));
        let mut escaping = define(&[Necessary]);
        escaping
            .theme
            .insert("--vp-text".into(), "red; } body { display: none".into());
        assert!(matches!(
            install("test-shop-h", &escaping),
            Err(SiteError::BadThemeValue(..))
        ));
    }

    /// The theme variables a configuration may set are the ones the stylesheet reads.
    #[test]
    fn every_theme_variable_is_read_by_the_widgets_stylesheet() {
        let css = include_str!("../../widget/style.css");
        for variable in THEME_VARIABLES {
            assert!(css.contains(&format!("var({variable}")), "{variable}");
        }
    }

    #[test]
    fn the_names_a_purpose_keeps_in_the_browser_are_listed_once() {
        let site: SiteId = "virtio-nl".parse().unwrap();
        assert_eq!(
            site.browser_names(PurposeId::Analytics),
            ["_ga", "_ga_*", "_gid", "_gat*", "_ga*"]
        );
        assert_eq!(site.browser_names(PurposeId::Necessary), ["vp_consent"]);
    }

    #[test]
    fn withdrawal_deletes_the_analytics_cookies_and_only_those() {
        let site: SiteId = "virtio-nl".parse().unwrap();
        for name in ["_ga", "_ga_ABC123", "_gid", "_gat_UA-1"] {
            assert!(site.owns_cookie(PurposeId::Analytics, name), "{name}");
        }
        for name in ["_gaz", "ga", "_fbp", "vp_consent"] {
            assert!(!site.owns_cookie(PurposeId::Analytics, name), "{name}");
        }
    }

    #[test]
    fn a_stored_record_of_a_site_no_longer_configured_still_reads() {
        let known: SiteId = "virtio-nl".parse().unwrap();
        assert_eq!(stored("virtio-nl"), Ok(known));
        let retired = stored("test-retired-shop").unwrap();
        assert_eq!(retired.as_str(), "test-retired-shop");
        assert_eq!(retired.site().purposes, [PurposeId::Necessary]);
        assert_eq!(stored("test-retired-shop"), Ok(retired));
        assert!(matches!(stored("Not A Site"), Err(SiteError::BadId(_))));
    }

    #[test]
    fn unknown_sites_are_refused() {
        assert!("virtio-nl".parse::<SiteId>().is_ok());
        assert_eq!("evil".parse::<SiteId>(), Err(UnknownSite("evil".into())));
        assert!(serde_json::from_str::<SiteId>("\"evil\"").is_err());
    }
}
