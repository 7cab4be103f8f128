//! The audit log's hash chain, the same on every backend: each entry's hash is SHA-256 over the
//! previous hash and the entry's canonical JSON.

use sha2::{Digest, Sha256};

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
