//! The widget's stable entry, `/widget/v1/loader.js`, rendered at start for the sites this server
//! is configured with. `cargo xtask build` leaves the loader as a template
//! (`dist/widget/v1/loader.template.js`) that names the content-hashed bundle; the server fills in
//! each site's definition, its first layer in every language (rendered natively by the widget's
//! own banner component, so it shows before the bundle arrives) and the "stored choice is current"
//! rules of a returning visit for those sites. A site added to the configuration therefore needs no rebuild.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use anyhow::Context as _;
use privacy_shared::api::{Endpoint, endpoints};
use privacy_shared::dist::{DIALOG_CSS, POLICY_CSS};
use privacy_shared::policy;
use privacy_shared::site::Site;
use privacy_shared::{Language, SiteId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

/// Where `cargo xtask build` writes the loader's template, under the dist folder.
pub const TEMPLATE: &str = privacy_shared::dist::LOADER_TEMPLATE;

/// The rendered loader, with its compressed forms.
#[derive(Debug)]
pub struct Loader(Compressed);

impl Loader {
    /// Renders the loader of the template in `dist` for `sites`; `None` when the bundles were
    /// not built (the route then answers 404 and says so).
    pub fn load(dist: &Path, sites: &[&'static Site]) -> anyhow::Result<Option<Self>> {
        let path = dist.join(TEMPLATE);
        let template = match std::fs::read_to_string(&path) {
            Ok(template) => template,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Some(Self(Compressed::new(
            render(&template, sites)?.into_bytes(),
        )?)))
    }

    /// The loader as JavaScript.
    pub fn source(&self) -> &[u8] {
        &self.0.plain
    }

    /// Answers a GET or HEAD of the loader, readable by every origin (group sites load it).
    pub fn respond(&self, request: &HttpRequest) -> HttpResponse {
        self.0
            .respond(request, "text/javascript; charset=utf-8", |response| {
                crate::routes::static_files::open_to_every_origin(response)
            })
    }
}

/// A body rendered at start with its compressed forms (brotli and gzip at their best: made once)
/// and its ETag.
#[derive(Debug)]
pub struct Compressed {
    plain: Vec<u8>,
    brotli: Vec<u8>,
    gzip: Vec<u8>,
    etag: String,
}

impl Compressed {
    pub fn new(plain: Vec<u8>) -> anyhow::Result<Self> {
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &plain[..], &mut brotli, &params)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&plain)?;
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&plain))[..32]);
        Ok(Self {
            plain,
            brotli,
            gzip: gzip.finish()?,
            etag,
        })
    }

    /// Answers a GET or HEAD with the body as `content_type`: compressed where the client accepts
    /// it, revalidated after five minutes with its ETag; `headers` adds the caller's own.
    pub fn respond(
        &self,
        request: &HttpRequest,
        content_type: &str,
        headers: impl FnOnce(&mut actix_web::HttpResponseBuilder),
    ) -> HttpResponse {
        let fresh = request
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|tag| tag.trim() == self.etag));
        let mut response = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::ETAG, self.etag.clone()));
        headers(&mut response);
        if fresh {
            return response.finish();
        }
        let accepts = request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accepts.contains("br") {
            response.insert_header((header::CONTENT_ENCODING, "br"));
            response.body(self.brotli.clone())
        } else if accepts.contains("gzip") {
            response.insert_header((header::CONTENT_ENCODING, "gzip"));
            response.body(self.gzip.clone())
        } else {
            response.body(self.plain.clone())
        }
    }
}

/// What the server fills into the loader's template: per site its definition and first layer per
/// language (`__VP_SITES__`), the start rule generated from the engine (`__VP_START__`), the words
/// the loader shows without the bundle per language (`__VP_TEXTS__`), the outbox's storage key
/// (`__VP_OUTBOX__`, whose entries mean the bundle must load to send them) and per language the
/// notice hash of the current policy (`__VP_NOTICES__`), which the bundle records choices against:
/// the same hash `GET /api/v1/sites/{site}/config` gives, without a request; and the paths the
/// markup of the preferences and of the policy is fetched from (`__VP_PREFERENCES_PATH__`,
/// `__VP_POLICY_PATH__`), from the endpoint table.
const PLACEHOLDERS: [&str; 7] = [
    "__VP_SITES__",
    "__VP_START__",
    "__VP_TEXTS__",
    "__VP_OUTBOX__",
    "__VP_NOTICES__",
    "__VP_PREFERENCES_PATH__",
    "__VP_POLICY_PATH__",
];

