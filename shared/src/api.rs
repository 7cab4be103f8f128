//! The HTTP API (PRODUCT.md §6.7): each endpoint's path once, shared by the server's routes, and
//! one async function per endpoint for callers. The transport is gloo-net in the browser and
//! reqwest natively; everything above the transport is the same code on both.

use serde::{Deserialize, Serialize};

use crate::{ConsentReceipt, Problem};

/// Paths of the API, with `{name}` placeholders as actix-web writes them.
pub mod paths {
    pub const HEALTH: &str = "/api/v1/health";
    pub const CONSENTS: &str = "/api/v1/consents";
    pub const CONSENT_RECEIPT: &str = "/api/v1/consents/{event_id}/receipt";
    pub const SUBJECT_CONSENT: &str = "/api/v1/subjects/{subject}/consent";
}

/// The answer of the health endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub database: String,
}

/// A recorded consent event: the receipt, and whether this call created it (`false` when the
/// idempotency key had been used before and the first receipt came back).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub receipt: ConsentReceipt,
    pub created: bool,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached; the call may be retried.
    #[error("network error: {0}")]
    Network(String),
    /// The server refused the call with a problem+json body.
    #[error("{}: {}", .0.status, .0.title)]
    Problem(Problem),
    /// The server answered with something that is neither the expected body nor a problem.
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl ApiError {
    /// Whether trying again later can succeed (network failures and server-side faults).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Network(_) => true,
            Self::Problem(p) => p.status >= 500 || p.status == 429,
            Self::Unexpected { status, .. } => *status >= 500,
        }
    }
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
struct RawResponse {
    status: u16,
    body: String,
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
/// A client of one privacy server, e.g. `ApiClient::new("http://127.0.0.1:8080")`.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    #[cfg(all(not(target_arch = "wasm32"), feature = "native-client"))]
    http: reqwest::Client,
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
impl ApiClient {
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            #[cfg(all(not(target_arch = "wasm32"), feature = "native-client"))]
            http: reqwest::Client::new(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn health(&self) -> Result<Health, ApiError> {
        let response = self
            .send(Method::Get, paths::HEALTH.to_owned(), None)
            .await?;
        decode(response, &[200])
    }

    /// `POST /api/v1/consents`: records one event, or returns the first receipt for a reused key.
    pub async fn record_consent(&self, body: &crate::RecordConsent) -> Result<Recorded, ApiError> {
        let json = serde_json::to_string(body).map_err(|e| ApiError::Network(e.to_string()))?;
        let response = self
            .send(Method::Post, paths::CONSENTS.to_owned(), Some(json))
            .await?;
        let created = response.status == 201;
        let receipt = decode(response, &[200, 201])?;
        Ok(Recorded { receipt, created })
    }

    /// `GET /api/v1/consents/{event_id}/receipt`.
    pub async fn consent_receipt(&self, event_id: uuid::Uuid) -> Result<ConsentReceipt, ApiError> {
        let path = paths::CONSENT_RECEIPT.replace("{event_id}", &event_id.to_string());
        decode(self.send(Method::Get, path, None).await?, &[200])
    }

    /// `GET /api/v1/subjects/{subject}/consent`: the latest state and every event of a subject.
    pub async fn subject_consent(
        &self,
        subject: crate::SubjectId,
    ) -> Result<crate::consent::SubjectConsent, ApiError> {
        let path = paths::SUBJECT_CONSENT.replace("{subject}", &subject.to_string());
        decode(self.send(Method::Get, path, None).await?, &[200])
    }

    #[cfg(all(not(target_arch = "wasm32"), feature = "native-client"))]
    async fn send(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
    ) -> Result<RawResponse, ApiError> {
        let method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(RawResponse { status, body })
    }

    #[cfg(target_arch = "wasm32")]
    async fn send(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
    ) -> Result<RawResponse, ApiError> {
        use gloo_net::http::Request;
        let url = format!("{}{path}", self.base);
        let builder = match method {
            Method::Get => Request::get(&url),
            Method::Post => Request::post(&url),
        };
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(body),
            None => builder.build(),
        }
        .map_err(|e| ApiError::Network(e.to_string()))?;
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(RawResponse { status, body })
    }
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
fn decode<T: serde::de::DeserializeOwned>(
    response: RawResponse,
    expected: &[u16],
) -> Result<T, ApiError> {
    let unexpected = |detail: String| ApiError::Unexpected {
        status: response.status,
        detail,
    };
    if expected.contains(&response.status) {
        return serde_json::from_str(&response.body).map_err(|e| unexpected(e.to_string()));
    }
    match serde_json::from_str::<Problem>(&response.body) {
        Ok(problem) => Err(ApiError::Problem(problem)),
        Err(_) => Err(unexpected(response.body.chars().take(200).collect())),
    }
}
