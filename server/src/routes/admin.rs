//! The admin API for the privacy officer and support staff: login with password and TOTP, the
//! request inbox and its actions, statistics, proof and the outbox. Every view, change and
//! verification by staff goes to the hash-chained audit log. Viewers read; officers act.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use privacy_shared::EmailAddress;
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::{
    AdminEnrollmentRequest, AdminLogin, AdminRequestDetail, AdminSession, AnswerRequest, AuditLog,
    ExportPreviewFile, ExtendRequest, NewAttachment, OutboxMessage, RefuseRequest, RequestSummary,
    StaffRole,
};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::body;
use super::guard::rate_limit;
use crate::answers::{self, ActError};
use crate::limits::{Key, Limit, RateLimiter};
use crate::problem::ApiError;
use crate::requests::{self, RequestAction, StoredRequest};
use crate::staff;
use crate::storage::Storage;
use crate::vault::Vault;

type Store = web::Data<Arc<dyn Storage>>;

fn wrong_login() -> ApiError {
    ApiError::detail(
        ProblemKind::InvalidCredentials,
        "the e-mail address, password or code is wrong",
    )
}

/// Runs an argon2 computation (19 MiB and tens of milliseconds each) on the blocking pool, no
/// more at once than there are cores: a flood of logins waits its turn instead of taking the
/// memory of hundreds.
async fn bounded_argon2<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    bounded(permits, work).await
}

/// Runs `work` on the blocking pool once one of `permits` is free.
async fn bounded<T: Send + 'static>(
    permits: &tokio::sync::Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = permits
        .acquire()
        .await
        .map_err(|_| ApiError::new(ProblemKind::Internal))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::new(ProblemKind::Internal))
}

/// `POST /api/v1/admin/login`: password and TOTP code; sets the HttpOnly session cookie.
#[tracing::instrument(skip_all)]
pub async fn login(
    request: HttpRequest,
    payload: web::Payload,
    storage: Store,
    limiter: web::Data<RateLimiter>,
) -> Result<HttpResponse, ApiError> {
    same_origin(&request)?;
    rate_limit(&request, Limit::Login)?;
    let body: AdminLogin = body::json(&request, payload).await?;
    let (account, attempt) =
        check_password(&storage, &limiter, &body.email, &body.password).await?;
    let now = OffsetDateTime::now_utc();
    let Some(step) = staff::totp_step(&account.totp_secret, &body.totp, now.unix_timestamp())
    else {
        return Err(attempt.failed().await);
    };
    if !storage
        .accept_totp_step(account.email.as_ref().to_owned(), step)
        .await?
    {
        return Err(ApiError::detail(
            ProblemKind::InvalidCredentials,
            "this code was used already; wait for the next one",
        ));
    }
    limiter.login_succeeded(Key::name("account", body.email.as_ref()));
    let (token, token_hash) =
        requests::new_status_token().map_err(|_| ApiError::new(ProblemKind::Internal))?;
    let expires = now + Duration::hours(staff::SESSION_HOURS);
    storage
        .create_session(token_hash, account.email.clone(), now, expires)
        .await?;
    let cookie = Cookie::build(staff::SESSION_COOKIE, token)
        .path("/api/v1/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure_cookie(&request))
        .max_age(actix_web::cookie::time::Duration::hours(
            staff::SESSION_HOURS,
        ))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(AdminSession {
        email: account.email,
        role: account.role,
        expires_at: expires,
    }))
}

/// A sign-in attempt of one account, and what counts it as wrong: in this instance's memory (for
/// addresses without an account too) and on the account's row, which every instance reads.
struct Attempt<'a> {
    storage: &'a Store,
    limiter: &'a RateLimiter,
    email: &'a privacy_shared::EmailAddress,
}

impl Attempt<'_> {
    /// Counts a wrong password or code, and answers it.
    async fn failed(&self) -> ApiError {
        self.limiter
            .login_failed(Key::name("account", self.email.as_ref()), Instant::now());
        let counted = self
            .storage
            .login_failed(self.email.as_ref().to_owned(), OffsetDateTime::now_utc())
            .await;
        if let Err(e) = counted {
            tracing::error!(error = %e, "a wrong sign-in could not be counted on its account");
        }
        wrong_login()
    }
}

