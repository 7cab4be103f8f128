//! Rights requests from the requester's side: filing, verifying by e-mail code, and the status
//! page. A customer with a valid identity token is verified at once; a visitor receives a code.
//! The status token is the requester's only key; an unknown id and a wrong token look the same.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use privacy_shared::problem::{FieldError, ProblemKind};
use privacy_shared::rights::{
    self, AnswerFile, AnswerFiles, CreateRightsRequest, RequestCreated, RequestStatus,
    VerifyRequest,
};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

use super::body;
use super::guard::{limit_key, rate_limit};
use super::identity::IdentityKey;
use crate::limits::{Key, Limit};
use crate::problem::ApiError;
use crate::requests::{self, CodeCheck, NewRightsRequest, StoredRequest};
use crate::storage::Storage;
use crate::vault::Vault;

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "cannot draw random bytes");
    ApiError::new(ProblemKind::Internal)
}

/// `POST /api/v1/requests`: 201 with the request id, the status token (shown once) and the due
/// date.
#[tracing::instrument(skip_all)]
pub async fn create(
    request: HttpRequest,
    payload: web::Payload,
    storage: web::Data<Arc<dyn Storage>>,
    identity: web::Data<IdentityKey>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&request, Limit::RequestIntake)?;
    let claims = identity.claims(&request)?;
    let body: CreateRightsRequest = body::json(&request, payload).await?;
    if let Some(claims) = &claims {
        super::identity::audience(claims, body.site)?;
    }
    let id = Uuid::new_v4();
    let received_at = OffsetDateTime::now_utc();
    let (status_token, status_token_hash) = requests::new_status_token().map_err(internal)?;
    let (email, customer, status, code, verified_by) = match claims {
        Some(claims) => (
            Some(claims.email),
            Some(claims.customer),
            RequestStatus::Open,
            None,
            Some("identity token"),
        ),
        None => {
            let email = body.email.clone().ok_or_else(|| {
                ApiError::fields(vec![FieldError::new(
                    "email",
                    "missing_field",
                    "an e-mail address is needed to send the verification code",
                )])
            })?;
            // Each request sends the address a code: an address gets a day's few, whoever asks.
            limit_key(
                &request,
                Key::name("email", email.as_ref()),
                Limit::RequestIntakePerEmail,
            )?;
            let code = requests::new_code(id).map_err(internal)?;
            (
                Some(email),
                None,
                RequestStatus::AwaitingVerification,
                Some(code),
                None,
            )
        }
    };
    let email_message = code
        .as_ref()
        .zip(email.clone())
        .map(|((code, _), to)| requests::code_email(to, body.language, id, code));
    let new = NewRightsRequest {
        id,
        site: body.site,
        kind: body.kind,
        status,
        language: body.language,
        email,
        customer,
        name: body.name.map(String::from),
        details: body.details.map(String::from),
        subject: body.subject,
        status_token_hash,
        received_at,
        due_date: rights::due_date(received_at.date()),
        code: code.map(|(_, hash)| (hash, received_at + requests::CODE_LIFETIME)),
        verified_by,
    };
    let due_date = new.due_date;
    storage.create_request(new, email_message).await?;
    crate::metrics::Metrics::request_filed(&request);
    Ok(HttpResponse::Created().json(RequestCreated {
        id,
        status_token,
        status,
        received_at,
        due_date,
    }))
}

/// The request `id` if the bearer token is its status token.
async fn authorised(
    request: &HttpRequest,
    id: &str,
    storage: &Arc<dyn Storage>,
) -> Result<StoredRequest, ApiError> {
    let not_found = || {
        ApiError::detail(
            ProblemKind::NotFound,
            "no request with this id and status token",
        )
    };
    let id = Uuid::try_parse(id).map_err(|_| not_found())?;
    let token = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::detail(
                ProblemKind::InvalidCredentials,
                "the status token is required",
            )
        })?;
    let stored = storage.request(id).await?.ok_or_else(not_found)?;
    if stored.status_token_hash != requests::status_token_hash(token) {
        return Err(not_found());
    }
    Ok(stored)
}

/// `GET /api/v1/requests/{id}`: the status page.
pub async fn status(
    request: HttpRequest,
    path: web::Path<String>,
    storage: web::Data<Arc<dyn Storage>>,
) -> Result<HttpResponse, ApiError> {
    let stored = authorised(&request, &path, &storage).await?;
    Ok(HttpResponse::Ok().json(stored.view()))
}

/// `GET /api/v1/me/requests`: the rights requests filed with the customer's identity, with their
/// status, for the interface app's settings page.
pub async fn mine(
    request: HttpRequest,
    storage: web::Data<Arc<dyn Storage>>,
    identity: web::Data<IdentityKey>,
) -> Result<HttpResponse, ApiError> {
    let claims = identity.require(&request)?;
    let requests = storage.customer_requests(claims.customer).await?;
    let views: Vec<_> = requests.iter().map(StoredRequest::view).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// `GET /api/v1/requests/{id}/answer`: the answer's files, decrypted for the requester.
pub async fn answer(
    request: HttpRequest,
    path: web::Path<String>,
    storage: web::Data<Arc<dyn Storage>>,
    vault: web::Data<Vault>,
) -> Result<HttpResponse, ApiError> {
    let stored = authorised(&request, &path, &storage).await?;
    let mut files = Vec::new();
    for file in storage.answer_files(stored.id).await? {
        let content = vault.open(file.id, &file.sealed).map_err(|e| {
            tracing::error!(request = %stored.id, file = %file.id, error = %e, "an answer file does not open");
            ApiError::new(ProblemKind::Internal)
        })?;
        files.push(AnswerFile {
            name: file.name,
            content_type: file.content_type,
            content_base64: STANDARD.encode(content),
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(AnswerFiles { files }))
}

/// `POST /api/v1/requests/{id}/verify`: the e-mailed code. Five wrong codes lock the request.
#[tracing::instrument(skip_all)]
pub async fn verify(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    storage: web::Data<Arc<dyn Storage>>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&request, Limit::CodeCheck)?;
    let stored = authorised(&request, &path, &storage).await?;
    let body: VerifyRequest = body::json(&request, payload).await?;
    // Guesses at one address's codes are counted over all its requests.
    if let Some(email) = &stored.email {
        limit_key(
            &request,
            Key::name("email", email.as_ref()),
            Limit::CodeCheckPerEmail,
        )?;
    }
    let code_error = |code: &str, message: String| {
        ApiError::fields(vec![FieldError::new("code", code, message)])
    };
    match storage
        .check_request_code(stored.id, body.code, OffsetDateTime::now_utc())
        .await?
    {
        CodeCheck::Verified(request) => Ok(HttpResponse::Ok().json(request.view())),
        CodeCheck::Wrong { attempts_left } => Err(code_error(
            "wrong_code",
            format!("the code is wrong; {attempts_left} attempts left"),
        )),
        CodeCheck::Expired => Err(code_error("code_expired", "the code has expired".into())),
        CodeCheck::Locked => Err(ApiError::detail(
            ProblemKind::VerificationLocked,
            "five wrong codes were entered; file the request again",
        )),
        CodeCheck::NotAwaitingVerification(status) => Err(ApiError::detail(
            ProblemKind::Conflict,
            format!("the request is {} and needs no code", status.as_str()),
        )),
        CodeCheck::NotFound => Err(ApiError::new(ProblemKind::NotFound)),
    }
}
