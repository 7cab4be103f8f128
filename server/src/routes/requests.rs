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
    links: web::Data<requests::Links>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&request, Limit::RequestIntake)?;
    let body: CreateRightsRequest = body::json(&request, payload).await?;
    let claims = identity.claims(&request, body.site)?;
    let id = Uuid::new_v4();
    let received_at = OffsetDateTime::now_utc();
    let (status_token, status_token_hash) = requests::new_status_token().map_err(internal)?;
    let (email, customer, status, code, verified_by) = match claims {
        Some(claims) => (
            Some(claims.email),
            Some(claims.sub),
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
    let due_date = rights::due_date(received_at.date());
    let link = links.status(body.site, body.language, id, &status_token);
    // The status link goes to the requester's mailbox only: a visitor's with the code, a
    // customer's as the notice that a request was filed in their name.
    let email_message = email.clone().map(|to| match &code {
        Some((code, _)) => requests::code_email(to, body.language, id, code, &link),
        None => requests::received_email(to, body.language, id, body.kind, due_date, &link),
    });
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
        due_date,
        code: code.map(|(_, hash)| (hash, received_at + requests::CODE_LIFETIME)),
        history: std::iter::once(requests::HistoryNote {
            status: RequestStatus::AwaitingVerification,
            actor: "requester".into(),
            note: None,
        })
        .chain(verified_by.map(|by| requests::HistoryNote {
            status,
            actor: "system".into(),
            note: Some(by.into()),
        }))
        .collect(),
    };
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
    let claims = identity.require_for_group(&request)?;
    let requests = storage.customer_requests(claims.sub).await?;
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
    match requests::check_code(
        &***storage,
        stored.id,
        &body.code,
        OffsetDateTime::now_utc(),
    )
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

#[derive(serde::Deserialize)]
pub struct PageQuery {
    site: Option<String>,
    lang: Option<String>,
}

/// `GET /requests/?site=&lang=`: the requester's status page, where e-mailed status links lead.
/// It holds the site's widget with its rights center, which takes the request and its status
/// token from the link's fragment, keeps them for this tab and shows the request first.
pub async fn page(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<PageQuery>::from_query(request.query_string())
        .map_err(|e| ApiError::detail(ProblemKind::InvalidQuery, e.to_string()))?;
    let site: privacy_shared::SiteId = match &query.site {
        Some(site) => site.parse().map_err(|_| {
            ApiError::detail(ProblemKind::InvalidQuery, "`site` names no configured site")
        })?,
        None => privacy_shared::site::all()
            .first()
            .and_then(|s| s.id.parse().ok())
            .ok_or_else(|| ApiError::new(ProblemKind::NotFound))?,
    };
    let language = query
        .lang
        .as_deref()
        .and_then(privacy_shared::Language::from_tag)
        .unwrap_or_default();
    let (title, intro) = match language {
        privacy_shared::Language::Nl => (
            "Je privacyverzoek",
            "Hieronder staan de status van je verzoek en ons antwoord.",
        ),
        privacy_shared::Language::En => (
            "Your privacy request",
            "Below are your request's status and our answer.",
        ),
    };
    let lang = language.as_str();
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <script src=\"/widget/v1/loader.js\" data-site=\"{site}\" data-lang=\"{lang}\" \
         data-consent=\"off\" defer></script>\n\
         </head>\n<body>\n<main>\n<h1>{title}</h1>\n<p>{intro}</p>\n\
         <div data-virtio-privacy=\"rights\"></div>\n</main>\n</body>\n</html>\n"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}
