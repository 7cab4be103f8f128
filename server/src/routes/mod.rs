//! Every route of the server, built by [`configure`] for `main` and the tests alike.

mod body;
mod consents;
mod health;
mod static_files;

use actix_web::{HttpRequest, web};
use privacy_shared::ProblemKind;
use privacy_shared::api::paths;

use crate::problem::ApiError;

pub use static_files::StaticRoots;

/// Registers the API, the well-known files and the static pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(api(paths::HEALTH).route(web::get().to(health::health)))
        .service(api(paths::CONSENTS).route(web::post().to(consents::record)))
        .service(api(paths::CONSENT_RECEIPT).route(web::get().to(consents::receipt)))
        .service(api(paths::SUBJECT_CONSENT).route(web::get().to(consents::subject)))
        .service(web::resource("/.well-known/gpc.json").route(web::get().to(health::gpc)))
        .default_service(web::to(fallback));
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
