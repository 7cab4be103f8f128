//! The audit log's hash chain, the same on every backend: each entry's hash is SHA-256 over the
//! previous hash and the entry's canonical JSON.

use privacy_shared::EmailAddress;
use privacy_shared::wire::AuditEntry;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The `prev_hash` of the first entry.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an audit entry written at `at` (RFC 3339) after the entry hashed `prev`.
pub fn audit_hash(
    prev: &str,
    at: &str,
    actor: &str,
    action: &str,
    request: Option<&str>,
    detail: Option<&str>,
) -> String {
    let canonical = serde_json::json!({ "at": at, "actor": actor, "action": action, "request": request, "detail": detail });
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

/// An audit entry as stored.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub request: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The newest `limit` entries of the log (`rows` in order, starting from the chain's `anchor`),
/// and the position of the first entry whose link or hash does not verify.
pub fn verify(
    anchor: Option<String>,
    rows: Vec<AuditRow>,
    limit: u32,
) -> (Vec<AuditEntry>, Option<u64>) {
    let mut expected = anchor.unwrap_or_else(|| AUDIT_GENESIS.to_owned());
    let mut first_broken = None;
    let mut entries = Vec::new();
    for row in rows {
        let recomputed = audit_hash(
            &row.prev_hash,
            &row.at,
            &row.actor,
            &row.action,
            row.request.as_deref(),
            row.detail.as_deref(),
        );
        if first_broken.is_none() && (row.prev_hash != expected || recomputed != row.hash) {
            first_broken = Some(row.seq);
        }
        expected = row.hash.clone();
        if let (Ok(at), Ok(actor)) = (
            OffsetDateTime::parse(&row.at, &Rfc3339),
            EmailAddress::parse(&row.actor),
        ) {
            entries.push(AuditEntry {
                at,
                actor,
                action: row.action,
                request: row.request.and_then(|r| r.parse().ok()),
                hash: row.hash,
            });
        }
    }
    entries.reverse();
    entries.truncate(limit as usize);
    (entries, first_broken)
}
