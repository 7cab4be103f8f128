//! Reading stored rows into the server's types, once for every backend: each backend's row type
//! implements [`Cols`] and the decoders here do the rest. The columns are the same on SQLite and
//! PostgreSQL (times as RFC 3339 text, the shared enums as their serde names, JSON as text).

use privacy_shared::rights::RequestStatus;
use privacy_shared::{ConsentDecision, ConsentEvent, ConsentReceipt, CustomerNumber, SiteId};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime};

use super::{CodeState, OutboxRow, StaffRecord};
use crate::requests::StoredRequest;

/// A stored row, by column name. Errors say which column and why.
pub trait Cols {
    fn opt_text(&self, column: &str) -> Result<Option<String>, String>;
    fn int(&self, column: &str) -> Result<i64, String>;
    fn flag(&self, column: &str) -> Result<bool, String>;

    fn text(&self, column: &str) -> Result<String, String> {
        self.opt_text(column)?
            .ok_or_else(|| format!("{column}: NULL where a value was written"))
    }
}

fn bad(column: &str, e: impl std::fmt::Display) -> String {
    format!("{column}: {e}")
}

fn parsed<T: std::str::FromStr<Err: std::fmt::Display>>(
    row: &impl Cols,
    column: &str,
) -> Result<T, String> {
    row.text(column)?.parse().map_err(|e| bad(column, e))
}

/// A column holding one of the shared enums, stored as its serde name.
pub fn typed<T: serde::de::DeserializeOwned>(row: &impl Cols, column: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(row.text(column)?)).map_err(|e| bad(column, e))
}

fn json<T: serde::de::DeserializeOwned>(row: &impl Cols, column: &str) -> Result<T, String> {
    serde_json::from_str(&row.text(column)?).map_err(|e| bad(column, e))
}

pub fn time(row: &impl Cols, column: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(&row.text(column)?, &Rfc3339).map_err(|e| bad(column, e))
}

pub fn date(row: &impl Cols, column: &str) -> Result<Date, String> {
    Date::parse(&row.text(column)?, &Iso8601::DATE).map_err(|e| bad(column, e))
}

/// The site a row names, readable even when the configuration no longer holds it.
pub fn site(row: &impl Cols) -> Result<SiteId, String> {
    privacy_shared::site::stored(&row.text("site")?).map_err(|e| bad("site", e))
}

fn unsigned(row: &impl Cols, column: &str) -> Result<u64, String> {
    u64::try_from(row.int(column)?).map_err(|e| bad(column, e))
}

/// The columns of a staff account, as [`staff`] reads them.
pub const STAFF_COLUMNS: &str =
    "email, password_hash, totp_secret, role, last_totp_step, login_wait_until";

pub fn staff(row: &impl Cols) -> Result<StaffRecord, String> {
    Ok(StaffRecord {
        email: privacy_shared::EmailAddress::parse(&row.text("email")?)
            .map_err(|e| bad("email", e))?,
        password_hash: row.text("password_hash")?,
        totp_secret: row.text("totp_secret")?,
        role: typed(row, "role")?,
        last_totp_step: row.int("last_totp_step")?,
        login_wait_until: row
            .opt_text("login_wait_until")?
            .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|e| bad("login_wait_until", e)))
            .transpose()?,
    })
}

/// The columns of a consent event, in the order [`consent_receipt`] reads them.
pub const EVENT_COLUMNS: &str = "event_id, recorded_at, site, subject_id, kind, source, choices, \
     policy_version, language, notice_hash, gpc, expires_at, prev_hash, hash, customer, withdrawn";

pub fn consent_event(row: &impl Cols) -> Result<ConsentEvent, String> {
    Ok(ConsentEvent {
        event_id: parsed(row, "event_id")?,
        recorded_at: time(row, "recorded_at")?,
        subject: parsed(row, "subject_id")?,
        customer: row
            .opt_text("customer")?
            .map(|c| CustomerNumber::parse(&c).map_err(|e| bad("customer", e)))
            .transpose()?,
        decision: ConsentDecision {
            site: site(row)?,
            kind: typed(row, "kind")?,
            source: typed(row, "source")?,
            choices: json(row, "choices")?,
            policy_version: row.text("policy_version")?,
            language: typed(row, "language")?,
            notice_hash: row.text("notice_hash")?,
            gpc: row.flag("gpc")?,
            withdrawn: json(row, "withdrawn")?,
        },
        expires_at: time(row, "expires_at")?,
    })
}

pub fn consent_receipt(row: &impl Cols) -> Result<ConsentReceipt, String> {
    Ok(ConsentReceipt {
        event: consent_event(row)?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

/// The stored event as the server wrote it, for the verifier to hash again.
pub fn stored_event(row: &impl Cols) -> Result<super::NewConsentEvent, String> {
    Ok(super::NewConsentEvent {
        event: consent_event(row)?,
        idempotency_key: parsed(row, "idempotency_key")?,
        user_agent_family: row.text("user_agent_family")?,
    })
}

/// A request's own row, without its history and files.
pub fn stored_request(row: &impl Cols) -> Result<StoredRequest, String> {
    Ok(StoredRequest {
        id: parsed(row, "id")?,
        site: site(row)?,
        kind: typed(row, "kind")?,
        status: typed(row, "status")?,
        language: typed(row, "language")?,
        email: row
            .opt_text("email")?
            .map(|e| privacy_shared::EmailAddress::parse(&e).map_err(|e| bad("email", e)))
            .transpose()?,
        customer: row
            .opt_text("customer")?
            .map(|c| CustomerNumber::parse(&c).map_err(|e| bad("customer", e)))
            .transpose()?,
        name: row.opt_text("name")?,
        details: row.opt_text("details")?,
        subject: row
            .opt_text("subject")?
            .map(|s| s.parse().map_err(|e| bad("subject", e)))
            .transpose()?,
        status_token_hash: row.text("status_token_hash")?,
        received_at: time(row, "received_at")?,
        due_date: date(row, "due_date")?,
        extension_reason: row.opt_text("extension_reason")?,
        answer: row.opt_text("answer")?,
        refusal_reasons: row.opt_text("refusal_reasons")?,
        history: Vec::new(),
        attachments: Vec::new(),
    })
}

pub fn code_state(row: &impl Cols) -> Result<CodeState, String> {
    Ok(CodeState {
        status: typed::<RequestStatus>(row, "status")?,
        code_hash: row.opt_text("code_hash")?,
        code_expires_at: row
            .opt_text("code_expires_at")?
            .and_then(|e| OffsetDateTime::parse(&e, &Rfc3339).ok()),
        attempts: u32::try_from(row.int("code_attempts")?).unwrap_or(u32::MAX),
    })
}

pub fn outbox_row(row: &impl Cols) -> Result<OutboxRow, String> {
    Ok(OutboxRow {
        id: parsed(row, "id")?,
        to: row.text("to_address")?,
        subject: row.text("subject")?,
        body: row.text("body")?,
        request: row.opt_text("request_id")?.and_then(|r| r.parse().ok()),
        queued_at: time(row, "queued_at")?,
        sent: row.opt_text("sent_at")?.is_some(),
        attempts: u32::try_from(unsigned(row, "attempts")?).unwrap_or(u32::MAX),
    })
}
