//! Request ids: every request gets one, taken from `X-Request-Id` when a trusted proxy sends it,
//! else made here. It is answered in `X-Request-Id`, carried by every log line of the request (a
//! `request` span with `request_id`) and named in problem+json bodies (`instance`), so an operator
//! can find the log of the error a user reports.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument as _;

use crate::client::TrustedProxies;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The prefix of a problem's `instance`.
pub const INSTANCE_PREFIX: &str = "urn:virtio-privacy:request:";

tokio::task_local! {
    /// The id of the request being answered.
    static CURRENT: String;
}

/// The id of the request being answered, if any (for `ApiError`'s problem body).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// An id a proxy sent, if it is one we keep: 1 to 128 letters, digits, `-`, `_`, `.` or `:`.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The id of `request`: a trusted proxy's, else a new UUID.
fn id_of(request: &ServiceRequest) -> String {
    let trusted = request
        .peer_addr()
        .zip(request.app_data::<web::Data<TrustedProxies>>())
        .is_some_and(|(peer, proxies)| proxies.trusts(peer.ip()));
    trusted
        .then(|| request.headers().get(&HEADER)?.to_str().ok())
        .flatten()
        .filter(|id| acceptable(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = id_of(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.path()
    );
    let started = std::time::Instant::now();
    let mut response = CURRENT
        .scope(id.clone(), next.call(request).instrument(span.clone()))
        .await?;
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_plain_ids_from_a_proxy_are_kept() {
        for id in ["5f0c2d", "req-1.2:3_x", &"a".repeat(128)] {
            assert!(acceptable(id), "{id}");
        }
        for id in ["", "a b", "x\ny", "<script>", &"a".repeat(129), "é"] {
            assert!(!acceptable(id), "{id:?}");
        }
    }
}
