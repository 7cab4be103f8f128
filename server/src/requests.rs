//! Rights requests' rules that do not depend on a backend: secrets (status tokens and e-mail
//! codes) and how they are kept, the e-mail a visitor receives, and the requester's view.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use privacy_shared::rights::{HistoryEntry, RequestStatus, RequestView, RightsRequestKind};
use privacy_shared::{CustomerNumber, EmailAddress, Language, SiteId};
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// How long an e-mail code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(15);

/// Wrong codes allowed before a request is locked.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// The supervisory authority a refused requester may complain to.
pub const COMPLAINT_AUTHORITY: &str =
    "Autoriteit Persoonsgegevens, https://autoriteitpersoonsgegevens.nl";

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
    pub status_token_hash: String,
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    /// The hash of the e-mailed code and when it expires, for a visitor's request.
    pub code: Option<(String, OffsetDateTime)>,
    /// Who verified it at once (`identity token`), if anyone.
    pub verified_by: Option<&'static str>,
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
    pub status_token_hash: String,
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    pub extension_reason: Option<String>,
    pub answer: Option<String>,
    pub refusal_reasons: Option<String>,
    pub history: Vec<HistoryEntry>,
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
            complaint_authority: (self.status == RequestStatus::Refused)
                .then(|| COMPLAINT_AUTHORITY.to_owned()),
            attachments: Vec::new(),
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

/// An e-mail queued in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// The e-mail that carries a visitor's verification code.
pub fn code_email(to: EmailAddress, language: Language, request: Uuid, code: &str) -> Email {
    let minutes = CODE_LIFETIME.whole_minutes();
    let (subject, body) = match language {
        Language::Nl => (
            "Bevestig je privacyverzoek bij Virtio".to_owned(),
            format!(
                "Hallo,\n\nJe hebt bij Virtio ICT B.V. een privacyverzoek ingediend (nummer {request}).\n\
                 Je verificatiecode is: {code}\n\nDe code is {minutes} minuten geldig. Heb je dit verzoek niet \
                 gedaan? Dan kun je dit bericht negeren; het verzoek vervalt vanzelf.\n\nVirtio ICT B.V."
            ),
        ),
        Language::En => (
            "Confirm your privacy request at Virtio".to_owned(),
            format!(
                "Hello,\n\nYou filed a privacy request with Virtio ICT B.V. (number {request}).\n\
                 Your verification code is: {code}\n\nThe code is valid for {minutes} minutes. Did you not file \
                 this request? Then you can ignore this message; the request lapses by itself.\n\nVirtio ICT B.V."
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
