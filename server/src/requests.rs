//! Rights requests' rules that do not depend on a backend: secrets (status tokens and e-mail
//! codes) and how they are kept, the e-mail a visitor receives, and the requester's view.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use privacy_shared::rights::{
    AttachmentInfo, HistoryEntry, RequestStatus, RequestView, RightsRequestKind,
};
use privacy_shared::{CustomerNumber, EmailAddress, Language, SiteId, SubjectId};
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// How long an e-mail code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(15);

/// Wrong codes allowed before a request is locked.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// The supervisory authority a refused requester may complain to, by name and address.
pub fn complaint_authority() -> String {
    use privacy_shared::rights::{COMPLAINT_AUTHORITY_NAME, COMPLAINT_AUTHORITY_URL};
    format!("{COMPLAINT_AUTHORITY_NAME}, {COMPLAINT_AUTHORITY_URL}")
}

fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// A new status token (shown to the requester once) and the hash that is stored.
pub fn new_status_token() -> Result<(String, String), getrandom::Error> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = status_token_hash(&token);
    Ok((token, hash))
}

pub fn status_token_hash(token: &str) -> String {
    sha256_hex(&[b"status-token:", token.as_bytes()])
}

/// A new 6-digit code and the salted hash that is stored.
pub fn new_code(request: Uuid) -> Result<(String, String), getrandom::Error> {
    // 10^6 does not divide 2^32 evenly; drawing below the largest multiple keeps digits uniform.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let value = u32::from_le_bytes(random_bytes::<4>()?);
        if value < LIMIT {
            let code = format!("{:06}", value % 1_000_000);
            let hash = code_hash(request, &code);
            return Ok((code, hash));
        }
    }
}

pub fn code_hash(request: Uuid, code: &str) -> String {
    sha256_hex(&[b"request-code:", request.as_bytes(), b":", code.as_bytes()])
}

/// A request as it is about to be stored.
#[derive(Debug, Clone)]
pub struct NewRightsRequest {
    pub id: Uuid,
    pub site: SiteId,
    pub kind: RightsRequestKind,
    pub status: RequestStatus,
    pub language: Language,
    pub email: Option<EmailAddress>,
    pub customer: Option<CustomerNumber>,
    pub name: Option<String>,
    pub details: Option<String>,
    pub subject: Option<SubjectId>,
    pub status_token_hash: String,
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    /// The hash of the e-mailed code and when it expires, for a visitor's request.
    pub code: Option<(String, OffsetDateTime)>,
    /// Its first history lines.
    pub history: Vec<HistoryNote>,
}

/// A request as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    pub id: Uuid,
    pub site: SiteId,
    pub kind: RightsRequestKind,
    pub status: RequestStatus,
    pub language: Language,
    pub email: Option<EmailAddress>,
    pub customer: Option<CustomerNumber>,
    pub name: Option<String>,
    pub details: Option<String>,
    pub subject: Option<SubjectId>,
    pub status_token_hash: String,
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    pub extension_reason: Option<String>,
    pub answer: Option<String>,
    pub refusal_reasons: Option<String>,
    pub history: Vec<HistoryEntry>,
    pub attachments: Vec<AttachmentInfo>,
}

impl StoredRequest {
    /// The requester's status page.
    pub fn view(&self) -> RequestView {
        RequestView {
            id: self.id,
            kind: self.kind,
            status: self.status,
            received_at: self.received_at,
            due_date: self.due_date,
            extension_reason: self.extension_reason.clone(),
            history: self.history.clone(),
            answer: self.answer.clone(),
            refusal_reasons: self.refusal_reasons.clone(),
            complaint_authority: (self.status == RequestStatus::Refused).then(complaint_authority),
            attachments: self.attachments.clone(),
        }
    }
}

/// The outcome of checking an e-mail code.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeCheck {
    Verified(Box<StoredRequest>),
    Wrong { attempts_left: u32 },
    Locked,
    Expired,
    NotAwaitingVerification(RequestStatus),
    NotFound,
}

/// One line of a request's history, as the workflow writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryNote {
    pub status: RequestStatus,
    pub actor: String,
    pub note: Option<String>,
}

/// One audit entry of a change, by the change's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    pub action: &'static str,
    pub detail: Option<String>,
}

