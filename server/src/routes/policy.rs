//! The policy and the site configuration the widget asks for consent with. Policy documents are
//! parsed once at start ([`PolicyCatalog`]) and served with their notice hash as ETag.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use privacy_shared::policy::{self, PolicyDocument};
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::{PolicyVersionInfo, PurposeInfo, SiteConfig};
use privacy_shared::{Language, SiteId};
use std::collections::HashMap;

use crate::problem::ApiError;

/// Every published policy document, parsed and serialised once.
pub struct PolicyCatalog {
    documents: HashMap<(String, Language), (PolicyDocument, String)>,
}

impl PolicyCatalog {
    /// Parses every published source; a source that does not parse stops the server at start.
    pub fn load() -> anyhow::Result<Self> {
        let mut documents = HashMap::new();
        for version in policy::versions() {
            for language in [Language::Nl, Language::En] {
                if let Some(document) = policy::document(version, language) {
                    let document = document
                        .map_err(|e| anyhow::anyhow!("policy {version} ({language:?}): {e}"))?;
                    let json = String::from_utf8(document.canonical_json())?;
                    documents.insert((version.to_owned(), language), (document, json));
                }
            }
        }
        Ok(Self { documents })
    }

    fn get(&self, version: &str, language: Language) -> Option<&(PolicyDocument, String)> {
        self.documents.get(&(version.to_owned(), language))
    }

    /// The current policy in `language`.
    pub fn current(&self, language: Language) -> Option<&PolicyDocument> {
        self.get(policy::CURRENT_VERSION, language)
            .map(|(document, _)| document)
    }
}

#[derive(serde::Deserialize)]
pub struct PolicyQuery {
    lang: Option<String>,
    version: Option<String>,
}

fn language(lang: Option<&str>) -> Result<Language, ApiError> {
    match lang {
        None => Ok(Language::default()),
        Some(tag) => Language::from_tag(tag).ok_or_else(|| {
            ApiError::detail(ProblemKind::InvalidQuery, "`lang` must be `nl` or `en`")
        }),
    }
}

fn query<T: serde::de::DeserializeOwned>(request: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::detail(ProblemKind::InvalidQuery, e.to_string()))
}

/// `GET /api/v1/policy?lang=&version=`: the structured policy, cacheable, with its notice hash as
/// a strong ETag; `If-None-Match` with that hash answers 304.
pub async fn document(
    request: HttpRequest,
    catalog: web::Data<PolicyCatalog>,
) -> Result<HttpResponse, ApiError> {
    let params: PolicyQuery = query(&request)?;
    let language = language(params.lang.as_deref())?;
    let version = params.version.as_deref().unwrap_or(policy::CURRENT_VERSION);
    let (document, json) = catalog.get(version, language).ok_or_else(|| {
        ApiError::detail(
            ProblemKind::NotFound,
            "no policy of that version in that language",
        )
    })?;
    let etag = format!("\"{}\"", document.notice_hash());
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if matches {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(json.clone()))
}

/// `GET /api/v1/policy/versions`: every version with the notice hash of each language.
pub async fn versions(catalog: web::Data<PolicyCatalog>) -> HttpResponse {
    let infos: Vec<PolicyVersionInfo> = policy::versions()
        .into_iter()
        .filter_map(|version| {
            let (binding, _) = catalog.get(version, policy::BINDING_LANGUAGE)?;
            let notice_hashes = [Language::Nl, Language::En]
                .into_iter()
                .filter_map(|l| Some((l, catalog.get(version, l)?.0.notice_hash())))
                .collect();
            Some(PolicyVersionInfo {
                version: version.to_owned(),
                effective: binding.effective.clone(),
                notice_hashes,
            })
        })
        .collect();
    HttpResponse::Ok().json(infos)
}

#[derive(serde::Deserialize)]
pub struct ConfigQuery {
    lang: Option<String>,
}

/// `GET /api/v1/sites/{site}/preferences?lang=`: the site's preferences as the widget's component
/// renders them (Dutch by default), compressed and cacheable like the loader.
pub async fn preferences(
    request: HttpRequest,
    path: web::Path<String>,
    views: web::Data<crate::loader::RenderedViews>,
) -> Result<HttpResponse, ApiError> {
    let params: ConfigQuery = query(&request)?;
    let language = language(params.lang.as_deref())?;
    let view = path
        .parse()
        .ok()
        .and_then(|site| views.preferences(site, language))
        .ok_or_else(|| ApiError::detail(ProblemKind::NotFound, "no site with this id"))?;
    Ok(view.respond(&request, "application/json", |_| ()))
}

/// `GET /api/v1/policy/view?lang=`: the current policy as the widget's viewer renders it (Dutch by
/// default), compressed and cacheable like the loader.
pub async fn view(
    request: HttpRequest,
    views: web::Data<crate::loader::RenderedViews>,
) -> Result<HttpResponse, ApiError> {
    let params: ConfigQuery = query(&request)?;
    let language = language(params.lang.as_deref())?;
    let view = views
        .policy(language)
        .ok_or_else(|| ApiError::new(ProblemKind::Internal))?;
    Ok(view.respond(&request, "application/json", |_| ()))
}

/// `GET /api/v1/sites/{site}/config?lang=`: the purposes the site shows, in the language asked,
/// with the current policy version and its notice hash.
pub async fn site_config(
    request: HttpRequest,
    path: web::Path<String>,
    catalog: web::Data<PolicyCatalog>,
) -> Result<HttpResponse, ApiError> {
    let site: SiteId = path
        .parse()
        .map_err(|_| ApiError::detail(ProblemKind::NotFound, "no site with this id"))?;
    let params: ConfigQuery = query(&request)?;
    let language = language(params.lang.as_deref())?;
    let (document, _) = catalog
        .get(policy::CURRENT_VERSION, language)
        .ok_or_else(|| ApiError::new(ProblemKind::Internal))?;
    let purposes = site
        .site()
        .purposes
        .iter()
        .map(|&p| PurposeInfo {
            id: p,
            label: p.label(language).to_owned(),
            description: p.description().get(language).to_owned(),
            processors: p.processors(language),
            retention: p.retention().map(|t| t.get(language).to_owned()),
            cookies: site.cookies(p).into_iter().map(str::to_owned).collect(),
            storage_keys: site
                .storage_keys(p)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            locked: p.is_locked(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(SiteConfig {
        site,
        name: site.site().name.to_owned(),
        theme: site
            .site()
            .theme
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        language,
        policy_version: policy::CURRENT_VERSION.to_owned(),
        notice_hash: document.notice_hash(),
        purposes,
    }))
}
