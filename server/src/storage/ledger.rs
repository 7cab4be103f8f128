//! The consent ledger's rules that do not depend on a backend: what an event holds and how it is
//! hashed into the chain.

use privacy_shared::wire::{BrokenLink, LedgerVerification};
use privacy_shared::{
    ConsentChoices, ConsentKind, ConsentReceipt, ConsentSource, CustomerNumber, Language, SiteId,
    SubjectId, consent::Withdrawn,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A validated consent event as the server is about to store it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConsentEvent {
    pub event_id: Uuid,
    pub idempotency_key: Uuid,
    pub site: SiteId,
    pub subject: SubjectId,
    pub customer: Option<CustomerNumber>,
    pub recorded_at: OffsetDateTime,
    pub kind: ConsentKind,
    pub source: ConsentSource,
    pub choices: ConsentChoices,
    pub policy_version: String,
    pub language: Language,
    pub notice_hash: String,
    pub user_agent_family: String,
    pub gpc: bool,
    pub expires_at: OffsetDateTime,
    pub withdrawn: Withdrawn,
}

/// The canonical form of an event that its hash covers: fixed field order, sorted choices,
/// RFC 3339 times in UTC.
#[derive(Serialize)]
struct Canonical<'a> {
    event_id: &'a Uuid,
    idempotency_key: &'a Uuid,
    site: &'a str,
    subject: &'a SubjectId,
    customer: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339")]
    recorded_at: OffsetDateTime,
    kind: ConsentKind,
    source: ConsentSource,
    choices: &'a ConsentChoices,
    policy_version: &'a str,
    language: Language,
    notice_hash: &'a str,
    user_agent_family: &'a str,
    gpc: bool,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// Last, and only when not empty, so events stored before the field existed hash as before.
    #[serde(skip_serializing_if = "Withdrawn::is_empty")]
    withdrawn: &'a Withdrawn,
}

impl NewConsentEvent {
    /// The chain hash: SHA-256 over the previous hash, a newline and the canonical JSON.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let canonical = Canonical {
            event_id: &self.event_id,
            idempotency_key: &self.idempotency_key,
            site: self.site.as_str(),
            subject: &self.subject,
            customer: self.customer.as_ref().map(AsRef::as_ref),
            recorded_at: self.recorded_at,
            kind: self.kind,
            source: self.source,
            choices: &self.choices,
            policy_version: &self.policy_version,
            language: self.language,
            notice_hash: &self.notice_hash,
            user_agent_family: &self.user_agent_family,
            gpc: self.gpc,
            expires_at: self.expires_at,
            withdrawn: &self.withdrawn,
        };
        let json = serde_json::to_vec(&canonical).expect("the canonical event always serialises");
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(&json);
        hex::encode(hasher.finalize())
    }

    /// Whether a retry carries the same content as the event first stored under its key.
    pub fn same_request_as(&self, stored: &ConsentReceipt) -> bool {
        self.site == stored.site
            && self.subject == stored.subject
            && self.customer == stored.customer
            && self.kind == stored.kind
            && self.choices == stored.choices
            && self.policy_version == stored.policy_version
            && self.notice_hash == stored.notice_hash
            && self.withdrawn == stored.withdrawn
    }

    /// The event as it was stored, rebuilt from its receipt and the fields a receipt leaves out.
    pub fn from_stored(
        receipt: ConsentReceipt,
        idempotency_key: Uuid,
        user_agent_family: String,
    ) -> Self {
        Self {
            event_id: receipt.event_id,
            idempotency_key,
            site: receipt.site,
            subject: receipt.subject,
            customer: receipt.customer,
            recorded_at: receipt.recorded_at,
            kind: receipt.kind,
            source: receipt.source,
            choices: receipt.choices,
            policy_version: receipt.policy_version,
            language: receipt.language,
            notice_hash: receipt.notice_hash,
            user_agent_family,
            gpc: receipt.gpc,
            expires_at: receipt.expires_at,
            withdrawn: receipt.withdrawn,
        }
    }

    pub fn receipt(&self, prev_hash: String, hash: String) -> ConsentReceipt {
        ConsentReceipt {
            event_id: self.event_id,
            recorded_at: self.recorded_at,
            site: self.site,
            subject: self.subject,
            customer: self.customer.clone(),
            kind: self.kind,
            source: self.source,
            choices: self.choices.clone(),
            policy_version: self.policy_version.clone(),
            language: self.language,
            notice_hash: self.notice_hash.clone(),
            gpc: self.gpc,
            withdrawn: self.withdrawn.clone(),
            expires_at: self.expires_at,
            prev_hash,
            hash,
        }
    }
}

/// One stored ledger row as the verifier sees it: the rebuilt event with its stored hashes, or why
/// the row could not even be read back.
pub struct StoredLink {
    pub seq: u64,
    pub event_id: String,
    pub event: Result<NewConsentEvent, String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Recomputes the chain over `rows` (in ledger order) and names the first link that breaks it:
/// a row that cannot be read, a `prev_hash` that is not the hash before it, or a `hash` that is
/// not the hash of the row's own content.
/// The chain starts from `anchor`, the hash of the last event retention deleted, or from the
/// genesis hash.
pub fn verify_chain(
    anchor: Option<String>,
    rows: impl IntoIterator<Item = StoredLink>,
) -> LedgerVerification {
    let mut expected_prev = anchor.unwrap_or_else(|| GENESIS_HASH.to_owned());
    let mut events = 0;
    for link in rows {
        events += 1;
        let broken = |reason: &str| BrokenLink {
            seq: link.seq,
            event_id: link.event_id.clone(),
            reason: reason.to_owned(),
        };
        let failure = match &link.event {
            Err(e) => Some(broken(&format!("the row cannot be read: {e}"))),
            Ok(_) if link.prev_hash != expected_prev => {
                Some(broken("prev_hash is not the hash of the event before it"))
            }
            Ok(event) if event.chain_hash(&link.prev_hash) != link.hash => {
                Some(broken("the content does not match its hash"))
            }
            Ok(_) => None,
        };
        if let Some(first_broken) = failure {
            return LedgerVerification {
                events,
                first_broken: Some(first_broken),
            };
        }
        expected_prev = link.hash;
    }
    LedgerVerification {
        events,
        first_broken: None,
    }
}
