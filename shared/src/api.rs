//! The HTTP API (PRODUCT.md §6.7). Each endpoint is described once, as a type implementing
//! [`Endpoint`] (method, path, request and response types); the server registers its routes from
//! these paths, and [`ApiClient`] calls them. The transport is gloo-net in the browser and reqwest
//! natively (feature `native-client`); everything above the transport is the same code.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Problem;

pub use crate::wire::Health;

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

/// One endpoint: its method, its path (with `{name}` placeholders as actix-web writes them) and
/// the bodies it takes and gives. `()` is "no body".
pub trait Endpoint {
    /// The name of the endpoint, such as `RecordConsent` (the OpenAPI operation id).
    const NAME: &'static str;
    /// What it does, in one sentence.
    const DOC: &'static str;
    const METHOD: Method;
    const PATH: &'static str;
    /// The query parameters it reads: name, what it means, and whether it is required (marked
    /// `required` in the table).
    const QUERY: &'static [(&'static str, &'static str, bool)];
    type Request: Serialize;
    type Response: DeserializeOwned;
}

/// Who is calling, beyond an anonymous visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    None,
    /// A customer's identity token, signed by the interface app (`Authorization: Bearer`).
    Identity(&'a str),
    /// The secret status token of a rights request (`Authorization: Bearer`).
    StatusToken(&'a str),
}

/// Whether a query parameter is marked `required` in the endpoint table.
macro_rules! required {
    (required) => {
        true
    };
    () => {
        false
    };
}

macro_rules! endpoints {
    ($(
        #[doc = $doc:literal]
        $name:ident: $method:ident $path:literal $([$($query:literal $($required:ident)?: $meaning:literal),*])?,
        $request:ty => $response:ty;
    )*) => {
        /// Every endpoint of the API.
        pub mod endpoints {
            use super::{Endpoint, Method};
            $(
                #[doc = $doc]
                pub struct $name;
                impl Endpoint for $name {
                    const NAME: &'static str = stringify!($name);
                    const DOC: &'static str = $doc;
                    const METHOD: Method = Method::$method;
                    const PATH: &'static str = $path;
                    const QUERY: &'static [(&'static str, &'static str, bool)] =
                        &[$($(($query, $meaning, required!($($required)?))),*)?];
                    type Request = $request;
                    type Response = $response;
                }
            )*
        }

        /// Every endpoint's name, method and path.
        pub const TABLE: &[(&str, Method, &str)] = &[$((stringify!($name), Method::$method, $path)),*];

        /// Adds each endpoint to the OpenAPI description.
        #[cfg(feature = "openapi")]
        pub(crate) const ALL_ENDPOINTS: &[fn(&mut crate::openapi::Builder)] =
            &[$(crate::openapi::Builder::add::<endpoints::$name>),*];
    };
}

endpoints! {
    /// Liveness and database reachability.
    Health: Get "/api/v1/health", () => crate::wire::Health;
    /// Purposes, texts, policy version and notice hash for a site (`?lang=`).
    SiteConfig: Get "/api/v1/sites/{site}/config" ["lang": "`nl` or `en`; the browser's language by default"], () => crate::wire::SiteConfig;
    /// The site's preferences as HTML, in a dialog and in a page, with their rules (`?lang=`).
    PreferencesView: Get "/api/v1/sites/{site}/preferences" ["lang": "`nl` or `en`; Dutch by default"], () => crate::wire::RenderedView;
    /// The current policy as HTML, in a dialog and in a page, with its rules (`?lang=`).
    PolicyView: Get "/api/v1/policy/view" ["lang": "`nl` or `en`; Dutch by default"], () => crate::wire::RenderedView;
    /// The structured policy (`?lang=&version=`; the current version by default).
    Policy: Get "/api/v1/policy" ["lang": "`nl` or `en`", "version": "a published version; the current one by default"], () => crate::policy::PolicyDocument;
    /// Every published version with its notice hashes.
    PolicyVersions: Get "/api/v1/policy/versions", () => Vec<crate::wire::PolicyVersionInfo>;
    /// Records a consent event: 201 with a receipt, 200 with the first receipt on a retry.
    RecordConsent: Post "/api/v1/consents", crate::consent::RecordConsent => crate::consent::ConsentReceipt;
    /// The proof of one event.
    ConsentReceipt: Get "/api/v1/consents/{event_id}/receipt", () => crate::consent::ConsentReceipt;
    /// A subject's latest state and history.
    SubjectConsent: Get "/api/v1/subjects/{subject}/consent", () => crate::consent::SubjectConsent;
    /// A logged-in customer's latest consent, for cross-device sync.
    MeConsent: Get "/api/v1/me/consent" ["site" required: "the site id, such as `virtio-nl`"], () => crate::wire::MeConsent;
    /// Records a logged-in customer's choice.
    PutMeConsent: Put "/api/v1/me/consent", crate::wire::PutMeConsent => crate::consent::ConsentReceipt;
    /// Files a rights request.
    CreateRequest: Post "/api/v1/requests", crate::rights::CreateRightsRequest => crate::rights::RequestCreated;
    /// Verifies a visitor's request with the e-mailed code.
    VerifyRequest: Post "/api/v1/requests/{id}/verify", crate::rights::VerifyRequest => crate::rights::RequestView;
    /// The status page of a request (status token).
    RequestStatus: Get "/api/v1/requests/{id}", () => crate::rights::RequestView;
    /// The answer's files (status token).
    RequestAnswer: Get "/api/v1/requests/{id}/answer", () => crate::rights::AnswerFiles;
    /// The rights requests filed with the customer's identity, newest first.
    MeRequests: Get "/api/v1/me/requests", () => Vec<crate::rights::RequestView>;
    /// Development only (off unless configured): an identity token for a demo login.
    DevIdentityToken: Post "/api/v1/dev/identity-token", crate::wire::DevTokenRequest => crate::wire::DevToken;
    /// Staff login: password and TOTP; sets the session cookie.
    AdminLogin: Post "/api/v1/admin/login", crate::wire::AdminLogin => crate::wire::AdminSession;
    /// First sign-in: with the password, the TOTP secret and its QR code, until a code is accepted.
    AdminEnrollment: Post "/api/v1/admin/enrollment", crate::wire::AdminEnrollmentRequest => crate::wire::TotpEnrollment;
    /// The signed-in staff member and when the session ends.
    AdminWhoAmI: Get "/api/v1/admin/session", () => crate::wire::AdminSession;
    /// Ends the session on the server and clears its cookie (204).
    AdminLogout: Post "/api/v1/admin/logout", () => ();
    /// The request inbox, by days left.
    AdminRequests: Get "/api/v1/admin/requests", () => Vec<crate::wire::RequestSummary>;
    /// One request with its history.
    AdminRequest: Get "/api/v1/admin/requests/{id}", () => crate::wire::AdminRequestDetail;
    /// The export an access or portability request will carry, before it is sent.
    AdminExportPreview: Get "/api/v1/admin/requests/{id}/export", () => Vec<crate::wire::ExportPreviewFile>;
    /// Extends the deadline once, with a reason.
    AdminExtend: Post "/api/v1/admin/requests/{id}/extend", crate::wire::ExtendRequest => crate::wire::AdminRequestDetail;
    /// Completes a request with an answer.
    AdminComplete: Post "/api/v1/admin/requests/{id}/complete", crate::wire::AnswerRequest => crate::wire::AdminRequestDetail;
    /// Refuses a request with reasons.
    AdminRefuse: Post "/api/v1/admin/requests/{id}/refuse", crate::wire::RefuseRequest => crate::wire::AdminRequestDetail;
    /// Sends the requester a message without closing the request.
    AdminReply: Post "/api/v1/admin/requests/{id}/reply", crate::wire::AnswerRequest => crate::wire::AdminRequestDetail;
    /// Consent statistics per site, purpose and day.
    AdminStats: Get "/api/v1/admin/stats", () => crate::wire::ConsentStats;
    /// Recomputes the ledger's hash chain.
    AdminLedgerVerify: Get "/api/v1/admin/ledger/verify", () => crate::wire::LedgerVerification;
    /// The staff audit log.
    AdminAudit: Get "/api/v1/admin/audit", () => crate::wire::AuditLog;
    /// The e-mail outbox.
    AdminOutbox: Get "/api/v1/admin/outbox" ["request": "only the e-mails of this request (its id)"], () => Vec<crate::wire::OutboxMessage>;
    /// This description of the API (OpenAPI 3.1).
    OpenApi: Get "/api/v1/openapi.json", () => serde_json::Value;
}

/// A recorded consent event: the receipt, and whether this call created it (`false` when the
/// idempotency key had been used before and the first receipt came back).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub receipt: crate::ConsentReceipt,
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

/// Fills the `{name}` placeholders of a path, percent-encoding each value.
pub fn fill_path(path: &str, params: &[(&str, &str)]) -> String {
    params.iter().fold(path.to_owned(), |path, (name, value)| {
        path.replace(&format!("{{{name}}}"), &percent_encode(value))
    })
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
pub use client::ApiClient;

#[cfg(any(target_arch = "wasm32", feature = "native-client"))]
mod client {
    use super::*;
    use crate::consent::{RecordConsent, SubjectConsent};
    use crate::policy::PolicyDocument;
    use crate::rights::{
        AnswerFiles, CreateRightsRequest, RequestCreated, RequestView, VerifyRequest,
    };
    use crate::wire::{MeConsent, PolicyVersionInfo, PutMeConsent, SiteConfig};
    use crate::{Language, SiteId, SubjectId};
    use uuid::Uuid;

    /// What came back: the status and the body text.
    struct RawResponse {
        status: u16,
        body: String,
    }

    /// A client of one privacy server, e.g. `ApiClient::new("http://127.0.0.1:8080")`.
    #[derive(Debug, Clone)]
    pub struct ApiClient {
        base: String,
        #[cfg(not(target_arch = "wasm32"))]
        http: reqwest::Client,
    }

    impl ApiClient {
        pub fn new(base: impl Into<String>) -> Self {
            Self {
                base: base.into().trim_end_matches('/').to_owned(),
                #[cfg(not(target_arch = "wasm32"))]
                http: reqwest::Client::new(),
            }
        }

        pub fn base(&self) -> &str {
            &self.base
        }

        /// Calls endpoint `E` and decodes its answer; statuses other than 200 and 201 come back
        /// as [`ApiError::Problem`]. Returns the status too (201 created, 200 otherwise).
        pub async fn call<E: Endpoint>(
            &self,
            params: &[(&str, &str)],
            query: &[(&str, &str)],
            body: Option<&E::Request>,
            credentials: Credentials<'_>,
        ) -> Result<(u16, E::Response), ApiError> {
            let mut url = format!("{}{}", self.base, fill_path(E::PATH, params));
            let query: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect();
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            let body =
                body.map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| ApiError::Unexpected {
                        status: 0,
                        detail: e.to_string(),
                    })?;
            let bearer = match credentials {
                Credentials::None => None,
                Credentials::Identity(token) | Credentials::StatusToken(token) => {
                    Some(format!("Bearer {token}"))
                }
            };
            let response = self.send(E::METHOD, &url, body, bearer).await?;
            let status = response.status;
            Ok((status, decode(response)?))
        }

        pub async fn health(&self) -> Result<Health, ApiError> {
            Ok(self
                .call::<endpoints::Health>(&[], &[], None, Credentials::None)
                .await?
                .1)
        }

        pub async fn site_config(
            &self,
            site: SiteId,
            language: Language,
        ) -> Result<SiteConfig, ApiError> {
            let params = [("site", site.as_str())];
            let query = [("lang", language.as_str())];
            Ok(self
                .call::<endpoints::SiteConfig>(&params, &query, None, Credentials::None)
                .await?
                .1)
        }

        /// The policy of `version` (the current one when `None`) in `language`.
        pub async fn policy(
            &self,
            version: Option<&str>,
            language: Language,
        ) -> Result<PolicyDocument, ApiError> {
            let mut query = vec![("lang", language.as_str())];
            query.extend(version.map(|v| ("version", v)));
            Ok(self
                .call::<endpoints::Policy>(&[], &query, None, Credentials::None)
                .await?
                .1)
        }

        pub async fn policy_versions(&self) -> Result<Vec<PolicyVersionInfo>, ApiError> {
            Ok(self
                .call::<endpoints::PolicyVersions>(&[], &[], None, Credentials::None)
                .await?
                .1)
        }

        /// Records one event, or returns the first receipt for a reused idempotency key.
        pub async fn record_consent(&self, body: &RecordConsent) -> Result<Recorded, ApiError> {
            let (status, receipt) = self
                .call::<endpoints::RecordConsent>(&[], &[], Some(body), Credentials::None)
                .await?;
            Ok(Recorded {
                receipt,
                created: status == 201,
            })
        }

        pub async fn consent_receipt(
            &self,
            event_id: Uuid,
        ) -> Result<crate::ConsentReceipt, ApiError> {
            let id = event_id.to_string();
            Ok(self
                .call::<endpoints::ConsentReceipt>(
                    &[("event_id", &id)],
                    &[],
                    None,
                    Credentials::None,
                )
                .await?
                .1)
        }

        pub async fn subject_consent(
            &self,
            subject: SubjectId,
        ) -> Result<SubjectConsent, ApiError> {
            let id = subject.to_string();
            Ok(self
                .call::<endpoints::SubjectConsent>(
                    &[("subject", &id)],
                    &[],
                    None,
                    Credentials::None,
                )
                .await?
                .1)
        }

        pub async fn me_consent(
            &self,
            identity: &str,
            site: SiteId,
        ) -> Result<MeConsent, ApiError> {
            let query = [("site", site.as_str())];
            Ok(self
                .call::<endpoints::MeConsent>(&[], &query, None, Credentials::Identity(identity))
                .await?
                .1)
        }

        pub async fn put_me_consent(
            &self,
            identity: &str,
            body: &PutMeConsent,
        ) -> Result<Recorded, ApiError> {
            let (status, receipt) = self
                .call::<endpoints::PutMeConsent>(
                    &[],
                    &[],
                    Some(body),
                    Credentials::Identity(identity),
                )
                .await?;
            Ok(Recorded {
                receipt,
                created: status == 201,
            })
        }

        /// Files a rights request; a customer passes their identity token and is verified at once.
        pub async fn create_request(
            &self,
            body: &CreateRightsRequest,
            identity: Option<&str>,
        ) -> Result<RequestCreated, ApiError> {
            let credentials = identity.map_or(Credentials::None, Credentials::Identity);
            Ok(self
                .call::<endpoints::CreateRequest>(&[], &[], Some(body), credentials)
                .await?
                .1)
        }

        pub async fn verify_request(
            &self,
            id: Uuid,
            status_token: &str,
            body: &VerifyRequest,
        ) -> Result<RequestView, ApiError> {
            let id = id.to_string();
            let credentials = Credentials::StatusToken(status_token);
            Ok(self
                .call::<endpoints::VerifyRequest>(&[("id", &id)], &[], Some(body), credentials)
                .await?
                .1)
        }

        pub async fn request_status(
            &self,
            id: Uuid,
            status_token: &str,
        ) -> Result<RequestView, ApiError> {
            let id = id.to_string();
            let credentials = Credentials::StatusToken(status_token);
            Ok(self
                .call::<endpoints::RequestStatus>(&[("id", &id)], &[], None, credentials)
                .await?
                .1)
        }

        /// The files of a request's answer.
        pub async fn request_answer(
            &self,
            id: Uuid,
            status_token: &str,
        ) -> Result<AnswerFiles, ApiError> {
            let id = id.to_string();
            let credentials = Credentials::StatusToken(status_token);
            Ok(self
                .call::<endpoints::RequestAnswer>(&[("id", &id)], &[], None, credentials)
                .await?
                .1)
        }

        #[cfg(not(target_arch = "wasm32"))]
        async fn send(
            &self,
            method: Method,
            url: &str,
            body: Option<String>,
            bearer: Option<String>,
        ) -> Result<RawResponse, ApiError> {
            let method = match method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Put => reqwest::Method::PUT,
            };
            let mut request = self.http.request(method, url);
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            if let Some(bearer) = bearer {
                request = request.header("authorization", bearer);
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
            url: &str,
            body: Option<String>,
            bearer: Option<String>,
        ) -> Result<RawResponse, ApiError> {
            use gloo_net::http::RequestBuilder;
            let method = match method {
                Method::Get => gloo_net::http::Method::GET,
                Method::Post => gloo_net::http::Method::POST,
                Method::Put => gloo_net::http::Method::PUT,
            };
            let mut builder = RequestBuilder::new(url).method(method);
            if let Some(bearer) = &bearer {
                builder = builder.header("authorization", bearer);
            }
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

    fn decode<T: DeserializeOwned>(response: RawResponse) -> Result<T, ApiError> {
        let unexpected = |detail: String| ApiError::Unexpected {
            status: response.status,
            detail,
        };
        if response.status == 204 {
            return serde_json::from_str("null").map_err(|e| unexpected(e.to_string()));
        }
        if matches!(response.status, 200 | 201) {
            return serde_json::from_str(&response.body).map_err(|e| unexpected(e.to_string()));
        }
        match serde_json::from_str::<Problem>(&response.body) {
            Ok(problem) => Err(ApiError::Problem(problem)),
            Err(_) => Err(unexpected(response.body.chars().take(200).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_and_their_values_encoded() {
        assert_eq!(
            fill_path(endpoints::ConsentReceipt::PATH, &[("event_id", "a b/c")]),
            "/api/v1/consents/a%20b%2Fc/receipt"
        );
        assert_eq!(fill_path(endpoints::Health::PATH, &[]), "/api/v1/health");
    }
}
