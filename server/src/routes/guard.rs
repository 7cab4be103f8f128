//! Cross-cutting protections of the API: CORS only for the origins configured for the group's
//! sites, and rate limits per client.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Instant;

use crate::client::TrustedProxies;
use crate::limits::{Key, Limit, RateLimiter};
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
            // The group site may also see the timing and size of its own calls (Resource Timing).
            headers.insert(
                header::HeaderName::from_static("timing-allow-origin"),
                value.clone(),
            );
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        // Beside the response's own (`Accept-Encoding` on a compressed one), never in its place.
        headers.append(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// Adds `Strict-Transport-Security` to responses that went out over TLS (as a trusted load
/// balancer says in `X-Forwarded-Proto`/`Forwarded`).
pub async fn hsts(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tls = scheme_and_host(request.request()).0 == "https";
    let mut response = next.call(request).await?;
    if tls {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(response)
}

/// The client's address, as the trusted proxies report it (`crate::client`).
pub fn client_address(request: &HttpRequest) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    Some(match request.app_data::<web::Data<TrustedProxies>>() {
        Some(proxies) => proxies.client(peer, request.headers()),
        None => peer,
    })
}

/// The scheme and host the client used (`crate::client::TrustedProxies::scheme_and_host`).
pub fn scheme_and_host(request: &HttpRequest) -> (String, String) {
    request
        .app_data::<web::Data<TrustedProxies>>()
        .map(|proxies| proxies.scheme_and_host(request))
        .unwrap_or_else(|| TrustedProxies::default().scheme_and_host(request))
}

/// Takes one request of `limit` for the client, or refuses it with 429 and `Retry-After`.
pub fn rate_limit(request: &HttpRequest, limit: Limit) -> Result<(), ApiError> {
    let Some(client) = client_address(request) else {
        return Ok(());
    };
    limit_key(request, Key::Client(crate::client::bucket(client)), limit)
}

/// Takes one of `limit` for what the request is about (`Key::name`), or refuses it with 429.
pub fn limit_key(request: &HttpRequest, key: Key, limit: Limit) -> Result<(), ApiError> {
    let Some(limiter) = request.app_data::<web::Data<RateLimiter>>() else {
        return Ok(());
    };
    limiter
        .check(key, limit, Instant::now())
        .map_err(ApiError::rate_limited)
}
