//! The server's configuration: built-in defaults, overridden by a TOML file (`--config`), overridden
//! by `PRIVACY_*` environment variables and command-line flags.

use anyhow::Context as _;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::limits::RateLimits;
use crate::mail::SmtpSettings;
use crate::storage::{DatabaseUrl, RetentionPeriods};
use std::collections::{BTreeMap, HashSet};

/// A secret whose `Debug` prints nothing, so it cannot reach a log.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What `serve` needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database: DatabaseUrl,
    pub www_dir: PathBuf,
    pub dist_dir: PathBuf,
    /// HTTP worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// The key identity tokens are signed with; without it, tokens are refused.
    pub identity_secret: Option<Secret>,
    pub retention: RetentionPeriods,
    pub rate_limits: RateLimits,
    pub smtp: Option<SmtpSettings>,
    /// Origins granted CORS on the public API (every configured site's).
    pub allowed_origins: HashSet<String>,
    /// The base64 key (32 bytes) answer attachments are encrypted with; without it, a key file
    /// beside the SQLite database is created on first start and used.
    pub attachment_key: Option<Secret>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Development only: `POST /api/v1/dev/identity-token` signs a token for any customer, for
    /// the demo interface page's login. Never in production.
    pub dev_identity_tokens: bool,
    /// Development only: where a demo group site on another origin serves the pages of `www/`
    /// with the one tag pointing at this server (`crate::group_site`).
    pub demo_group_site: Option<SocketAddr>,
}

impl Settings {
    /// Settings for a server at `bind` on `database`, everything else at its default: the
    /// starting point of `serve` and of the tests.
    pub fn new(bind: SocketAddr, database: DatabaseUrl) -> Self {
        Self {
            bind,
            database,
            www_dir: "www".into(),
            dist_dir: "dist".into(),
            workers: None,
            identity_secret: None,
            retention: RetentionPeriods::default(),
            rate_limits: RateLimits::default(),
            smtp: None,
            allowed_origins: HashSet::new(),
            attachment_key: None,
            metrics_token: None,
            dev_identity_tokens: false,
            demo_group_site: None,
        }
    }
}

/// The settings file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub bind: Option<SocketAddr>,
    pub database: Option<String>,
    pub www_dir: Option<PathBuf>,
    pub dist_dir: Option<PathBuf>,
    pub workers: Option<usize>,
    #[serde(default)]
    pub identity: IdentitySettings,
    #[serde(default)]
    pub attachments: AttachmentSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub retention: RetentionPeriods,
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Where the outbox is delivered; without it, e-mail waits in the outbox.
    pub smtp: Option<SmtpSettings>,
    /// Per site id: the origins whose pages embed the widget and may call the API.
    #[serde(default)]
    pub sites: BTreeMap<String, SiteSettings>,
    #[serde(default)]
    pub demo: DemoSettings,
}

/// Development only: the demo group site on another origin.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Where the demo group site listens, such as `127.0.0.1:8081`.
    pub group_site: Option<SocketAddr>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    #[serde(default)]
    pub origins: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettings {
    pub secret: Option<Secret>,
    /// Development only: sign identity tokens for the demo interface page's login.
    #[serde(default)]
    pub dev_tokens: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSettings {
    /// 32 random bytes, base64 (`openssl rand -base64 32`).
    pub key: Option<Secret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The bearer token Prometheus sends; without it `/metrics` is open.
    pub token: Option<Secret>,
}

impl FileSettings {
    /// Every configured origin; a site id that names no site of the group is an error.
    pub fn allowed_origins(&self) -> anyhow::Result<HashSet<String>> {
        let mut origins = HashSet::new();
        for (site, settings) in &self.sites {
            site.parse::<privacy_shared::SiteId>()
                .with_context(|| format!("[sites.{site}]"))?;
            origins.extend(
                settings
                    .origins
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_owned()),
            );
        }
        Ok(origins)
    }

    /// Reads the file at `path`, or the empty settings when there is none.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_settings_file_reads_and_its_secret_never_prints() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/dev.toml");
        let settings = FileSettings::load(Some(&path)).unwrap();
        assert_eq!(settings.bind, Some("127.0.0.1:8080".parse().unwrap()));
        let secret = settings.identity.secret.unwrap();
        assert!(!secret.expose().is_empty());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileSettings>("bnd = \"x\"").is_err());
    }
}
