//! The server's configuration: built-in defaults, overridden by a TOML file (`--config`), overridden
//! by `PRIVACY_*` environment variables and command-line flags.

use anyhow::Context as _;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::client::TrustedProxies;
use crate::identity::{Algorithm, IdentityConfig};
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
    /// How customers' identity tokens are verified; without it, tokens are refused.
    pub identity: Option<IdentityConfig>,
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
    /// Development only: the private key (or HS256 secret) `POST /api/v1/dev/identity-token`
    /// signs a token for any customer with, for the demo interface page's login. Never in
    /// production.
    pub dev_token_key: Option<Secret>,
    /// Development only: where a demo group site on another origin serves the pages of `www/`
    /// with the one tag pointing at this server (`crate::group_site`).
    pub demo_group_site: Option<SocketAddr>,
    /// The origin browsers reach this server at (`public_url`), which links in e-mail point to;
    /// `None` is `http://` and the bound address, right for development only.
    pub public_url: Option<String>,
}

use crate::identity::development::PUBLIC_KEY as DEV_IDENTITY_PUBLIC_KEY;

impl Settings {
    /// Refuses what only development may use: the published development key, development
    /// tokens, the demo group site. `serve --dev` skips this.
    pub fn refuse_development_settings(&self) -> anyhow::Result<()> {
        if let Some(identity) = &self.identity {
            anyhow::ensure!(
                identity.key.expose().trim_ascii() != DEV_IDENTITY_PUBLIC_KEY.trim().as_bytes(),
                "the identity public key is the published one of config/dev.toml, whose private \
                 key anyone can read: set PRIVACY_IDENTITY_PUBLIC_KEY to the interface app's \
                 (or pass --dev for development)"
            );
        }
        anyhow::ensure!(
            self.dev_token_key.is_none(),
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
            identity: None,
            retention: RetentionPeriods::default(),
            rate_limits: RateLimits::default(),
            proxies: TrustedProxies::default(),
            smtp: None,
            allowed_origins: HashSet::new(),
            attachment_key: None,
            metrics_token: None,
            dev_token_key: None,
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

/// `[identity]`: how the interface app signs customers' identity tokens.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettings {
    /// `EdDSA` (the default), `ES256` or `HS256`.
    pub algorithm: Option<Algorithm>,
    /// EdDSA and ES256: the interface app's public key, a PEM file relative to this file.
    pub public_key: Option<PathBuf>,
    /// HS256: the secret both sides hold, 32 bytes or more.
    pub secret: Option<Secret>,
    /// The `iss` the interface app signs with, such as `https://mijn.virtio.nl`.
    pub issuer: Option<String>,
    /// Development only: sign identity tokens for the demo interface page's login.
    #[serde(default)]
    pub dev_tokens: bool,
    /// Development only: the private key (PEM, relative to this file) development tokens are
    /// signed with; HS256 signs them with `secret`.
    pub dev_private_key: Option<PathBuf>,
}

/// Where an identity key is read from: the flag or environment variable, else the file's.
pub struct IdentityOverrides {
    pub algorithm: Option<Algorithm>,
    pub public_key: Option<PathBuf>,
    pub secret: Option<String>,
    pub issuer: Option<String>,
}

impl IdentitySettings {
    /// The verification configuration, with `overrides` from flags and the environment over
    /// this file's `[identity]` (whose paths are relative to `file`), and the development
    /// signing key; `None` when no key is configured (tokens are refused).
    pub fn resolve(
        &self,
        overrides: IdentityOverrides,
        file: Option<&Path>,
    ) -> anyhow::Result<(Option<IdentityConfig>, Option<Secret>)> {
        let beside = |path: &Path| match file.and_then(Path::parent) {
            Some(folder) if path.is_relative() => folder.join(path),
            _ => path.to_owned(),
        };
        let read = |path: PathBuf, what: &str| {
            std::fs::read_to_string(&path)
                .map(Secret::new)
                .with_context(|| format!("reading the identity {what} {}", path.display()))
        };
        let algorithm = overrides.algorithm.or(self.algorithm).unwrap_or_default();
        let public_key = overrides
            .public_key
            .or_else(|| self.public_key.as_deref().map(beside));
        let secret = overrides
            .secret
            .map(Secret::new)
            .or_else(|| self.secret.clone());
        let key = match (algorithm.is_asymmetric(), public_key, secret) {
            (true, Some(path), _) => read(path, "public key")?,
            (false, _, Some(secret)) => secret,
            (_, None, None) => return Ok((None, None)),
            // The other kind of key alone: a configuration that would refuse every token.
            (true, None, Some(_)) => anyhow::bail!(
                "[identity] secret is for HS256: {algorithm:?} verifies with public_key \
                 (PRIVACY_IDENTITY_PUBLIC_KEY), or set algorithm = \"HS256\""
            ),
            (false, Some(_), None) => anyhow::bail!(
                "[identity] public_key is for EdDSA and ES256: HS256 verifies with secret \
                 (PRIVACY_IDENTITY_SECRET)"
            ),
        };
        let issuer = overrides
            .issuer
            .or_else(|| self.issuer.clone())
            .context("an identity key is configured without its issuer: set [identity] issuer (PRIVACY_IDENTITY_ISSUER) to the `iss` the interface app signs with")?;
        let dev_key = match (self.dev_tokens, algorithm.is_asymmetric()) {
            (false, _) => None,
            (true, false) => Some(key.clone()),
            (true, true) => Some(read(
                self.dev_private_key.as_deref().map(beside).context(
                    "[identity] dev_tokens needs dev_private_key, the key they are signed with",
                )?,
                "private key",
            )?),
        };
        Ok((
            Some(IdentityConfig {
                algorithm,
                key,
                issuer,
            }),
            dev_key,
        ))
    }
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
    fn the_dev_settings_file_reads_its_keys_beside_it_and_they_never_print() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/dev.toml");
        let settings = FileSettings::load(Some(&path)).unwrap();
        assert_eq!(settings.bind, Some("127.0.0.1:8080".parse().unwrap()));
        let none = || IdentityOverrides {
            algorithm: None,
            public_key: None,
            secret: None,
            issuer: None,
        };
        let (identity, dev_key) = settings.identity.resolve(none(), Some(&path)).unwrap();
        let identity = identity.unwrap();
        assert_eq!(identity.algorithm, Algorithm::EdDsa);
        assert_eq!(identity.key.expose(), DEV_IDENTITY_PUBLIC_KEY.as_bytes());
        let dev_key = dev_key.unwrap();
        assert!(dev_key.expose().starts_with(b"-----BEGIN PRIVATE KEY-----"));
        assert_eq!(format!("{dev_key:?}"), "Secret(***)");
        crate::identity::Verifier::new(&identity).unwrap();

        // HS256: the secret from the environment, the same secret signs development tokens.
        let hs256 = IdentityOverrides {
            algorithm: Some(Algorithm::Hs256),
            secret: Some("a secret of thirty-two bytes, ok".into()),
            ..none()
        };
        let (identity, dev_key) = settings.identity.resolve(hs256, Some(&path)).unwrap();
        assert_eq!(identity.unwrap().key, dev_key.unwrap());
        // A key without its issuer is one line that says what to set.
        let alone = IdentitySettings {
            secret: Some(Secret::new("a secret of thirty-two bytes, ok")),
            algorithm: Some(Algorithm::Hs256),
            ..IdentitySettings::default()
        };
        let error = alone.resolve(none(), None).unwrap_err().to_string();
        assert!(error.contains("PRIVACY_IDENTITY_ISSUER"), "{error}");
        // A key of the other kind alone would refuse every token: one line says which to set.
        let secret_for_eddsa = IdentitySettings {
            algorithm: Some(Algorithm::EdDsa),
            ..alone
        };
        let error = secret_for_eddsa
            .resolve(none(), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("PRIVACY_IDENTITY_PUBLIC_KEY"), "{error}");
        let key_for_hs256 = IdentityOverrides {
            algorithm: Some(Algorithm::Hs256),
            ..none()
        };
        let error = settings
            .identity
            .resolve(key_for_hs256, Some(&path))
            .unwrap_err()
            .to_string();
        assert!(error.contains("PRIVACY_IDENTITY_SECRET"), "{error}");
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
        let with_key = |key: &str| Settings {
            identity: Some(IdentityConfig {
                algorithm: Algorithm::EdDsa,
                key: Secret::new(key),
                issuer: "https://mijn.virtio.nl".into(),
            }),
            ..base()
        };
        let published = with_key(DEV_IDENTITY_PUBLIC_KEY)
            .refuse_development_settings()
            .unwrap_err()
            .to_string();
        assert!(published.contains("config/dev.toml"), "{published}");
        let own = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAxaSvRZhCMLX8TPqK92jNKXpHL5y21SfJYf3lEN6xyGE=\n-----END PUBLIC KEY-----\n";
        assert!(with_key(own).refuse_development_settings().is_ok());
        let tokens = Settings {
            dev_token_key: Some(Secret::new("key")),
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
