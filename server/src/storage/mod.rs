//! Storage behind one trait, one implementation per backend, chosen by the database URL. Handlers
//! see only [`Storage`]; SQL lives in the backend modules.

pub(crate) mod audit;
pub mod copy;
mod ledger;
mod postgres;
mod rows;
mod sqlite;

use async_trait::async_trait;
use privacy_shared::api::Recorded;
use privacy_shared::{ConsentReceipt, SubjectId};
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

pub use ledger::NewConsentEvent;
pub use postgres::PostgresStorage;
pub use postgres::connect as postgres_client;
pub use sqlite::SqliteStorage;

/// What can go wrong below the handlers.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The same idempotency key came back with a different event.
    #[error("the idempotency key was already used for a different event")]
    IdempotencyConflict,
    /// The write contradicts what is stored (such as an account that exists).
    #[error("{0}")]
    Conflict(String),
    /// The database failed or is gone; nothing was written.
    #[error("database failure: {0}")]
    Database(String),
}

/// Everything the server keeps, one trait per aggregate; a backend implements them all.
pub trait Storage: Ledger + Requests + Outbox + Staff + Audit + Maintenance {}

impl<T: Ledger + Requests + Outbox + Staff + Audit + Maintenance> Storage for T {}

/// The consent ledger: append-only events in one hash chain.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Appends a consent event to the ledger and answers once it is durable. A reused idempotency
    /// key with the same content returns the first receipt and writes nothing.
    async fn record_consent(&self, event: NewConsentEvent) -> Result<Recorded, StorageError>;

    async fn consent_receipt(&self, event_id: Uuid)
    -> Result<Option<ConsentReceipt>, StorageError>;

    /// The newest `limit` events of `subject` made without a customer's identity, oldest first.
    async fn subject_history(
        &self,
        subject: SubjectId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError>;

    /// A customer's events on a site from any of their devices, newest first, at most `limit`.
    async fn customer_history(
        &self,
        customer: privacy_shared::CustomerNumber,
        site: privacy_shared::SiteId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError>;

    /// Recomputes the ledger's hash chain from the stored rows.
    async fn verify_ledger(&self)
    -> Result<privacy_shared::wire::LedgerVerification, StorageError>;

    /// Granted and refused counts per site, purpose and day; events per site, kind and day.
    async fn consent_stats(&self) -> Result<privacy_shared::wire::ConsentStats, StorageError>;
}

/// Rights requests with their history, codes, answer files and what the server holds about a person.
#[async_trait]
pub trait Requests: Send + Sync {
    /// The rights requests filed with a customer's identity, newest first.
    async fn customer_requests(
        &self,
        customer: privacy_shared::CustomerNumber,
    ) -> Result<Vec<crate::requests::StoredRequest>, StorageError>;

    /// Stores a new rights request with its first history entry and, for a visitor, the e-mail
    /// with the code, in one transaction.
    async fn create_request(
        &self,
        request: crate::requests::NewRightsRequest,
        email: Option<crate::requests::Email>,
    ) -> Result<(), StorageError>;

    /// A request with its history.
    async fn request(
        &self,
        id: Uuid,
    ) -> Result<Option<crate::requests::StoredRequest>, StorageError>;

    /// What checking a request's e-mail code needs; `None` when there is no such request.
    async fn code_state(&self, id: Uuid) -> Result<Option<CodeState>, StorageError>;

    /// Counts a wrong code durably (one more attempt).
    async fn count_wrong_code(&self, id: Uuid) -> Result<(), StorageError>;

    /// Verifies a request awaiting verification whose attempts are still `attempts` (what the
    /// check read): its status becomes `history.status`, the code is dropped, the history line
    /// written. A [`StorageError::Conflict`] when it changed meanwhile; `None` when it is gone.
    async fn verify_request(
        &self,
        id: Uuid,
        attempts: u32,
        history: crate::requests::HistoryNote,
        at: time::OffsetDateTime,
    ) -> Result<Option<crate::requests::StoredRequest>, StorageError>;

    /// Verified requests, open ones by days left first.
    async fn inbox(
        &self,
        today: time::Date,
    ) -> Result<Vec<privacy_shared::wire::RequestSummary>, StorageError>;

    /// Stores a change the workflow decided ([`crate::answers::act`]) in one transaction: the
    /// request's new state, its history line, the e-mail, the sealed files, the audit entries and,
    /// for a completed erasure, the erasure. A [`StorageError::Conflict`] when the stored status is
    /// no longer `change.from`; `None` when there is no such request.
    async fn apply_request_change(
        &self,
        change: RequestChange,
    ) -> Result<Option<crate::requests::StoredRequest>, StorageError>;

    /// The sealed files of a request's answer.
    async fn answer_files(&self, request: Uuid) -> Result<Vec<StoredAttachment>, StorageError>;

    /// What the server holds about a person: the consent events of their customer number or of
    /// their browser's subject id, and every request filed with their address or customer number.
    async fn person_data(
        &self,
        email: Option<privacy_shared::EmailAddress>,
        customer: Option<privacy_shared::CustomerNumber>,
        subject: Option<SubjectId>,
    ) -> Result<crate::export::PersonData, StorageError>;
}

/// The e-mail outbox.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Every e-mail in the outbox, oldest first.
    async fn outbox(&self, request: Option<Uuid>) -> Result<Vec<OutboxRow>, StorageError>;

    /// Unsent e-mails whose next attempt is due, with fewer than `max_attempts` failures.
    async fn due_mail(
        &self,
        now: time::OffsetDateTime,
        max_attempts: u32,
    ) -> Result<Vec<OutboxRow>, StorageError>;

    /// Marks an e-mail delivered and erases its body, which may hold a verification code.
    async fn mail_sent(&self, id: Uuid, at: time::OffsetDateTime) -> Result<(), StorageError>;

    /// Counts a failed attempt and schedules the next.
    async fn mail_failed(
        &self,
        id: Uuid,
        error: String,
        next_attempt: time::OffsetDateTime,
    ) -> Result<(), StorageError>;
}

