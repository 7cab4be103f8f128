//! Every route of the server, built by [`configure`] for `main` and the tests alike.

mod admin;
mod body;
mod consents;
mod guard;
mod health;
mod identity;
mod policy;
mod requests;
mod static_files;

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
    cfg.service(api(endpoints::Health::PATH).route(web::get().to(health::health)))
        .service(api(endpoints::SiteConfig::PATH).route(web::get().to(policy::site_config)))
        .service(api(endpoints::Policy::PATH).route(web::get().to(policy::document)))
        .service(api(endpoints::PolicyVersions::PATH).route(web::get().to(policy::versions)))
        .service(api(endpoints::RecordConsent::PATH).route(web::post().to(consents::record)))
        .service(api(endpoints::ConsentReceipt::PATH).route(web::get().to(consents::receipt)))
        .service(api(endpoints::SubjectConsent::PATH).route(web::get().to(consents::subject)))
        .service(
            api(endpoints::MeConsent::PATH)
                .route(web::get().to(consents::me))
                .route(web::put().to(consents::put_me)),
        )
        .service(api(endpoints::MeRequests::PATH).route(web::get().to(requests::mine)))
        .service(api(endpoints::DevIdentityToken::PATH).route(web::post().to(identity::dev_token)))
        .service(api(endpoints::CreateRequest::PATH).route(web::post().to(requests::create)))
        .service(api(endpoints::RequestStatus::PATH).route(web::get().to(requests::status)))
        .service(api(endpoints::RequestAnswer::PATH).route(web::get().to(requests::answer)))
        .service(api(endpoints::VerifyRequest::PATH).route(web::post().to(requests::verify)))
        .service(api(endpoints::AdminLogin::PATH).route(web::post().to(admin::login)))
        .service(api(endpoints::AdminWhoAmI::PATH).route(web::get().to(admin::who_am_i)))
        .service(api(endpoints::AdminLogout::PATH).route(web::post().to(admin::logout)))
        .service(api(endpoints::AdminRequests::PATH).route(web::get().to(admin::inbox)))
        .service(api(endpoints::AdminRequest::PATH).route(web::get().to(admin::show)))
        .service(
            api(endpoints::AdminExportPreview::PATH).route(web::get().to(admin::export_preview)),
        )
        .service(api(endpoints::AdminExtend::PATH).route(web::post().to(admin::extend)))
        .service(api(endpoints::AdminComplete::PATH).route(web::post().to(admin::complete)))
        .service(api(endpoints::AdminRefuse::PATH).route(web::post().to(admin::refuse)))
        .service(api(endpoints::AdminReply::PATH).route(web::post().to(admin::reply)))
        .service(api(endpoints::AdminStats::PATH).route(web::get().to(admin::stats)))
        .service(api(endpoints::AdminLedgerVerify::PATH).route(web::get().to(admin::verify_ledger)))
        .service(api(endpoints::AdminAudit::PATH).route(web::get().to(admin::audit)))
        .service(api(endpoints::AdminOutbox::PATH).route(web::get().to(admin::outbox)))
        .service(api(endpoints::OpenApi::PATH).route(web::get().to(openapi)))
        .service(web::resource("/.well-known/gpc.json").route(web::get().to(health::gpc)))
        .service(web::resource("/metrics").route(web::get().to(crate::metrics::endpoint)))
        .default_service(web::to(fallback));
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

/// An API resource whose other methods get a problem+json 405.
fn api(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::new(ProblemKind::MethodNotAllowed))
    }))
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