/// What completing an erasure request erases: the person's other requests (by address or
/// customer number) and the link from their consent events to the customer number. The storage
/// does it in the change's transaction, then audits it as `erase` with `describe`'s detail.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub email: Option<EmailAddress>,
    pub customer: Option<CustomerNumber>,
    pub describe: fn(Erased) -> String,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub requests: usize,
    pub events: usize,
}

impl Erasure {
    /// The erasure a completed erasure request `request` asks for.
    pub fn of(request: &StoredRequest) -> Self {
        Self {
            email: request.email.clone(),
            customer: request.customer.clone(),
            describe: |erased| {
                format!(
                    "{} other requests deleted, {} consent events unlinked from the customer",
                    erased.requests, erased.events
                )
            },
        }
    }
}

/// Checks an e-mail code for request `id` at `now`: a wrong one is counted durably, a right one
/// verifies the request. Decided here, stored by whichever backend runs.
pub async fn check_code(
    storage: &dyn crate::storage::Storage,
    id: Uuid,
    code: &privacy_shared::validate::VerificationCode,
    now: OffsetDateTime,
) -> Result<CodeCheck, crate::storage::StorageError> {
    use crate::storage::StorageError;
    // A concurrent check may change the attempts between the read and the write: read again.
    for _ in 0..3 {
        let Some(state) = storage.code_state(id).await? else {
            return Ok(CodeCheck::NotFound);
        };
        if state.status != RequestStatus::AwaitingVerification {
            return Ok(CodeCheck::NotAwaitingVerification(state.status));
        }
        if state.attempts >= MAX_CODE_ATTEMPTS {
            return Ok(CodeCheck::Locked);
        }
        if state.code_expires_at.is_none_or(|expires| now > expires) {
            return Ok(CodeCheck::Expired);
        }
        if state.code_hash.as_deref() != Some(code_hash(id, code.as_ref()).as_str()) {
            storage.count_wrong_code(id).await?;
            return Ok(CodeCheck::Wrong {
                attempts_left: MAX_CODE_ATTEMPTS.saturating_sub(state.attempts + 1),
            });
        }
        let verified = state
            .status
            .verify()
            .map_err(|e| StorageError::Database(e.to_string()))?;
        let history = HistoryNote {
            status: verified,
            actor: "requester".into(),
            note: Some("e-mail code".into()),
        };
        match storage
            .verify_request(id, state.attempts, history, now)
            .await
        {
            Ok(Some(request)) => return Ok(CodeCheck::Verified(Box::new(request))),
            Ok(None) => return Ok(CodeCheck::NotFound),
            Err(StorageError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StorageError::Conflict(
        "the request changed while its code was checked; try again".into(),
    ))
}

/// An e-mail queued in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// Where e-mailed links point: the origin browsers reach this server at.
#[derive(Debug, Clone)]
pub struct Links {
    origin: String,
}

impl Links {
    pub fn new(origin: String) -> Self {
        Self { origin }
    }

    /// The requester's status page for request `id`: this server's `/requests/` page with the
    /// site's widget, the request and its status token in the fragment, which browsers never send
    /// to a server or in a `Referer`.
    pub fn status(&self, site: SiteId, language: Language, id: Uuid, token: &str) -> String {
        let fragment = privacy_shared::rights::StatusLink {
            id,
            token: token.to_owned(),
        }
        .fragment();
        format!(
            "{}{STATUS_PAGE}?site={site}&lang={}#{fragment}",
            self.origin,
            language.as_str()
        )
    }
}

/// The path of the requesters' status page (`routes::requests::page`).
pub const STATUS_PAGE: &str = "/requests/";

/// The e-mail that carries a visitor's verification code and the link to the request's status.
pub fn code_email(
    to: EmailAddress,
    language: Language,
    request: Uuid,
    code: &str,
    status_link: &str,
) -> Email {
    let minutes = CODE_LIFETIME.whole_minutes();
    let (subject, body) = match language {
        Language::Nl => (
            "Bevestig je privacyverzoek bij Virtio".to_owned(),
            format!(
                "Hallo,\n\nJe hebt bij Virtio ICT B.V. een privacyverzoek ingediend (nummer {request}).\n\
                 Je verificatiecode is: {code}\n\nDe code is {minutes} minuten geldig. Heb je dit verzoek niet \
                 gedaan? Dan kun je dit bericht negeren; het verzoek vervalt vanzelf.\n\n\
                 De status van je verzoek en ons antwoord vind je hier:\n{status_link}\n\
                 Deel deze link niet: wie hem heeft, kan het antwoord lezen.\n\nVirtio ICT B.V."
            ),
        ),
        Language::En => (
            "Confirm your privacy request at Virtio".to_owned(),
            format!(
                "Hello,\n\nYou filed a privacy request with Virtio ICT B.V. (number {request}).\n\
                 Your verification code is: {code}\n\nThe code is valid for {minutes} minutes. Did you not file \
                 this request? Then you can ignore this message; the request lapses by itself.\n\n\
                 Your request's status and our answer are here:\n{status_link}\n\
                 Do not share this link: whoever has it can read the answer.\n\nVirtio ICT B.V."
            ),
        ),
    };
    Email { to, subject, body }
}

/// The e-mail a customer receives when a request filed with their identity token was verified
/// at once: the link to its status, and what to do if they did not file it (a script that got
/// hold of a token is the one way someone else could have).
pub fn received_email(
    to: EmailAddress,
    language: Language,
    request: Uuid,
    kind: RightsRequestKind,
    due: Date,
    status_link: &str,
) -> Email {
    let label = kind.label(language);
    let (subject, body) = match language {
        Language::Nl => (
            "We hebben je privacyverzoek ontvangen".to_owned(),
            format!(
                "Hallo,\n\nWe hebben je privacyverzoek ontvangen: {label} (nummer {request}).\n\
                 We beantwoorden het uiterlijk op {due}.\n\n\
                 De status van je verzoek en ons antwoord vind je hier:\n{status_link}\n\
                 Deel deze link niet: wie hem heeft, kan het antwoord lezen.\n\n\
                 Heb je dit verzoek niet gedaan? Antwoord dan op dit bericht, dan behandelen we het niet.\n\n\
                 Virtio ICT B.V."
            ),
        ),
        Language::En => (
            "We received your privacy request".to_owned(),
            format!(
                "Hello,\n\nWe received your privacy request: {label} (number {request}).\n\
                 We will answer it by {due}.\n\n\
                 Your request's status and our answer are here:\n{status_link}\n\
                 Do not share this link: whoever has it can read the answer.\n\n\
                 Did you not file this request? Then reply to this message and we will not act on it.\n\n\
                 Virtio ICT B.V."
            ),
        ),
    };
    Email { to, subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_only_their_own_hash_matches() {
        let request = Uuid::new_v4();
        let (code, hash) = new_code(request).unwrap();
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{code}"
        );
        assert_eq!(code_hash(request, &code), hash);
        assert_ne!(
            code_hash(Uuid::new_v4(), &code),
            hash,
            "the hash is salted per request"
        );
        assert!(!hash.contains(&code));
    }

    #[test]
    fn status_tokens_are_long_random_and_stored_only_as_hashes() {
        let (a, hash) = new_status_token().unwrap();
        let (b, _) = new_status_token().unwrap();
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert_eq!(status_token_hash(&a), hash);
    }
}

/// What staff do to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAction {
    Extend { months: u8, reason: String },
    Complete { message: String },
    Refuse { reasons: String },
    Reply { message: String },
}

impl RequestAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Extend { .. } => "extend",
            Self::Complete { .. } => "complete",
            Self::Refuse { .. } => "refuse",
            Self::Reply { .. } => "reply",
        }
    }
}