/// Fills the template's [`PLACEHOLDERS`] for `sites`.
pub fn render(template: &str, sites: &[&'static Site]) -> anyhow::Result<String> {
    for placeholder in PLACEHOLDERS {
        anyhow::ensure!(
            template.contains(placeholder),
            "the loader template lacks {placeholder}: rebuild it with `cargo xtask build`"
        );
    }
    // Everything the widget renders, on one thread off the server's runtime.
    let owned = sites.to_vec();
    let (entries, texts) = off_runtime(move || rendered(&owned))??;
    // `</script>` cannot occur in a JSON string the loader is parsed from as a file, but a `<`
    // escaped keeps the output safe to inline anywhere.
    let json = |value: &Json| serde_json::to_string(value).map(|j| j.replace('<', "\\u003c"));
    Ok(template
        .replace("__VP_SITES__", &json(&entries)?)
        .replace("__VP_TEXTS__", &json(&texts)?)
        .replace(
            "__VP_OUTBOX__",
            &serde_json::to_string(privacy_widget::OUTBOX_KEY)?,
        )
        .replace("__VP_NOTICES__", &json(&notices()?)?)
        .replace(
            "__VP_PREFERENCES_PATH__",
            &serde_json::to_string(<endpoints::PreferencesView as Endpoint>::PATH)?,
        )
        .replace(
            "__VP_POLICY_PATH__",
            &serde_json::to_string(<endpoints::PolicyView as Endpoint>::PATH)?,
        )
        .replace("__VP_START__", &privacy_shared::engine::start_js(sites)))
}

/// Per language the notice hash of the current policy.
fn notices() -> anyhow::Result<Json> {
    LANGUAGES
        .into_iter()
        .map(|language| {
            let hash = policy::notice_hash(policy::CURRENT_VERSION, language).ok_or_else(|| {
                anyhow::anyhow!(
                    "policy {} has no {} text",
                    policy::CURRENT_VERSION,
                    language.as_str()
                )
            })?;
            Ok((language.as_str().to_owned(), hash.into()))
        })
        .collect()
}

/// The languages the loader carries words for.
const LANGUAGES: [Language; 2] = [Language::Nl, Language::En];

type Json = serde_json::Map<String, serde_json::Value>;

/// Per site its definition and first layers (the banner, and the banner saying a Global Privacy
/// Control signal was honoured) in every language, and per language the loader's
/// words, rendered by the widget's components.
fn rendered(sites: &[&'static Site]) -> anyhow::Result<(Json, Json)> {
    let mut entries = Json::new();
    for &site in sites {
        let id: SiteId = site.id.parse()?;
        let layers: Json = LANGUAGES
            .into_iter()
            .map(|language| {
                let banner = privacy_widget::ssr::first_layer(id, language, false);
                let gpc = privacy_widget::ssr::first_layer(id, language, true);
                let layers = serde_json::json!({ "banner": banner, "gpc": gpc });
                (language.as_str().to_owned(), layers)
            })
            .collect();
        entries.insert(
            site.id.to_owned(),
            serde_json::json!({ "definition": site.definition(), "layers": layers }),
        );
    }
    let texts = LANGUAGES
        .into_iter()
        .map(|language| {
            let words = privacy_widget::ssr::loader_texts(language);
            (language.as_str().to_owned(), words)
        })
        .collect();
    Ok((entries, texts))
}

/// The views the loader's `dialogs.js` shows, rendered at start by the widget's components: the
/// preferences of every configured site in every language (`GET /api/v1/sites/{site}/preferences`)
/// and the current policy in every language (`GET /api/v1/policy/view`). The module fetches one
/// the first time it shows it.
#[derive(Debug, Default)]
pub struct RenderedViews {
    preferences: HashMap<(SiteId, Language), Compressed>,
    policy: HashMap<Language, Compressed>,
}

impl RenderedViews {
    /// Renders them for `sites` and the current policy of `catalog`, with the rules `cargo xtask
    /// build` compacted into `dist` (as written when the widget is not built).
    pub fn render(
        dist: &Path,
        sites: &[&'static Site],
        catalog: &crate::routes::PolicyCatalog,
    ) -> anyhow::Result<Self> {
        let dialog_css = rules(dist, DIALOG_CSS, privacy_widget::ssr::DIALOG_CSS)?;
        let policy_css =
            dialog_css.clone() + &rules(dist, POLICY_CSS, privacy_widget::ssr::POLICY_CSS)?;
        let ids = sites
            .iter()
            .map(|site| site.id.parse())
            .collect::<Result<Vec<SiteId>, _>>()?;
        let documents = LANGUAGES
            .into_iter()
            .map(|language| {
                let document = catalog.current(language).ok_or_else(|| {
                    anyhow::anyhow!("the current policy has no {} text", language.as_str())
                })?;
                Ok((language, document.clone()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        off_runtime(move || {
            let preferences = ids
                .iter()
                .flat_map(|&site| LANGUAGES.into_iter().map(move |language| (site, language)))
                .map(|(site, language)| {
                    let view = privacy_widget::ssr::preferences(site, language, &dialog_css);
                    Ok((
                        (site, language),
                        Compressed::new(serde_json::to_vec(&view)?)?,
                    ))
                })
                .collect::<anyhow::Result<_>>()?;
            let policy = documents
                .iter()
                .map(|(language, document)| {
                    let view = privacy_widget::ssr::policy(document, *language, &policy_css);
                    Ok((*language, Compressed::new(serde_json::to_vec(&view)?)?))
                })
                .collect::<anyhow::Result<_>>()?;
            Ok(Self {
                preferences,
                policy,
            })
        })?
    }

    /// The preferences of `site` in `language` (`RenderedView` as JSON); `None` for a site the
    /// server was not started with.
    pub fn preferences(&self, site: SiteId, language: Language) -> Option<&Compressed> {
        self.preferences.get(&(site, language))
    }

    /// The current policy in `language` (`RenderedView` as JSON).
    pub fn policy(&self, language: Language) -> Option<&Compressed> {
        self.policy.get(&language)
    }
}

/// The rules `cargo xtask build` compacted into `dist` at `path`, or `written` (as in the source)
/// when the widget is not built.
fn rules(dist: &Path, path: &str, written: &str) -> anyhow::Result<String> {
    match std::fs::read_to_string(dist.join(path)) {
        Ok(css) => Ok(css),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(written.to_owned()),
        Err(e) => Err(e).with_context(|| format!("reading {path}")),
    }
}

/// Runs a server-side render on a thread of its own: the renderer runs its own executor, which
/// must not nest inside the server's runtime.
fn off_runtime<T: Send + 'static>(
    render: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(render)
        .join()
        .map_err(|_| anyhow::anyhow!("rendering the loader's HTML failed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use privacy_shared::site::SiteDefinition;

    #[test]
    fn every_configured_site_gets_its_definition_and_first_layers_and_the_rule_names_it() {
        let sites: Vec<&'static Site> = privacy_shared::site::install_repo_catalogue_for_tests()
            .into_iter()
            .map(SiteId::site)
            .collect();
        let rendered = render(
            "const S = __VP_SITES__; const R = __VP_START__; __VP_TEXTS__ __VP_OUTBOX__ __VP_PREFERENCES_PATH__ \
             __VP_POLICY_PATH__ const N = __VP_NOTICES__;",
            &sites,
        )
        .unwrap();
        let json = rendered
            .strip_prefix("const S = ")
            .and_then(|r| r.split_once("; const R = "))
            .unwrap()
            .0;
        let entries: serde_json::Value = serde_json::from_str(json).unwrap();
        for site in &sites {
            let entry = &entries[site.id];
            let declared: SiteDefinition =
                serde_json::from_value(entry["definition"].clone()).unwrap();
            // What the widget installs from the loader is what the server installed.
            assert_eq!(
                privacy_shared::site::install(site.id, &declared).map(SiteId::site),
                Ok(*site)
            );
            assert!(
                entry["layers"]["nl"]["banner"]
                    .as_str()
                    .unwrap()
                    .contains("Alles weigeren")
            );
            assert!(
                entry["layers"]["en"]["banner"]
                    .as_str()
                    .unwrap()
                    .contains("Reject all")
            );
            assert!(
                entry["layers"]["en"]["gpc"]
                    .as_str()
                    .unwrap()
                    .contains("gpc-honoured")
            );
            assert!(
                rendered.contains(&format!("{:?}:[", site.id)),
                "{}",
                site.id
            );
        }
        assert!(!json.contains('<'), "no raw `<` in the rendered data");
        // The notice hashes a choice is recorded against, per language: the current policy's.
        let notices: serde_json::Value = serde_json::from_str(
            rendered
                .split_once("const N = ")
                .unwrap()
                .1
                .trim_end_matches(';'),
        )
        .unwrap();
        for language in LANGUAGES {
            assert_eq!(
                notices[language.as_str()].as_str(),
                policy::notice_hash(policy::CURRENT_VERSION, language)
            );
        }
        assert!(rendered.contains("\"/api/v1/sites/{site}/preferences\""));
        assert!(rendered.contains("\"/api/v1/policy/view\""));
        assert!(render("no placeholders", &sites).is_err());
    }
}
