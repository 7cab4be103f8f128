//! Cross-cutting protections of the API: CORS only for the origins configured for the group's
//! sites, and rate limits per client.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashSet;
use std::time::Instant;

use crate::limits::{Limit, RateLimiter};
use crate::problem::ApiError;

/// The origins allowed to call the public API from a browser.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(pub HashSet<String>);

/// Grants CORS to configured origins on the public API (never on the admin API, which is
/// same-origin only) and answers their preflight requests.
pub async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let public_api =
        request.path().starts_with("/api/") && !request.path().starts_with("/api/v1/admin");
    let allowed = origin.filter(|origin| {
        public_api
            && request
                .app_data::<web::Data<AllowedOrigins>>()
                .is_some_and(|allowed| allowed.0.contains(origin))
    });
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight && public_api {
        let mut response = HttpResponse::NoContent();
        response.insert_header((header::VARY, "Origin"));
        if let Some(origin) = &allowed {
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        return Ok(request
            .into_response(response.finish())
            .map_into_right_body());
    }
    let mut response = next.call(request).await?.map_into_left_body();
    if let Some(origin) = allowed {
        let headers = response.headers_mut();
        if let Ok(value) = header::HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// Adds `Strict-Transport-Security` to responses that went out over TLS (directly or, as
/// `X-Forwarded-Proto`/`Forwarded` say, through the load balancer).
pub async fn hsts(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tls = request.connection_info().scheme() == "https";
    let mut response = next.call(request).await?;
    if tls {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(response)
}

/// Takes one request of `limit` for the client, or refuses it with 429 and `Retry-After`.
pub fn rate_limit(request: &HttpRequest, limit: Limit) -> Result<(), ApiError> {
    let (Some(limiter), Some(peer)) = (
        request.app_data::<web::Data<RateLimiter>>(),
        request.peer_addr(),
    ) else {
        return Ok(());
    };
    limiter
        .check(peer.ip(), limit, Instant::now())
        .map_err(ApiError::rate_limited)
}