/// The account of `email` when `password` is its password. An unknown address takes as long as a
/// wrong password, and each account backs off after a few wrong attempts, from wherever they
/// come and whichever instance they reach. Also returns the attempt, for a wrong code.
async fn check_password<'a>(
    storage: &'a Store,
    limiter: &'a RateLimiter,
    email: &'a privacy_shared::EmailAddress,
    password: &str,
) -> Result<(crate::storage::StaffRecord, Attempt<'a>), ApiError> {
    let account_key = Key::name("account", email.as_ref());
    if let Err(wait) = limiter.login_allowed(account_key, Instant::now()) {
        return Err(ApiError::rate_limited(wait));
    }
    let account = storage.staff(email.as_ref().to_owned()).await?;
    let now = OffsetDateTime::now_utc();
    if let Some(until) = account.as_ref().and_then(|a| a.login_wait_until)
        && until > now
    {
        return Err(ApiError::rate_limited((until - now).unsigned_abs()));
    }
    let phc = account
        .as_ref()
        .map_or(staff::dummy_hash(), |a| a.password_hash.as_str())
        .to_owned();
    let password = password.to_owned();
    let password_ok = bounded_argon2(move || staff::verify_password(&password, &phc)).await?;
    let attempt = Attempt {
        storage,
        limiter,
        email,
    };
    match account.filter(|_| password_ok) {
        Some(account) => Ok((account, attempt)),
        None => Err(attempt.failed().await),
    }
}

/// `POST /api/v1/admin/enrollment`: a staff member's first sign-in. With the right password, the
/// account's TOTP secret as a QR code for the authenticator app, for as long as no code of it was
/// ever accepted; after that a 409, so a stolen password alone never shows the secret again.
#[tracing::instrument(skip_all)]
pub async fn enrollment(
    request: HttpRequest,
    payload: web::Payload,
    storage: Store,
    limiter: web::Data<RateLimiter>,
) -> Result<HttpResponse, ApiError> {
    same_origin(&request)?;
    rate_limit(&request, Limit::Login)?;
    let body: AdminEnrollmentRequest = body::json(&request, payload).await?;
    let (account, _) = check_password(&storage, &limiter, &body.email, &body.password).await?;
    if account.last_totp_step > 0 {
        return Err(ApiError::detail(
            ProblemKind::Conflict,
            "this account's authenticator app is set up: sign in with its code",
        ));
    }
    let enrollment =
        staff::enrollment(account.email.as_ref(), &account.totp_secret).map_err(|e| {
            tracing::error!(error = %e, "drawing an enrollment QR code failed");
            ApiError::new(ProblemKind::Internal)
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(enrollment))
}

/// `GET /api/v1/admin/session`: who is signed in, and until when.
pub async fn who_am_i(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(signed_in(&request, &storage).await?))
}

/// `POST /api/v1/admin/logout`: ends the session on the server, so its cookie opens nothing even
/// if it was copied, and tells the browser to drop the cookie.
pub async fn logout(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    same_origin(&request)?;
    let session = signed_in(&request, &storage).await?;
    if let Some(cookie) = request.cookie(staff::SESSION_COOKIE) {
        storage
            .end_session(requests::status_token_hash(cookie.value()), session.email)
            .await?;
    }
    let mut removal = Cookie::build(staff::SESSION_COOKIE, "")
        .path("/api/v1/admin")
        .finish();
    removal.make_removal();
    Ok(HttpResponse::NoContent().cookie(removal).finish())
}

/// Whether the session cookie is `Secure`: always, unless the console is used over plain HTTP on
/// this machine itself (development), since the server speaks HTTP behind a TLS proxy and only a
/// trusted proxy's word says HTTPS.
fn secure_cookie(request: &HttpRequest) -> bool {
    let (scheme, host) = super::guard::scheme_and_host(request);
    let hostname = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let local = matches!(hostname, "localhost" | "127.0.0.1" | "[::1]");
    scheme == "https" || !local
}

/// Refuses a cross-origin browser request: the `Origin` header, when sent, must be this host.
fn same_origin(request: &HttpRequest) -> Result<(), ApiError> {
    let Some(origin) = request.headers().get(actix_web::http::header::ORIGIN) else {
        return Ok(());
    };
    let (scheme, host) = super::guard::scheme_and_host(request);
    let own = format!("{scheme}://{host}");
    if origin.to_str().ok() == Some(own.as_str()) {
        Ok(())
    } else {
        Err(ApiError::detail(
            ProblemKind::Forbidden,
            "cross-origin requests are refused",
        ))
    }
}