/// Staff accounts and their sessions.
#[async_trait]
pub trait Staff: Send + Sync {
    /// Creates a staff account; an existing address is a conflict.
    async fn create_staff(
        &self,
        email: privacy_shared::EmailAddress,
        password_hash: String,
        totp_secret: String,
        role: privacy_shared::wire::StaffRole,
    ) -> Result<(), StorageError>;

    async fn staff(&self, email: String) -> Result<Option<StaffRecord>, StorageError>;

    /// Marks a TOTP step as used (and the account's wrong sign-ins as over); `false` if it (or a
    /// later one) was used before.
    async fn accept_totp_step(&self, email: String, step: i64) -> Result<bool, StorageError>;

    /// Counts a wrong sign-in of the account (any case of `email`) at `now` and returns until
    /// when its next attempt waits ([`crate::limits::login_wait`]); `None` without a wait or
    /// without such an account. Kept with the account: every instance sees it.
    async fn login_failed(
        &self,
        email: String,
        now: time::OffsetDateTime,
    ) -> Result<Option<time::OffsetDateTime>, StorageError>;

    /// Gives the account a new TOTP secret that no code has confirmed yet (so the console's first
    /// sign-in shows it), ends the account's sessions and audits it; `false` when there is no
    /// such account.
    async fn reset_totp(
        &self,
        email: privacy_shared::EmailAddress,
        totp_secret: String,
    ) -> Result<bool, StorageError>;

    /// Stores a session (by the hash of its token) and audits the login.
    async fn create_session(
        &self,
        token_hash: String,
        email: privacy_shared::EmailAddress,
        now: time::OffsetDateTime,
        expires: time::OffsetDateTime,
    ) -> Result<(), StorageError>;

    /// The staff member a live session belongs to, with its end.
    async fn session(
        &self,
        token_hash: String,
        now: time::OffsetDateTime,
    ) -> Result<Option<privacy_shared::wire::AdminSession>, StorageError>;

    /// Ends a session (logout) and audits it; ending one that is gone already is no error.
    async fn end_session(
        &self,
        token_hash: String,
        actor: privacy_shared::EmailAddress,
    ) -> Result<(), StorageError>;
}

/// The hash-chained audit log of what staff did.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Appends to the hash-chained audit log.
    async fn audit(
        &self,
        actor: privacy_shared::EmailAddress,
        action: &'static str,
        request: Option<Uuid>,
        detail: Option<String>,
    ) -> Result<(), StorageError>;

    /// The newest `limit` audit entries, and the position of the first broken link, if any.
    async fn audit_log(
        &self,
        limit: u32,
    ) -> Result<(Vec<privacy_shared::wire::AuditEntry>, Option<u64>), StorageError>;
}

/// Keeping the database: retention, liveness, backups.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Deletes what its retention period has passed at `now` and says how much, by kind.
    async fn run_retention(
        &self,
        now: time::OffsetDateTime,
        periods: RetentionPeriods,
    ) -> Result<RetentionReport, StorageError>;

    /// Proves the database answers.
    async fn ping(&self) -> Result<(), StorageError>;

    /// Writes a consistent copy of the whole database to `to` (a new file), while it serves.
    async fn backup(&self, to: std::path::PathBuf) -> Result<(), StorageError>;
}

/// The e-mail code of a request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    pub status: privacy_shared::rights::RequestStatus,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<time::OffsetDateTime>,
    pub attempts: u32,
}

