//! Every route of the server, built by [`configure`] for `main` and the tests alike.

mod admin;
mod body;
mod consents;
mod guard;
mod health;
mod identity;
mod policy;
mod requests;
pub(crate) mod static_files;

use actix_web::{HttpRequest, web};
use privacy_shared::ProblemKind;
use privacy_shared::api::{Endpoint, endpoints};

use crate::problem::ApiError;

pub use guard::{AllowedOrigins, cors, hsts};
pub use identity::IdentityKey;
pub use policy::PolicyCatalog;
pub use static_files::StaticRoots;

/// Registers the API, the well-known files and the static pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    ApiRoutes::default()
        .add::<endpoints::Health, _, _>(health::health)
        .add::<endpoints::SiteConfig, _, _>(policy::site_config)
        .add::<endpoints::PreferencesView, _, _>(policy::preferences)
        .add::<endpoints::PolicyView, _, _>(policy::view)
        .add::<endpoints::Policy, _, _>(policy::document)
        .add::<endpoints::PolicyVersions, _, _>(policy::versions)
        .add::<endpoints::RecordConsent, _, _>(consents::record)
        .add::<endpoints::ConsentReceipt, _, _>(consents::receipt)
        .add::<endpoints::SubjectConsent, _, _>(consents::subject)
        .add::<endpoints::MeConsent, _, _>(consents::me)
        .add::<endpoints::PutMeConsent, _, _>(consents::put_me)
        .add::<endpoints::MeRequests, _, _>(requests::mine)
        .add::<endpoints::DevIdentityToken, _, _>(identity::dev_token)
        .add::<endpoints::CreateRequest, _, _>(requests::create)
        .add::<endpoints::RequestStatus, _, _>(requests::status)
        .add::<endpoints::RequestAnswer, _, _>(requests::answer)
        .add::<endpoints::VerifyRequest, _, _>(requests::verify)
        .add::<endpoints::AdminLogin, _, _>(admin::login)
        .add::<endpoints::AdminEnrollment, _, _>(admin::enrollment)
        .add::<endpoints::AdminWhoAmI, _, _>(admin::who_am_i)
        .add::<endpoints::AdminLogout, _, _>(admin::logout)
        .add::<endpoints::AdminRequests, _, _>(admin::inbox)
        .add::<endpoints::AdminRequest, _, _>(admin::show)
        .add::<endpoints::AdminExportPreview, _, _>(admin::export_preview)
        .add::<endpoints::AdminExtend, _, _>(admin::extend)
        .add::<endpoints::AdminComplete, _, _>(admin::complete)
        .add::<endpoints::AdminRefuse, _, _>(admin::refuse)
        .add::<endpoints::AdminReply, _, _>(admin::reply)
        .add::<endpoints::AdminStats, _, _>(admin::stats)
        .add::<endpoints::AdminLedgerVerify, _, _>(admin::verify_ledger)
        .add::<endpoints::AdminAudit, _, _>(admin::audit)
        .add::<endpoints::AdminOutbox, _, _>(admin::outbox)
        .add::<endpoints::OpenApi, _, _>(openapi)
        .register(cfg);
    cfg.service(web::resource("/.well-known/gpc.json").route(web::get().to(health::gpc)))
        .service(web::resource("/metrics").route(web::get().to(crate::metrics::endpoint)))
        .service(web::resource(crate::requests::STATUS_PAGE).route(web::get().to(requests::page)))
        .default_service(web::to(fallback));
}

/// The API's routes, each registered from its [`Endpoint`] (method and path, as the client calls
/// it), so the server and the shared client cannot disagree on either.
#[derive(Default)]
struct ApiRoutes(Vec<(&'static str, privacy_shared::api::Method, actix_web::Route)>);

impl ApiRoutes {
    /// Serves endpoint `E` with `handler`.
    fn add<E, F, Args>(mut self, handler: F) -> Self
    where
        E: Endpoint,
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let route = web::method(http_method(E::METHOD)).to(handler);
        self.0.push((E::PATH, E::METHOD, route));
        self
    }

    /// One resource per path with its methods; any other method gets a problem+json 405 that
    /// names the allowed ones in `Allow` (RFC 9110 §15.5.6).
    fn register(self, cfg: &mut web::ServiceConfig) {
        let mut paths: Vec<&'static str> = Vec::new();
        for (path, _, _) in &self.0 {
            if !paths.contains(path) {
                paths.push(path);
            }
        }
        let mut routes = self.0;
        for path in paths {
            let (here, rest): (Vec<_>, Vec<_>) =
                routes.into_iter().partition(|(p, _, _)| *p == path);
            routes = rest;
            let allow = here
                .iter()
                .map(|(_, method, _)| http_method(*method).as_str().to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let mut resource = web::resource(path);
            for (_, _, route) in here {
                resource = resource.route(route);
            }
            cfg.service(
                resource.default_service(web::to(move || {
                    let allow = allow.clone();
                    async move {
                        Err::<actix_web::HttpResponse, _>(ApiError::method_not_allowed(&allow))
                    }
                })),
            );
        }
    }
}

fn http_method(method: privacy_shared::api::Method) -> actix_web::http::Method {
    use privacy_shared::api::Method;
    match method {
        Method::Get => actix_web::http::Method::GET,
        Method::Post => actix_web::http::Method::POST,
        Method::Put => actix_web::http::Method::PUT,
    }
}

/// `GET /api/v1/openapi.json`: the description of every endpoint, built once from the table.
async fn openapi() -> actix_web::HttpResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let json = DOCUMENT.get_or_init(|| {
        privacy_shared::openapi::document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    });
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(json.as_str())
}

/// Unknown API paths are a problem+json 404; everything else is a static file.
async fn fallback(
    request: HttpRequest,
    roots: web::Data<StaticRoots>,
) -> Result<actix_web::HttpResponse, ApiError> {
    if request.path().starts_with("/api/") {
        return Err(ApiError::new(ProblemKind::NotFound));
    }
    static_files::serve(&request, &roots).await
}