/// The signed-in staff member.
async fn signed_in(request: &HttpRequest, storage: &Store) -> Result<AdminSession, ApiError> {
    let cookie = request
        .cookie(staff::SESSION_COOKIE)
        .ok_or_else(|| ApiError::detail(ProblemKind::InvalidCredentials, "sign in first"))?;
    let token_hash = requests::status_token_hash(cookie.value());
    storage
        .session(token_hash, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(|| {
            ApiError::detail(
                ProblemKind::InvalidCredentials,
                "the session has expired; sign in again",
            )
        })
}

/// An officer, for actions that change something; writes must come from this origin.
async fn officer(request: &HttpRequest, storage: &Store) -> Result<EmailAddress, ApiError> {
    same_origin(request)?;
    match signed_in(request, storage).await? {
        AdminSession {
            email,
            role: StaffRole::Officer,
            ..
        } => Ok(email),
        AdminSession {
            role: StaffRole::Viewer,
            ..
        } => Err(ApiError::detail(
            ProblemKind::Forbidden,
            "viewers cannot change requests",
        )),
    }
}

fn request_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(path)
        .map_err(|_| ApiError::detail(ProblemKind::InvalidPath, "the request id is not a UUID"))
}

fn detail(request: StoredRequest, today: time::Date) -> AdminRequestDetail {
    let (days_left, overdue) = RequestSummary::deadline(request.due_date, request.status, today);
    AdminRequestDetail {
        summary: RequestSummary {
            id: request.id,
            kind: request.kind,
            status: request.status,
            site: request.site,
            received_at: request.received_at,
            due_date: request.due_date,
            days_left,
            overdue,
            email: request.email,
        },
        customer: request.customer,
        name: request.name,
        details: request.details,
        language: request.language,
        extension_reason: request.extension_reason,
        history: request.history,
        attachments: request.attachments,
    }
}

/// `GET /api/v1/admin/requests`: the inbox, fewest days left first.
pub async fn inbox(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    let actor = signed_in(&request, &storage).await?.email;
    let inbox = storage.inbox(OffsetDateTime::now_utc().date()).await?;
    storage.audit(actor, "view inbox", None, None).await?;
    Ok(HttpResponse::Ok().json(inbox))
}

/// The signed-in staff member and the request the path names (404 when there is none).
async fn signed_in_on(
    request: &HttpRequest,
    path: &str,
    storage: &Store,
) -> Result<(EmailAddress, StoredRequest), ApiError> {
    let actor = signed_in(request, storage).await?.email;
    let stored = storage
        .request(request_id(path)?)
        .await?
        .ok_or_else(|| ApiError::new(ProblemKind::NotFound))?;
    Ok((actor, stored))
}

/// `GET /api/v1/admin/requests/{id}`: one request with its history; the view is audited.
pub async fn show(
    request: HttpRequest,
    path: web::Path<String>,
    storage: Store,
) -> Result<HttpResponse, ApiError> {
    let (actor, stored) = signed_in_on(&request, &path, &storage).await?;
    storage.audit(actor, "view", Some(stored.id), None).await?;
    Ok(HttpResponse::Ok().json(detail(stored, OffsetDateTime::now_utc().date())))
}