/// A change to a rights request as the workflow decided it, to be stored at once.
#[derive(Debug, Clone)]
pub struct RequestChange {
    pub id: Uuid,
    /// The status the decision was made from.
    pub from: privacy_shared::rights::RequestStatus,
    /// The request as it is to be (status, due date, extension reason, answer, refusal).
    pub to: crate::requests::StoredRequest,
    pub history: crate::requests::HistoryNote,
    pub email: Option<crate::requests::Email>,
    pub attachments: Vec<StoredAttachment>,
    pub actor: privacy_shared::EmailAddress,
    /// Audit entries, in order.
    pub audit: Vec<crate::requests::AuditNote>,
    /// Completing an erasure erases the person's other data in the same transaction.
    pub erase: Option<crate::requests::Erasure>,
    pub at: time::OffsetDateTime,
}

/// A ledger verification as `ledger verify` and `copy` print it.
pub fn describe_verification(verification: &privacy_shared::wire::LedgerVerification) -> String {
    match &verification.first_broken {
        None => format!("ledger intact: {} events verified", verification.events),
        Some(link) => format!(
            "ledger broken at event #{} ({}): {}",
            link.seq, link.event_id, link.reason
        ),
    }
}

/// The inbox's order: open requests first, fewest days left first; closed ones after, newest
/// first.
pub fn sort_inbox(inbox: &mut [privacy_shared::wire::RequestSummary]) {
    inbox.sort_by_key(|r| {
        (
            r.status.is_closed(),
            r.status
                .is_closed()
                .then_some(std::cmp::Reverse(r.received_at)),
            r.days_left,
        )
    });
}

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub email: privacy_shared::EmailAddress,
    pub password_hash: String,
    pub totp_secret: String,
    pub role: privacy_shared::wire::StaffRole,
    pub last_totp_step: i64,
    /// Until when the next sign-in waits after wrong ones, if it does.
    pub login_wait_until: Option<time::OffsetDateTime>,
}

/// A file of an answer as stored: its content sealed by [`crate::vault::Vault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    /// The size of the content before sealing.
    pub size: u64,
    /// Part of the automatic export, rather than attached by staff.
    pub export: bool,
    pub sealed: crate::vault::Sealed,
}

/// One e-mail of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub request: Option<Uuid>,
    pub queued_at: time::OffsetDateTime,
    pub sent: bool,
    pub attempts: u32,
}

/// How long data is kept (PRODUCT.md §6.3 fixes unverified requests at 14 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionPeriods {
    /// Closed requests (completed, refused, withdrawn), counted from their last change.
    pub closed_request_days: u32,
    /// Ledger events, counted from when they were recorded.
    pub consent_event_days: u32,
    /// Audit log entries (with the officers' notes and file names), counted from when they were
    /// written; the chain verifies from the last one deleted.
    pub audit_entry_days: u32,
}

impl Default for RetentionPeriods {
    fn default() -> Self {
        // Proof of consent and of handled requests is kept for the Dutch limitation period of
        // five years unless configured otherwise.
        Self {
            closed_request_days: 5 * 365,
            consent_event_days: 5 * 365,
            audit_entry_days: 5 * 365,
        }
    }
}

/// What a retention run deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    pub unverified_requests: usize,
    pub closed_requests: usize,
    /// Files of the answers of those closed requests.
    pub answer_files: usize,
    pub consent_events: usize,
    pub audit_entries: usize,
}

/// Where the data lives, read from a URL such as `sqlite://data/privacy.db` or
/// `postgres://privacy@db.internal/privacy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(PostgresUrl),
}

/// A PostgreSQL URL, which may hold a password: shown without it.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `postgres://user:password@host/db` shows as `postgres://user:***@host/db`.
        match self.0.split_once("://").and_then(|(scheme, rest)| {
            let (credentials, host) = rest.split_once('@')?;
            let (user, _) = credentials.split_once(':')?;
            Some(format!("{scheme}://{user}:***@{host}"))
        }) {
            Some(redacted) => f.write_str(&redacted),
            None => f.write_str(&self.0),
        }
    }
}

/// The database URL is not one this server can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("unsupported database URL `{0}`: expected sqlite://PATH or postgres://USER@HOST/NAME")]
    Unsupported(String),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let sqlite = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        if let Some(path) = sqlite.filter(|p| !p.is_empty()) {
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(PostgresUrl(url.to_owned())));
        }
        Err(DatabaseUrlError::Unsupported(
            url.chars().take(40).collect(),
        ))
    }
}

/// Opens (creating and migrating where needed) the database at `url`. PostgreSQL needs a Tokio
/// runtime, where its ledger writer runs.
pub fn open(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Storage>> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStorage::open(path)?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PostgresStorage::open(url.expose())?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_backend() {
        assert_eq!(
            "sqlite://data/x.db".parse(),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            "sqlite:/tmp/x.db".parse(),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        let postgres: DatabaseUrl = "postgres://privacy:secret@db:5432/x".parse().unwrap();
        assert_eq!(
            format!("{postgres:?}"),
            "Postgres(postgres://privacy:***@db:5432/x)",
            "the password never prints"
        );
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }
}
