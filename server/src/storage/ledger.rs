//! The consent ledger's rules that do not depend on a backend: what an event holds and how it is
//! hashed into the chain.

use privacy_shared::wire::{BrokenLink, LedgerVerification};
use privacy_shared::{ConsentEvent, ConsentReceipt};
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A validated consent event as the server stores it: the event its receipt shows, and what only
/// the ledger keeps. Its JSON is what the chain hash covers (see [`NewConsentEvent::canonical_json`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewConsentEvent {
    #[serde(flatten)]
    pub event: ConsentEvent,
    pub idempotency_key: Uuid,
    pub user_agent_family: String,
}

/// The order the ledger has hashed an event's fields in since its first event. Frozen: a field
/// added to the event later is hashed after these, in name order, so no stored hash changes and
/// no field escapes the hash.
const HASH_ORDER: [&str; 16] = [
    "event_id",
    "idempotency_key",
    "site",
    "subject",
    "customer",
    "recorded_at",
    "kind",
    "source",
    "choices",
    "policy_version",
    "language",
    "notice_hash",
    "user_agent_family",
    "gpc",
    "expires_at",
    "withdrawn",
];

impl NewConsentEvent {
    /// The canonical form the hash covers: the event's JSON object, each field as serde writes it
    /// (choices in purpose order, RFC 3339 times in UTC), fields in [`HASH_ORDER`] then the rest in
    /// name order.
    pub fn canonical_json(&self) -> Result<String, serde_json::Error> {
        let json = serde_json::to_string(self)?;
        let mut fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&json)?;
        let mut entries = Vec::with_capacity(fields.len());
        for name in HASH_ORDER {
            entries.extend(fields.remove_entry(name));
        }
        entries.extend(fields);
        let body: Vec<String> = entries
            .iter()
            .map(|(name, value)| {
                format!("{}:{}", serde_json::Value::from(name.as_str()), value.get())
            })
            .collect();
        Ok(format!("{{{}}}", body.join(",")))
    }

    /// The chain hash: SHA-256 over the previous hash, a newline and the canonical JSON.
    pub fn chain_hash(&self, prev_hash: &str) -> Result<String, serde_json::Error> {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical_json()?.as_bytes());
        Ok(hex::encode(hasher.finalize()))
    }

    /// Whether a retry carries the same content as the event first stored under its key: the same
    /// subject, customer and decision (the source and the GPC header may differ on a retry).
    pub fn same_request_as(&self, stored: &ConsentReceipt) -> bool {
        let (new, old) = (&self.event, &stored.event);
        let (a, b) = (&new.decision, &old.decision);
        new.subject == old.subject
            && new.customer == old.customer
            && a.site == b.site
            && a.kind == b.kind
            && a.choices == b.choices
            && a.policy_version == b.policy_version
            && a.notice_hash == b.notice_hash
            && a.withdrawn == b.withdrawn
    }

    pub fn receipt(&self, prev_hash: String, hash: String) -> ConsentReceipt {
        ConsentReceipt {
            event: self.event.clone(),
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
    /// An erasure unlinked the row from its customer: a tombstone whose content no longer
    /// matches its hash, so only its place in the chain is checked.
    pub unlinked: bool,
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
            Ok(event)
                if !link.unlinked
                    && event.chain_hash(&link.prev_hash).ok().as_ref() != Some(&link.hash) =>
            {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use privacy_shared::consent::uniform_choices;
    use privacy_shared::{
        ConsentDecision, ConsentKind, ConsentSource, CustomerNumber, Language, SubjectId,
    };
    use time::OffsetDateTime;

    /// An "accept all" from the demo site's banner, in Dutch, under the current policy.
    pub(crate) fn sample_event(
        event_id: Uuid,
        subject: SubjectId,
        idempotency_key: Uuid,
        at: OffsetDateTime,
    ) -> NewConsentEvent {
        privacy_shared::site::install_repo_catalogue_for_tests();
        let site = "virtio-nl".parse().expect("the demo site");
        NewConsentEvent {
            event: ConsentEvent {
                event_id,
                recorded_at: at,
                subject,
                customer: None,
                decision: ConsentDecision {
                    site,
                    kind: ConsentKind::AcceptAll,
                    source: ConsentSource::Banner,
                    choices: uniform_choices(site, true),
                    policy_version: "2024-11-26".into(),
                    language: Language::Nl,
                    notice_hash: "ab".repeat(32),
                    gpc: false,
                    withdrawn: Default::default(),
                },
                expires_at: at + time::Duration::days(365),
            },
            idempotency_key,
            user_agent_family: "chrome".into(),
        }
    }

    fn event() -> NewConsentEvent {
        let at = OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap();
        sample_event(
            Uuid::from_u128(0x1111),
            SubjectId::from_random_bytes([7; 16]),
            Uuid::from_u128(0x2222),
            at,
        )
    }

    /// Regression: hashes computed before the event's fields were declared once (with the field
    /// list written out in the hash code) still verify, so no ledger stored before breaks.
    #[test]
    fn events_hash_as_they_did_when_they_were_stored() {
        let mut event = event();
        assert_eq!(
            event.chain_hash(GENESIS_HASH).unwrap(),
            "dff56094da734609a09a0efae0c99106dea2e6599911bcefe0337a9e3bc7b831"
        );
        let decision = &mut event.event.decision;
        decision.kind = ConsentKind::Withdraw;
        decision.choices = uniform_choices(decision.site, false);
        decision.withdrawn = decision
            .choices
            .keys()
            .filter(|p| !p.is_locked())
            .copied()
            .collect();
        decision.gpc = true;
        event.event.customer = Some(CustomerNumber::parse("12345").unwrap());
        assert_eq!(
            event.chain_hash(&"cd".repeat(32)).unwrap(),
            "9ddc25c83e5213948163862948a2db06a84bf4406dd8464554ee5006d9f7f484"
        );
    }

    /// Every field the event serialises is covered by the hash: changing any one changes it.
    #[test]
    fn every_field_of_the_event_is_in_the_canonical_form() {
        let canonical: serde_json::Value =
            serde_json::from_str(&event().canonical_json().unwrap()).unwrap();
        let serialised = serde_json::to_value(event()).unwrap();
        assert_eq!(canonical, serialised);
        let names: Vec<&str> = canonical
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for name in names {
            assert!(
                HASH_ORDER.contains(&name),
                "`{name}` is hashed after the frozen order"
            );
        }
    }
}