/// Why staff cannot do that now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionRefused {
    #[error(transparent)]
    Transition(#[from] privacy_shared::rights::TransitionError),
    #[error(transparent)]
    Extension(#[from] privacy_shared::rights::ExtensionError),
}

/// A request changed by an action, the history note to record and the e-mail to send.
pub struct Change {
    pub request: StoredRequest,
    pub note: Option<String>,
    pub email: Option<Email>,
}

/// Applies `action` to `request` on `today`: the status machine and the deadline rules decide,
/// and the requester is told by e-mail of every change.
pub fn plan(
    mut request: StoredRequest,
    action: &RequestAction,
    today: Date,
) -> Result<Change, ActionRefused> {
    let nl = request.language == Language::Nl;
    let number = request.id;
    let (subject, body, note) = match action {
        RequestAction::Extend { months, reason } => {
            let due = privacy_shared::rights::extended_due_date(request.due_date, *months, today)?;
            request.status = request.status.extend()?;
            request.due_date = due;
            request.extension_reason = Some(reason.clone());
            if nl {
                (
                    "We hebben meer tijd nodig voor je privacyverzoek".to_owned(),
                    format!(
                        "We verlengen de termijn van je verzoek {number} tot {due}.\n\nReden: {reason}"
                    ),
                    Some(reason.clone()),
                )
            } else {
                (
                    "We need more time for your privacy request".to_owned(),
                    format!(
                        "We are extending the deadline of your request {number} to {due}.\n\nReason: {reason}"
                    ),
                    Some(reason.clone()),
                )
            }
        }
        RequestAction::Complete { message } => {
            request.status = request.status.complete()?;
            request.answer = Some(message.clone());
            let subject = if nl {
                "Je privacyverzoek is afgehandeld"
            } else {
                "Your privacy request has been handled"
            };
            (subject.to_owned(), message.clone(), None)
        }
        RequestAction::Refuse { reasons } => {
            request.status = request.status.refuse()?;
            request.refusal_reasons = Some(reasons.clone());
            if nl {
                (
                    "Je privacyverzoek is afgewezen".to_owned(),
                    format!(
                        "We kunnen je verzoek {number} niet inwilligen.\n\nReden: {reasons}\n\nJe hebt het recht een klacht \
                         in te dienen bij de {}.",
                        complaint_authority()
                    ),
                    Some(reasons.clone()),
                )
            } else {
                (
                    "Your privacy request has been refused".to_owned(),
                    format!(
                        "We cannot grant your request {number}.\n\nReason: {reasons}\n\nYou have the right to lodge a \
                         complaint with the {}.",
                        complaint_authority()
                    ),
                    Some(reasons.clone()),
                )
            }
        }
        RequestAction::Reply { message } => {
            if request.status == RequestStatus::Open {
                request.status = request.status.start()?;
            } else if request.status.is_closed()
                || request.status == RequestStatus::AwaitingVerification
            {
                return Err(privacy_shared::rights::TransitionError {
                    from: request.status,
                    action: "answered",
                }
                .into());
            }
            let subject = if nl {
                "Bericht over je privacyverzoek"
            } else {
                "A message about your privacy request"
            };
            (subject.to_owned(), message.clone(), Some(message.clone()))
        }
    };
    let email = request.email.clone().map(|to| Email { to, subject, body });
    Ok(Change {
        request,
        note,
        email,
    })
}

#[cfg(test)]
mod action_tests {
    use super::*;
    use time::macros::{date, datetime};

    fn open_request() -> StoredRequest {
        privacy_shared::site::install_repo_catalogue_for_tests();
        StoredRequest {
            id: Uuid::from_u128(7),
            site: "virtio-nl".parse().unwrap(),
            kind: RightsRequestKind::Access,
            status: RequestStatus::Open,
            language: Language::En,
            email: Some(EmailAddress::parse("a@example.nl").unwrap()),
            customer: None,
            name: None,
            details: None,
            subject: None,
            status_token_hash: String::new(),
            received_at: datetime!(2024-01-31 10:00 UTC),
            due_date: date!(2024 - 02 - 29),
            extension_reason: None,
            answer: None,
            refusal_reasons: None,
            history: Vec::new(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn one_extension_before_the_due_date_tells_the_requester_the_reason() {
        let extend = RequestAction::Extend {
            months: 2,
            reason: "many systems".into(),
        };
        let change = plan(open_request(), &extend, date!(2024 - 02 - 10)).unwrap();
        assert_eq!(
            (change.request.status, change.request.due_date),
            (RequestStatus::Extended, date!(2024 - 04 - 29))
        );
        assert!(change.email.unwrap().body.contains("many systems"));
        assert!(
            plan(change.request, &extend, date!(2024 - 02 - 11)).is_err(),
            "only one extension"
        );
        assert!(
            plan(open_request(), &extend, date!(2024 - 03 - 01)).is_err(),
            "not after the due date"
        );
    }

    #[test]
    fn a_refusal_names_the_complaint_route() {
        let change = plan(
            open_request(),
            &RequestAction::Refuse {
                reasons: "manifestly unfounded".into(),
            },
            date!(2024 - 02 - 01),
        )
        .unwrap();
        assert_eq!(change.request.status, RequestStatus::Refused);
        assert!(
            change
                .email
                .unwrap()
                .body
                .contains("Autoriteit Persoonsgegevens")
        );
        let closed = change.request;
        assert!(
            plan(
                closed,
                &RequestAction::Reply {
                    message: "hi".into()
                },
                date!(2024 - 02 - 01)
            )
            .is_err()
        );
    }
}
