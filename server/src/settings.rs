//! The server's configuration: built-in defaults, overridden by a TOML file (`--config`), overridden
//! by `PRIVACY_*` environment variables and command-line flags.

use anyhow::Context as _;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::client::TrustedProxies;
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
    /// The load balancers whose forwarding headers name the client (`[proxy] trusted`).
    pub proxies: TrustedProxies,
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
    /// The origin browsers reach this server at (`public_url`), which links in e-mail point to;
    /// `None` is `http://` and the bound address, right for development only.
    pub public_url: Option<String>,
}

/// The identity secret of `config/dev.toml`: published, so for development only.
pub const DEV_IDENTITY_SECRET: &str = "dev-only-identity-secret-not-for-production";

/// The shortest identity secret a production start accepts (HMAC-SHA256's block of security).
pub const MIN_IDENTITY_SECRET_BYTES: usize = 32;

impl Settings {
    /// Refuses what only development may use: a short or the published identity secret,
    /// development tokens, the demo group site. `serve --dev` skips this.
    pub fn refuse_development_settings(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.identity_secret {
            anyhow::ensure!(
                secret.expose() != DEV_IDENTITY_SECRET.as_bytes(),
                "the identity secret is the published one of config/dev.toml: set \
                 PRIVACY_IDENTITY_SECRET to {MIN_IDENTITY_SECRET_BYTES} or more random bytes \
                 (or pass --dev for development)"
            );
            anyhow::ensure!(
                secret.expose().len() >= MIN_IDENTITY_SECRET_BYTES,
                "the identity secret is shorter than {MIN_IDENTITY_SECRET_BYTES} bytes \
                 (or pass --dev for development)"
            );
        }
        anyhow::ensure!(
            !self.dev_identity_tokens,
            "[identity] dev_tokens signs a token for anyone: development only (--dev)"
        );
        anyhow::ensure!(
            self.demo_group_site.is_none(),
            "[demo] group_site is development only (--dev)"
        );
        Ok(())
    }

    /// The origin e-mailed links point to: `public_url`, else this server's own address (with
    /// the port it was given when bound to port 0).
    pub fn public_origin(&self, port: u16) -> anyhow::Result<String> {
        match &self.public_url {
            Some(url) => {
                anyhow::ensure!(
                    is_origin(url),
                    "public_url `{url}` is not an origin such as https://privacy.virtio.nl"
                );
                Ok(url.trim_end_matches('/').to_owned())
            }
            None => {
                let ip = match self.bind.ip() {
                    ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
                    ip => ip,
                };
                Ok(format!("http://{}", SocketAddr::new(ip, port)))
            }
        }
    }

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
            proxies: TrustedProxies::default(),
            smtp: None,
            allowed_origins: HashSet::new(),
            attachment_key: None,
            metrics_token: None,
            dev_identity_tokens: false,
            demo_group_site: None,
            public_url: None,
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
    /// The origin browsers reach this server at, such as `https://privacy.virtio.nl`: the status
    /// links in e-mail point there.
    pub public_url: Option<String>,
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
    /// `[proxy] trusted`: networks of the load balancers in front of the server, such as
    /// `["10.0.0.0/8"]`. Only their `Forwarded`/`X-Forwarded-*` headers are believed.
    #[serde(default)]
    pub proxy: TrustedProxies,
    /// Where the outbox is delivered; without it, e-mail waits in the outbox.
    pub smtp: Option<SmtpSettings>,
    /// The file of the group's sites (`config/sites.toml`), relative to this file: each site's
    /// name and purposes, installed before this file's `[sites]` tables add their origins.
    pub catalogue: Option<PathBuf>,
    /// Per site id: the origins whose pages embed the widget and may call the API; a site not in
    /// the catalogue is declared here in full.
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

/// `[sites.<id>]`: the origins of a site's pages; for a site the catalogue does not hold, also
/// its name, purposes and the cookie names and Web Storage keys its own scripts set per purpose,
/// which declare it (no code change, no widget rebuild).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    #[serde(default)]
    pub origins: Vec<String>,
    /// The site's name as people know it, such as `shop.virtio.nl`.
    pub name: Option<String>,
    /// The purposes the site shows, from the policy, `necessary` first.
    pub purposes: Option<Vec<privacy_shared::PurposeId>>,
    /// Per purpose, cookie names the site's own scripts set (see `SiteDefinition`).
    #[serde(default)]
    pub cookies: BTreeMap<privacy_shared::PurposeId, Vec<String>>,
    /// Per purpose, Web Storage keys the site's own scripts keep.
    #[serde(default)]
    pub storage: BTreeMap<privacy_shared::PurposeId, Vec<String>>,
    /// The widget's theme on this site, such as `"--vp-button-background" = "#0b5cad"`.
    #[serde(default)]
    pub theme: BTreeMap<String, String>,
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

/// Whether `text` is a web origin: `http` or `https`, a host, an optional port, nothing after.
fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = rest.split_once(':').unwrap_or((rest, "80"));
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && port.parse::<u16>().is_ok()
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