/// `GET /api/v1/admin/requests/{id}/export`: the export an access or portability request will
/// carry when it is completed, for the officer to check before sending; the view is audited.
pub async fn export_preview(
    request: HttpRequest,
    path: web::Path<String>,
    storage: Store,
) -> Result<HttpResponse, ApiError> {
    let (actor, stored) = signed_in_on(&request, &path, &storage).await?;
    let id = stored.id;
    if !stored.kind.includes_export() {
        return Err(ApiError::detail(
            ProblemKind::Conflict,
            "only access and portability requests carry an export",
        ));
    }
    let files = answers::export_of(
        storage.as_ref().as_ref(),
        &stored,
        OffsetDateTime::now_utc(),
    )
    .await?;
    storage
        .audit(actor, "preview export", Some(id), None)
        .await?;
    let preview: Vec<ExportPreviewFile> = files
        .into_iter()
        .map(|f| ExportPreviewFile {
            name: f.name.to_owned(),
            content_type: f.content_type.to_owned(),
            text: String::from_utf8_lossy(&f.content).into_owned(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(preview))
}

/// Checks that an officer asks, reads the action's body and has the request service apply it.
async fn act<B: serde::de::DeserializeOwned>(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    (storage, vault): (Store, web::Data<Vault>),
    action: fn(B) -> (RequestAction, Vec<NewAttachment>),
) -> Result<HttpResponse, ApiError> {
    let actor = officer(&request, &storage).await?;
    let id = request_id(&path)?;
    let (action, attached) =
        action(body::json_up_to(&request, payload, body::MAX_ANSWER_BODY_BYTES).await?);
    let files = answers::Attachment::parse_all(attached).map_err(ApiError::fields)?;
    let now = OffsetDateTime::now_utc();
    match answers::act(
        storage.as_ref().as_ref(),
        &vault,
        id,
        actor,
        action,
        files,
        now,
    )
    .await
    {
        Ok(updated) => Ok(HttpResponse::Ok().json(detail(updated, now.date()))),
        Err(ActError::NotFound) => Err(ApiError::new(ProblemKind::NotFound)),
        Err(ActError::Refused(refused)) => {
            Err(ApiError::detail(ProblemKind::Conflict, refused.to_string()))
        }
        Err(ActError::Storage(e)) => Err(e.into()),
        Err(ActError::Seal(e)) => {
            tracing::error!(error = %e, "cannot seal an answer file");
            Err(ApiError::new(ProblemKind::Internal))
        }
    }
}

/// `POST /api/v1/admin/requests/{id}/extend`.
pub async fn extend(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    keys: (Store, web::Data<Vault>),
) -> Result<HttpResponse, ApiError> {
    act(request, path, payload, keys, |body: ExtendRequest| {
        let action = RequestAction::Extend {
            months: body.months,
            reason: body.reason.into(),
        };
        (action, Vec::new())
    })
    .await
}

/// `POST /api/v1/admin/requests/{id}/complete`.
pub async fn complete(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    keys: (Store, web::Data<Vault>),
) -> Result<HttpResponse, ApiError> {
    act(request, path, payload, keys, |body: AnswerRequest| {
        let action = RequestAction::Complete {
            message: body.message.into(),
        };
        (action, body.attachments)
    })
    .await
}

/// `POST /api/v1/admin/requests/{id}/refuse`.
pub async fn refuse(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    keys: (Store, web::Data<Vault>),
) -> Result<HttpResponse, ApiError> {
    act(request, path, payload, keys, |body: RefuseRequest| {
        let action = RequestAction::Refuse {
            reasons: body.reasons.into(),
        };
        (action, Vec::new())
    })
    .await
}

/// `POST /api/v1/admin/requests/{id}/reply`.
pub async fn reply(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    keys: (Store, web::Data<Vault>),
) -> Result<HttpResponse, ApiError> {
    act(request, path, payload, keys, |body: AnswerRequest| {
        let action = RequestAction::Reply {
            message: body.message.into(),
        };
        (action, body.attachments)
    })
    .await
}

/// `GET /api/v1/admin/stats`.
pub async fn stats(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    signed_in(&request, &storage).await?;
    Ok(HttpResponse::Ok().json(storage.consent_stats().await?))
}

/// `GET /api/v1/admin/ledger/verify`.
pub async fn verify_ledger(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    let actor = signed_in(&request, &storage).await?.email;
    let verification = storage.verify_ledger().await?;
    storage.audit(actor, "verify ledger", None, None).await?;
    Ok(HttpResponse::Ok().json(verification))
}

/// `GET /api/v1/admin/audit`: the newest 500 entries and whether the chain holds.
pub async fn audit(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    signed_in(&request, &storage).await?;
    let (entries, first_broken) = storage.audit_log(500).await?;
    Ok(HttpResponse::Ok().json(AuditLog {
        entries,
        first_broken,
    }))
}

/// `GET /api/v1/admin/outbox`.
pub async fn outbox(request: HttpRequest, storage: Store) -> Result<HttpResponse, ApiError> {
    #[derive(serde::Deserialize)]
    struct Query {
        request: Option<String>,
    }
    let actor = signed_in(&request, &storage).await?.email;
    let query = web::Query::<Query>::from_query(request.query_string())
        .map_err(|e| ApiError::detail(ProblemKind::InvalidQuery, e.to_string()))?;
    let only = query.request.as_deref().map(request_id).transpose()?;
    let messages: Vec<OutboxMessage> = storage
        .outbox(only)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(OutboxMessage {
                id: row.id,
                to: EmailAddress::parse(&row.to).ok()?,
                subject: row.subject,
                body: row.body,
                request: row.request,
                queued_at: row.queued_at,
                sent: row.sent,
                attempts: row.attempts,
            })
        })
        .collect();
    storage.audit(actor, "view outbox", None, None).await?;
    Ok(HttpResponse::Ok().json(messages))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Sixteen logins at once on two permits: never more than two hashes run together, and
    /// every login is answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn password_hashes_run_no_more_at_once_than_there_are_permits() {
        let permits = Arc::new(tokio::sync::Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let logins: Vec<_> = (0..16)
            .map(|i| {
                let (permits, running, most) = (permits.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    super::bounded(&permits, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        // As long as an argon2 hash takes, so that unbounded work would overlap.
                        std::thread::sleep(std::time::Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                })
            })
            .collect();
        let mut answered = Vec::new();
        for login in logins {
            answered.push(login.await.unwrap().ok().unwrap());
        }
        assert_eq!(answered, (0..16).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
