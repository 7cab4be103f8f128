//! The consent ledger's API: record an event, read a receipt, read a subject's history.

use actix_web::{HttpRequest, HttpResponse, web};
use privacy_shared::consent::SubjectConsent;
use privacy_shared::cookie::MAX_AGE_SECONDS;
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::{MeConsent, PutMeConsent};
use privacy_shared::{
    ConsentDecision, ConsentEvent, CustomerNumber, RecordConsent, SiteId, SubjectId,
};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::body;
use super::guard::{limit_key, rate_limit};
use super::identity::IdentityKey;
use crate::limits::{Key, Limit};
use crate::problem::ApiError;
use crate::storage::{NewConsentEvent, Storage};
use crate::vault::Vault;

/// `POST /api/v1/consents`: 201 with the receipt once durable; 200 with the first receipt when
/// the idempotency key was seen before.
#[tracing::instrument(skip_all)]
pub async fn record(
    request: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Arc<dyn Storage>>,
    identity: web::Data<IdentityKey>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&request, Limit::ConsentWrite)?;
    let body = match body::json_flattened::<RecordConsent, ConsentDecision>(&request, payload).await
    {
        Ok(body) => body,
        Err(e) => return count_refusal(&request, Err(e)),
    };
    let claims = identity.claims(&request, body.decision.site)?;
    let outcome = store(&request, body, claims.map(|c| c.sub), &storage).await;
    count_refusal(&request, outcome)
}

/// Counts an event refused for good (not an expired token or a rate limit, which the widget
/// retries) in `/metrics`.
fn count_refusal(
    request: &HttpRequest,
    outcome: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    use actix_web::ResponseError as _;
    if let Err(e) = &outcome {
        let status = e.status_code();
        if status.is_client_error() && status != 401 && status != 429 {
            crate::metrics::Metrics::consent_refused(request);
        }
    }
    outcome
}

/// Validates and stores one event: 201 with the receipt, 200 with the first receipt on a retry.
async fn store(
    request: &HttpRequest,
    body: RecordConsent,
    customer: Option<CustomerNumber>,
    storage: &Arc<dyn Storage>,
) -> Result<HttpResponse, ApiError> {
    body.validate().map_err(ApiError::fields)?;
    // One browser's subject writes at a human pace, wherever it sends from.
    limit_key(
        request,
        Key::name("subject", &body.subject.to_string()),
        Limit::ConsentWritePerSubject,
    )?;
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let recorded_at = OffsetDateTime::now_utc();
    let mut decision = body.decision;
    decision.gpc |= header("sec-gpc") == Some("1");
    let event = NewConsentEvent {
        event: ConsentEvent {
            // Time-ordered (version 7): the ledger's event-id index grows at its end, so a commit
            // of many events writes few index pages.
            event_id: Uuid::now_v7(),
            recorded_at,
            subject: body.subject,
            customer,
            decision,
            expires_at: recorded_at + Duration::seconds(MAX_AGE_SECONDS),
        },
        idempotency_key: body.idempotency_key,
        user_agent_family: user_agent_family(header("user-agent").unwrap_or("")).to_owned(),
    };
    let recorded = storage.record_consent(event).await?;
    crate::metrics::Metrics::consent_recorded(request, recorded.created);
    let mut response = if recorded.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(recorded.receipt))
}

#[derive(serde::Deserialize)]
pub struct MeQuery {
    site: String,
}

/// How many of a customer's events `GET /api/v1/me/consent` lists.
const MAX_HISTORY: u32 = 50;

/// `GET /api/v1/me/consent?site=`: the customer's latest choice on a site, from any device, and
/// their history there.
pub async fn me(
    request: HttpRequest,
    storage: web::Data<Arc<dyn Storage>>,
    identity: web::Data<IdentityKey>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<MeQuery>::from_query(request.query_string())
        .map_err(|e| ApiError::detail(ProblemKind::InvalidQuery, e.to_string()))?;
    let site: SiteId = query.site.parse().map_err(|_| {
        ApiError::detail(ProblemKind::InvalidQuery, "`site` names no configured site")
    })?;
    let claims = identity.require(&request, site)?;
    let history = storage
        .customer_history(claims.sub.clone(), site, MAX_HISTORY)
        .await?;
    Ok(HttpResponse::Ok().json(MeConsent {
        customer: claims.sub,
        latest: history.first().cloned(),
        history,
    }))
}

/// `PUT /api/v1/me/consent`: a customer's choice made outside a browser widget (the interface
/// app's settings), recorded under the customer's own pseudonymous subject.
#[tracing::instrument(skip_all)]
pub async fn put_me(
    request: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Arc<dyn Storage>>,
    identity: web::Data<IdentityKey>,
    vault: web::Data<Vault>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&request, Limit::ConsentWrite)?;
    let body = match body::json_flattened::<PutMeConsent, ConsentDecision>(&request, payload).await
    {
        Ok(body) => body,
        Err(e) => return count_refusal(&request, Err(e)),
    };
    let claims = identity.require(&request, body.decision.site)?;
    let event = RecordConsent {
        idempotency_key: body.idempotency_key,
        subject: vault.customer_subject(&claims.sub),
        decision: body.decision,
    };
    let outcome = store(&request, event, Some(claims.sub), &storage).await;
    count_refusal(&request, outcome)
}

/// `GET /api/v1/consents/{event_id}/receipt`.
pub async fn receipt(
    path: web::Path<String>,
    storage: web::Data<Arc<dyn Storage>>,
) -> Result<HttpResponse, ApiError> {
    let event_id = Uuid::try_parse(&path)
        .map_err(|_| ApiError::detail(ProblemKind::InvalidPath, "the event id is not a UUID"))?;
    match storage.consent_receipt(event_id).await? {
        Some(receipt) => Ok(HttpResponse::Ok().json(receipt)),
        None => Err(ApiError::new(ProblemKind::NotFound)),
    }
}

/// `GET /api/v1/subjects/{subject}/consent`: the latest state of one subject and its newest
/// events. Whoever knows a subject id may ask, so the answer is bounded ([`MAX_HISTORY`]) and
/// holds no event made with a customer's identity: those name the customer, and the customer
/// reads them through `/api/v1/me/consent` with their token.
pub async fn subject(
    path: web::Path<String>,
    storage: web::Data<Arc<dyn Storage>>,
) -> Result<HttpResponse, ApiError> {
    let subject: SubjectId = path.parse().map_err(|_| {
        ApiError::detail(
            ProblemKind::InvalidPath,
            "the subject id is not a random UUID",
        )
    })?;
    let history = storage.subject_history(subject, MAX_HISTORY).await?;
    let latest = history.last().cloned();
    Ok(HttpResponse::Ok().json(SubjectConsent {
        subject,
        latest,
        history,
    }))
}

/// The browser family named in a User-Agent, the only part of it the ledger keeps.
fn user_agent_family(user_agent: &str) -> &'static str {
    const FAMILIES: [(&str, &str); 6] = [
        ("Edg/", "edge"),
        ("OPR/", "opera"),
        ("Firefox/", "firefox"),
        ("Chrome/", "chrome"),
        ("Safari/", "safari"),
        ("curl/", "curl"),
    ];
    FAMILIES
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map_or("other", |(_, family)| family)
}

#[cfg(test)]
mod tests {
    use super::user_agent_family;

    #[test]
    fn user_agents_reduce_to_their_family() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(user_agent_family(chrome), "chrome");
        assert_eq!(user_agent_family("Mozilla/5.0 Firefox/140.0"), "firefox");
        assert_eq!(user_agent_family(""), "other");
    }
}