    /// Reads the file at `path`, or the empty settings when there is none, and installs the sites
    /// it declares. Every error is one line naming the file and line.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses settings from `text` (read from `file`) and installs the sites it declares.
    pub fn from_toml(text: &str, file: &str) -> anyhow::Result<Self> {
        let line_of = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
        let settings: Self = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(span.start + 1));
            anyhow::anyhow!("{file}:{line}: {}", e.message().trim())
        })?;
        if let Some(catalogue) = &settings.catalogue {
            let path = Path::new(file)
                .parent()
                .unwrap_or(Path::new(""))
                .join(catalogue);
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("{file}: catalogue `{shown}` cannot be read: {e}"))?;
            privacy_shared::site::install_catalogue(&text, &shown).map_err(anyhow::Error::msg)?;
        }
        if let Some(url) = &settings.public_url
            && !is_origin(url)
        {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("public_url"))
                .map_or(1, |i| i + 1);
            anyhow::bail!(
                "{file}:{line}: public_url `{url}` is not an origin such as https://privacy.virtio.nl"
            );
        }
        if let Some(smtp) = &settings.smtp {
            smtp.check().map_err(|why| {
                let line = privacy_shared::site::line_of_table(text, "[smtp]");
                anyhow::anyhow!("{file}:{line}: [smtp] {why}")
            })?;
        }
        for (id, site) in &settings.sites {
            let header = format!("[sites.{id}]");
            let line = privacy_shared::site::line_of_table(text, &header);
            let fail = |why: String| anyhow::anyhow!("{file}:{line}: {header} {why}");
            match (&site.name, &site.purposes) {
                (Some(name), Some(purposes)) => {
                    let definition = privacy_shared::site::SiteDefinition {
                        name: name.clone(),
                        purposes: purposes.clone(),
                        cookies: site.cookies.clone(),
                        storage: site.storage.clone(),
                        theme: site.theme.clone(),
                    };
                    privacy_shared::site::install(id, &definition)
                        .map_err(|e| fail(e.to_string()))?;
                }
                (None, None)
                    if !site.cookies.is_empty()
                        || !site.storage.is_empty()
                        || !site.theme.is_empty() =>
                {
                    return Err(fail(
                        "names cookies or storage keys; they belong to a declared site (`name` and `purposes`)".into(),
                    ));
                }
                (None, None) => {
                    id.parse::<privacy_shared::SiteId>().map_err(|_| {
                        fail("names no site of the group: declare its `name` and `purposes`".into())
                    })?;
                }
                _ => {
                    return Err(fail(
                        "declares a site with both `name` and `purposes`".into(),
                    ));
                }
            }
            for origin in &site.origins {
                if !is_origin(origin) {
                    return Err(fail(format!(
                        "`{origin}` is not an origin such as https://shop.virtio.nl"
                    )));
                }
            }
        }
        Ok(settings)
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
        assert_eq!(secret.expose(), DEV_IDENTITY_SECRET.as_bytes());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }

    #[test]
    fn the_catalogue_is_read_beside_the_settings_and_its_errors_name_its_line() {
        let folder = tempfile::tempdir().unwrap();
        let settings = folder.path().join("settings.toml");
        let catalogue = folder.path().join("sites.toml");
        std::fs::write(
            &settings,
            "catalogue = \"sites.toml\"\n[sites.test-catalogue-shop]\norigins = [\"https://shop.virtio.nl\"]\n",
        )
        .unwrap();
        std::fs::write(
            &catalogue,
            "[sites.test-catalogue-shop]\nname = \"shop\"\npurposes = [\"necessary\", \"offers\"]\n",
        )
        .unwrap();
        let loaded = FileSettings::load(Some(&settings)).unwrap();
        let shop: privacy_shared::SiteId = "test-catalogue-shop".parse().unwrap();
        assert!(shop.shows(privacy_shared::PurposeId::Offers));
        assert!(
            loaded
                .allowed_origins()
                .unwrap()
                .contains("https://shop.virtio.nl")
        );

        std::fs::write(
            &catalogue,
            "# the group\n\n[sites.test-catalogue-bad]\nname = \"bad\"\npurposes = [\"analytics\"]\n",
        )
        .unwrap();
        let error = FileSettings::load(Some(&settings)).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "{}:3: [sites.test-catalogue-bad] site `test-catalogue-bad` must show `necessary` first",
                catalogue.display()
            )
        );
        std::fs::remove_file(&catalogue).unwrap();
        let error = FileSettings::load(Some(&settings)).unwrap_err().to_string();
        assert!(
            error.contains("catalogue") && !error.contains('\n'),
            "{error}"
        );
    }

    #[test]
    fn a_production_start_refuses_what_only_development_may_use() {
        let base = || {
            Settings::new(
                "127.0.0.1:1".parse().unwrap(),
                DatabaseUrl::Sqlite("p.db".into()),
            )
        };
        assert!(base().refuse_development_settings().is_ok());
        let with_secret = |secret: &str| Settings {
            identity_secret: Some(Secret::new(secret)),
            ..base()
        };
        let published = with_secret(DEV_IDENTITY_SECRET)
            .refuse_development_settings()
            .unwrap_err()
            .to_string();
        assert!(published.contains("config/dev.toml"), "{published}");
        let short = with_secret("a secret of 31 bytes, too short")
            .refuse_development_settings()
            .unwrap_err()
            .to_string();
        assert!(short.contains("shorter than 32 bytes"), "{short}");
        assert!(
            with_secret("a secret of thirty-two bytes, ok")
                .refuse_development_settings()
                .is_ok()
        );
        let tokens = Settings {
            dev_identity_tokens: true,
            ..base()
        };
        assert!(tokens.refuse_development_settings().is_err());
        let demo = Settings {
            demo_group_site: Some("127.0.0.1:8081".parse().unwrap()),
            ..base()
        };
        assert!(demo.refuse_development_settings().is_err());
    }

    #[test]
    fn links_point_at_public_url_else_at_the_bound_address() {
        let bad = FileSettings::from_toml(
            "bind = \"127.0.0.1:1\"\npublic_url = \"privacy.virtio.nl\"\n",
            "p.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(bad.starts_with("p.toml:2: public_url"), "{bad}");
        let base = Settings::new(
            "0.0.0.0:0".parse().unwrap(),
            DatabaseUrl::Sqlite("p.db".into()),
        );
        assert_eq!(base.public_origin(8443).unwrap(), "http://127.0.0.1:8443");
        let public = Settings {
            public_url: Some("https://privacy.virtio.nl/".into()),
            ..base
        };
        assert_eq!(
            public.public_origin(8443).unwrap(),
            "https://privacy.virtio.nl"
        );
    }

    #[test]
    fn trusted_proxies_are_networks_and_a_bad_one_is_named_by_line() {
        let settings = FileSettings::from_toml(
            "[proxy]\ntrusted = [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.7\"]\n",
            "proxy.toml",
        )
        .unwrap();
        let trusted: Vec<String> = settings
            .proxy
            .trusted
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(trusted, ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]);
        let error = FileSettings::from_toml(
            "bind = \"127.0.0.1:1\"\n[proxy]\ntrusted = [\"10.0.0.0/33\"]\n",
            "proxy.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("proxy.toml:3: "), "{error}");
        assert!(
            error.contains("10.0.0.0/33") && !error.contains('\n'),
            "{error}"
        );
    }

    #[test]
    fn smtp_in_plain_text_to_another_machine_stops_the_start_with_its_line() {
        let text = "bind = \"127.0.0.1:1\"\n\n[smtp]\nhost = \"smtp.example.nl\"\n\
                    from = \"privacy@virtio.nl\"\ntls = \"none\"\n";
        let error = FileSettings::from_toml(text, "mail.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("mail.toml:3: [smtp] "), "{error}");
        assert!(error.contains("plain text"), "{error}");
        let secure = text.replace("tls = \"none\"", "tls = \"starttls\"");
        let settings = FileSettings::from_toml(&secure, "mail.toml").unwrap();
        assert_eq!(settings.smtp.map(|s| s.port), Some(587));
    }

    #[test]
    fn the_repositorys_dev_settings_install_the_three_sites_of_the_group() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/dev.toml");
        let settings = FileSettings::load(Some(&path)).unwrap();
        for id in ["virtio-nl", "interface", "virtio-status"] {
            assert!(id.parse::<privacy_shared::SiteId>().is_ok(), "{id}");
        }
        assert!(
            settings
                .allowed_origins()
                .unwrap()
                .contains("http://127.0.0.1:8081")
        );
    }

    #[test]
    fn a_site_declared_in_the_file_is_installed_and_bad_ones_are_named_by_line() {
        privacy_shared::site::install_repo_catalogue_for_tests();
        let text = "[sites.test-settings-shop]\nname = \"shop.virtio.nl\"\n\
                    purposes = [\"necessary\", \"analytics\"]\norigins = [\"https://shop.virtio.nl\"]\n";
        let settings = FileSettings::from_toml(text, "sites.toml").unwrap();
        let shop: privacy_shared::SiteId = "test-settings-shop".parse().unwrap();
        assert!(shop.shows(privacy_shared::PurposeId::Analytics));
        assert_eq!(shop.site().name, "shop.virtio.nl");
        assert!(
            settings
                .allowed_origins()
                .unwrap()
                .contains("https://shop.virtio.nl")
        );

        let refused = |text: &str| {
            let error = FileSettings::from_toml(text, "sites.toml")
                .unwrap_err()
                .to_string();
            assert!(!error.contains('\n'), "one line: {error}");
            error
        };
        let unknown_purpose = refused(
            "bind = \"127.0.0.1:1\"\n[sites.x-shop]\nname = \"x\"\npurposes = [\"necessary\", \"marketing\"]\n",
        );
        assert!(
            unknown_purpose.starts_with("sites.toml:4: "),
            "{unknown_purpose}"
        );
        assert!(unknown_purpose.contains("marketing"), "{unknown_purpose}");
        let duplicate = refused("[sites.a-shop]\norigins = []\n[sites.a-shop]\norigins = []\n");
        assert!(duplicate.starts_with("sites.toml:3: "), "{duplicate}");
        let bad_origin =
            refused("\n[sites.virtio-nl]\norigins = [\"https://www.virtio.nl/path\"]\n");
        assert!(
            bad_origin.starts_with("sites.toml:2: [sites.virtio-nl] "),
            "{bad_origin}"
        );
        let undeclared = refused("[sites.nowhere]\norigins = []\n");
        assert!(
            undeclared.contains("declare its `name` and `purposes`"),
            "{undeclared}"
        );
        let no_necessary = refused("[sites.y-shop]\nname = \"y\"\npurposes = [\"analytics\"]\n");
        assert!(no_necessary.contains("necessary"), "{no_necessary}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileSettings>("bnd = \"x\"").is_err());
    }
}
