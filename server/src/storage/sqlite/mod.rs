//! The embedded SQLite backend. One writer thread owns the write connection and commits whatever
//! arrived while the previous commit ran as one transaction (group commit), so every answered
//! write is durable (WAL, `synchronous=FULL`) without one fsync per request. Reads use their own
//! connection.

use async_trait::async_trait;
use privacy_shared::api::Recorded;
use privacy_shared::{ConsentReceipt, CustomerNumber, SiteId, SubjectId};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

mod requests;
mod retention;
mod staff;
mod writer;

use super::ledger::{GENESIS_HASH, NewConsentEvent, StoredLink, verify_chain};
use super::rows::{self, Cols};
use super::{
    Audit, CodeState, Ledger, Maintenance, Outbox, OutboxRow, RequestChange, Requests,
    RetentionPeriods, RetentionReport, Staff, StaffRecord, StorageError, StoredAttachment,
};
use crate::requests::{Email, HistoryNote, NewRightsRequest, StoredRequest};
use privacy_shared::EmailAddress;
use privacy_shared::wire::LedgerVerification;
use privacy_shared::wire::{AdminSession, AuditEntry, ConsentStats, RequestSummary, StaffRole};

/// The migrations, in order; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_consent_ledger.sql"),
    include_str!("../../../migrations/sqlite/0002_rights_requests.sql"),
    include_str!("../../../migrations/sqlite/0003_ledger_anchor.sql"),
    include_str!("../../../migrations/sqlite/0004_staff.sql"),
    include_str!("../../../migrations/sqlite/0005_outbox_retries.sql"),
    include_str!("../../../migrations/sqlite/0006_answer_attachments.sql"),
    include_str!("../../../migrations/sqlite/0007_withdrawn_purposes.sql"),
    include_str!("../../../migrations/sqlite/0008_unlinked_events.sql"),
    include_str!("../../../migrations/sqlite/0009_audit_retention.sql"),
    include_str!("../../../migrations/sqlite/0010_staff_login_backoff.sql"),
];

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(e.to_string())
    }
}

pub struct SqliteStorage {
    writer: mpsc::Sender<Box<dyn writer::Job>>,
    readers: Arc<Readers>,
}

/// The read connections. In WAL mode readers never block the writer nor each other, so a slow
/// read (an export, a long history) holds one connection while the others keep answering.
struct Readers {
    connections: Vec<Mutex<Connection>>,
    next: std::sync::atomic::AtomicUsize,
}

/// How many read connections are kept open.
const READERS: usize = 4;

impl Readers {
    /// A free connection if there is one, else the next in turn (waiting for it).
    fn get(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StorageError> {
        for conn in &self.connections {
            if let Ok(guard) = conn.try_lock() {
                return Ok(guard);
            }
        }
        let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.connections[turn % self.connections.len()]
            .lock()
            .map_err(|_| StorageError::Database("reader lock poisoned".into()))
    }
}

fn connect(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A page cache of 16 MiB per connection (SQLite's default is 2 MiB): the writer finds the
    // ledger's index pages in memory instead of reading them again for every batch. Checkpoints
    // are the writer thread's, after it has answered a batch (`writer::CHECKPOINT_PAGES`).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA secure_delete = ON; PRAGMA cache_size = -16384;",
    )?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let done: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
        tx.commit()?;
        tracing::info!(migration = index + 1, "applied SQLite migration");
    }
    Ok(())
}

impl SqliteStorage {
    /// Opens the database file, creating it and its folder, and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StorageError::Database(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let mut write_conn = connect(path)?;
        migrate(&mut write_conn)?;
        let readers = Readers {
            connections: (0..READERS)
                .map(|_| connect(path).map(Mutex::new))
                .collect::<Result<_, _>>()?,
            next: std::sync::atomic::AtomicUsize::new(0),
        };
        let (writer, jobs) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::run(write_conn, jobs))
            .map_err(|e| StorageError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            writer,
            readers: Arc::new(readers),
        })
    }

    /// Runs `work` on the writer thread inside the next group commit and answers once it is
    /// durable (or failed).
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (job, answer) = writer::ClosureJob::new(work);
        let stopped = || StorageError::Database("the writer has stopped".into());
        self.writer.send(Box::new(job)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || query(&*readers.get()?))
            .await
            .map_err(|e| StorageError::Database(e.to_string()))?
    }
}

#[async_trait]
impl Ledger for SqliteStorage {
    #[tracing::instrument(skip_all, fields(site = %event.event.decision.site, kind = event.event.decision.kind.as_str()))]
    async fn record_consent(&self, event: NewConsentEvent) -> Result<Recorded, StorageError> {
        self.write(move |conn| append(conn, &event)).await
    }

    async fn consent_receipt(
        &self,
        event_id: Uuid,
    ) -> Result<Option<ConsentReceipt>, StorageError> {
        self.read(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM consent_events WHERE event_id = ?1");
            Ok(conn
                .query_row(&sql, [event_id.to_string()], receipt_from_row)
                .optional()?)
        })
        .await
    }

    async fn subject_history(
        &self,
        subject: SubjectId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT * FROM (SELECT {COLUMNS}, seq FROM consent_events \
                 WHERE subject_id = ?1 AND customer IS NULL ORDER BY seq DESC LIMIT ?2) ORDER BY seq"
            );
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map(params![subject.to_string(), limit], receipt_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn customer_history(
        &self,
        customer: CustomerNumber,
        site: SiteId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM consent_events WHERE customer = ?1 AND site = ?2 ORDER BY seq DESC LIMIT ?3"
            );
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map(params![customer.as_ref(), site.as_str(), limit], receipt_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn verify_ledger(&self) -> Result<LedgerVerification, StorageError> {
        self.read(|conn| {
            let sql = format!("SELECT {COLUMNS}, seq, idempotency_key, user_agent_family, unlinked_at IS NOT NULL AS unlinked FROM consent_events ORDER BY seq");
            let mut statement = conn.prepare(&sql)?;
            let links = statement.query_map([], |row| {
                let event = rows::stored_event(row);
                Ok(StoredLink {
                    seq: row.get("seq")?,
                    event_id: row.get::<_, String>("event_id").unwrap_or_default(),
                    event,
                    prev_hash: row.get::<_, String>("prev_hash").unwrap_or_default(),
                    hash: row.get::<_, String>("hash").unwrap_or_default(),
                    unlinked: row.get("unlinked").unwrap_or(false),
                })
            })?;
            let links: Vec<StoredLink> = links.collect::<Result<_, _>>()?;
            Ok(verify_chain(retention::anchor(conn, retention::Chain::LEDGER)?, links))
        })
        .await
    }

    async fn consent_stats(&self) -> Result<ConsentStats, StorageError> {
        self.read(staff::stats).await
    }
}

#[async_trait]
impl Requests for SqliteStorage {
    async fn customer_requests(
        &self,
        customer: CustomerNumber,
    ) -> Result<Vec<StoredRequest>, StorageError> {
        self.read(move |conn| requests::of_customer(conn, &customer))
            .await
    }

    async fn create_request(
        &self,
        request: NewRightsRequest,
        email: Option<Email>,
    ) -> Result<(), StorageError> {
        self.write(move |conn| requests::create(conn, &request, email.as_ref()))
            .await
    }

    async fn request(&self, id: Uuid) -> Result<Option<StoredRequest>, StorageError> {
        self.read(move |conn| requests::find(conn, id)).await
    }

    async fn code_state(&self, id: Uuid) -> Result<Option<CodeState>, StorageError> {
        self.read(move |conn| requests::code_state(conn, id)).await
    }

    async fn count_wrong_code(&self, id: Uuid) -> Result<(), StorageError> {
        self.write(move |conn| requests::count_wrong_code(conn, id))
            .await
    }

    async fn verify_request(
        &self,
        id: Uuid,
        attempts: u32,
        history: HistoryNote,
        at: OffsetDateTime,
    ) -> Result<Option<StoredRequest>, StorageError> {
        self.write(move |conn| requests::verify(conn, id, attempts, &history, at))
            .await
    }

    async fn inbox(&self, today: time::Date) -> Result<Vec<RequestSummary>, StorageError> {
        self.read(move |conn| staff::inbox(conn, today)).await
    }

    async fn apply_request_change(
        &self,
        change: RequestChange,
    ) -> Result<Option<StoredRequest>, StorageError> {
        self.write(move |conn| staff::apply_change(conn, &change))
            .await
    }

    async fn answer_files(&self, request: Uuid) -> Result<Vec<StoredAttachment>, StorageError> {
        self.read(move |conn| requests::attachments(conn, request))
            .await
    }

    async fn person_data(
        &self,
        email: Option<EmailAddress>,
        customer: Option<CustomerNumber>,
        subject: Option<SubjectId>,
    ) -> Result<crate::export::PersonData, StorageError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM consent_events WHERE (?1 IS NOT NULL AND customer = ?1) \
                 OR (?2 IS NOT NULL AND subject_id = ?2) ORDER BY seq"
            );
            let mut statement = conn.prepare(&sql)?;
            let customer = customer.as_ref().map(|c| c.as_ref().to_owned());
            let rows = statement.query_map(
                rusqlite::params![customer, subject.map(|s| s.to_string())],
                receipt_from_row,
            )?;
            let consent_events = rows.collect::<Result<Vec<_>, _>>()?;
            let requests = requests::requests_of(
                conn,
                email.as_ref().map(|e| e.as_ref()),
                customer.as_deref(),
            )?;
            Ok(crate::export::PersonData {
                consent_events,
                requests,
            })
        })
        .await
    }
}

#[async_trait]
impl Outbox for SqliteStorage {
    async fn outbox(&self, request: Option<Uuid>) -> Result<Vec<OutboxRow>, StorageError> {
        self.read(move |conn| requests::outbox(conn, request)).await
    }

    async fn due_mail(
        &self,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        self.read(move |conn| requests::due_mail(conn, now, max_attempts))
            .await
    }

    async fn mail_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<(), StorageError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE outbox SET sent_at = ?2, body = '', attempts = attempts + 1 WHERE id = ?1",
                [id.to_string(), rfc3339(at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: String,
        next_attempt: OffsetDateTime,
    ) -> Result<(), StorageError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                [id.to_string(), error, rfc3339(next_attempt)],
            )?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Staff for SqliteStorage {
    async fn create_staff(
        &self,
        email: EmailAddress,
        password_hash: String,
        totp_secret: String,
        role: StaffRole,
    ) -> Result<(), StorageError> {
        let now = OffsetDateTime::now_utc();
        self.write(move |conn| {
            staff::create_staff(conn, &email, &password_hash, &totp_secret, role, now)
        })
        .await
    }

    async fn staff(&self, email: String) -> Result<Option<StaffRecord>, StorageError> {
        self.read(move |conn| staff::staff(conn, &email)).await
    }

    async fn accept_totp_step(&self, email: String, step: i64) -> Result<bool, StorageError> {
        self.write(move |conn| staff::accept_totp_step(conn, &email, step))
            .await
    }

    async fn login_failed(
        &self,
        email: String,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StorageError> {
        self.write(move |conn| {
            let failures: Option<i64> = conn
                .query_row(
                    "UPDATE staff SET failed_logins = failed_logins + 1 \
                     WHERE email = ?1 COLLATE NOCASE RETURNING failed_logins",
                    [&email],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(failures) = failures else {
                return Ok(None);
            };
            let until = crate::limits::login_wait(failures).map(|wait| now + wait);
            conn.execute(
                "UPDATE staff SET login_wait_until = ?2 WHERE email = ?1 COLLATE NOCASE",
                rusqlite::params![email, until.map(rfc3339)],
            )?;
            Ok(until)
        })
        .await
    }

    async fn reset_totp(
        &self,
        email: EmailAddress,
        totp_secret: String,
    ) -> Result<bool, StorageError> {
        let now = OffsetDateTime::now_utc();
        self.write(move |conn| {
            let Some(account): Option<String> = conn
                .query_row(
                    "SELECT email FROM staff WHERE email = ?1 COLLATE NOCASE",
                    [email.as_ref()],
                    |r| r.get(0),
                )
                .optional()?
            else {
                return Ok(false);
            };
            conn.execute(
                "UPDATE staff SET totp_secret = ?2, last_totp_step = 0 WHERE email = ?1",
                rusqlite::params![account, totp_secret],
            )?;
            conn.execute("DELETE FROM staff_sessions WHERE email = ?1", [&account])?;
            staff::audit(conn, &account, "totp-reset", None, None, now)?;
            Ok(true)
        })
        .await
    }

    async fn create_session(
        &self,
        token_hash: String,
        email: EmailAddress,
        now: OffsetDateTime,
        expires: OffsetDateTime,
    ) -> Result<(), StorageError> {
        self.write(move |conn| {
            staff::create_session(conn, &token_hash, email.as_ref(), now, expires)?;
            staff::audit(conn, email.as_ref(), "login", None, None, now)
        })
        .await
    }

    async fn session(
        &self,
        token_hash: String,
        now: OffsetDateTime,
    ) -> Result<Option<AdminSession>, StorageError> {
        self.read(move |conn| staff::session(conn, &token_hash, now))
            .await
    }

    async fn end_session(
        &self,
        token_hash: String,
        actor: EmailAddress,
    ) -> Result<(), StorageError> {
        let now = OffsetDateTime::now_utc();
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?1",
                [&token_hash],
            )?;
            staff::audit(conn, actor.as_ref(), "logout", None, None, now)
        })
        .await
    }
}

#[async_trait]
impl Audit for SqliteStorage {
    async fn audit(
        &self,
        actor: EmailAddress,
        action: &'static str,
        request: Option<Uuid>,
        detail: Option<String>,
    ) -> Result<(), StorageError> {
        let now = OffsetDateTime::now_utc();
        self.write(move |conn| {
            staff::audit(
                conn,
                actor.as_ref(),
                action,
                request,
                detail.as_deref(),
                now,
            )
        })
        .await
    }

    async fn audit_log(&self, limit: u32) -> Result<(Vec<AuditEntry>, Option<u64>), StorageError> {
        self.read(move |conn| staff::audit_log(conn, limit)).await
    }
}

#[async_trait]
impl Maintenance for SqliteStorage {
    async fn run_retention(
        &self,
        now: OffsetDateTime,
        periods: RetentionPeriods,
    ) -> Result<RetentionReport, StorageError> {
        let report = self
            .write(move |conn| retention::run(conn, now, &periods))
            .await?;
        // What retention deleted is overwritten in the database file (`secure_delete`); copying
        // the log back and truncating it removes the old pages from the WAL file too.
        self.read(|conn| Ok(conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?))
            .await?;
        Ok(report)
    }

    async fn ping(&self) -> Result<(), StorageError> {
        // Constant time, whatever the size of the ledger.
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn backup(&self, to: std::path::PathBuf) -> Result<(), StorageError> {
        if to.exists() {
            return Err(StorageError::Conflict(format!(
                "{} exists; a backup is written to a new file",
                to.display()
            )));
        }
        // One read transaction: a snapshot of every table at one moment, compacted, while the
        // writer goes on.
        self.read(move |conn| {
            conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
            Ok(())
        })
        .await
    }
}

const COLUMNS: &str = rows::EVENT_COLUMNS;

/// A stored value that no longer parses: the column holds something the server never wrote.
fn bad(column: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, format!("{column}: {e}"), rusqlite::types::Type::Text)
}

fn text(row: &Row<'_>, column: &str) -> rusqlite::Result<String> {
    row.get(column)
}

/// A column holding one of the shared enums, stored as its serde name.
/// The site a row names, readable even when the configuration no longer holds it.
fn site(row: &Row<'_>) -> rusqlite::Result<privacy_shared::SiteId> {
    privacy_shared::site::stored(&text(row, "site")?).map_err(|e| bad("site", e))
}

fn typed<T: serde::de::DeserializeOwned>(row: &Row<'_>, column: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text(row, column)?))
        .map_err(|e| bad(column, e))
}

impl Cols for Row<'_> {
    fn opt_text(&self, column: &str) -> Result<Option<String>, String> {
        self.get(column).map_err(|e| format!("{column}: {e}"))
    }

    fn int(&self, column: &str) -> Result<i64, String> {
        self.get(column).map_err(|e| format!("{column}: {e}"))
    }

    fn flag(&self, column: &str) -> Result<bool, String> {
        self.get(column).map_err(|e| format!("{column}: {e}"))
    }
}

/// Reads a row with one of the shared decoders, inside a rusqlite callback.
fn read<T>(
    decode: impl Fn(&Row<'_>) -> Result<T, String>,
) -> impl Fn(&Row<'_>) -> rusqlite::Result<T> {
    move |row| decode(row).map_err(|e| bad("row", e))
}

fn receipt_from_row(row: &Row<'_>) -> rusqlite::Result<ConsentReceipt> {
    read(|r| rows::consent_receipt(r))(row)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The hash the next event chains to.
fn last_hash(conn: &Connection) -> Result<String, StorageError> {
    let hash = conn
        .prepare_cached("SELECT hash FROM consent_events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    // With every event deleted by retention, the chain goes on from the last deleted one.
    match hash {
        Some(hash) => Ok(hash),
        None => Ok(retention::anchor(conn, retention::Chain::LEDGER)?
            .unwrap_or_else(|| GENESIS_HASH.to_owned())),
    }
}

/// Stores one event inside the open transaction, or finds the first event of its idempotency key.
fn append(conn: &Connection, event: &NewConsentEvent) -> Result<Recorded, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM consent_events WHERE idempotency_key = ?1");
    let key = event.idempotency_key.to_string();
    // The writer runs these for every event: prepared once per connection, not per write.
    let first = conn
        .prepare_cached(&sql)?
        .query_row([&key], receipt_from_row)
        .optional()?;
    if let Some(first) = first {
        return if event.same_request_as(&first) {
            Ok(Recorded {
                receipt: first,
                created: false,
            })
        } else {
            Err(StorageError::IdempotencyConflict)
        };
    }
    let prev_hash = last_hash(conn)?;
    let hash = event
        .chain_hash(&prev_hash)
        .map_err(|e| StorageError::Database(format!("the event cannot be hashed: {e}")))?;
    let (stored, decision) = (&event.event, &event.event.decision);
    let choices = serde_json::to_string(&decision.choices)
        .map_err(|e| StorageError::Database(e.to_string()))?;
    let withdrawn = serde_json::to_string(&decision.withdrawn)
        .map_err(|e| StorageError::Database(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO consent_events (event_id, idempotency_key, site, subject_id, customer, recorded_at, kind, source, \
         choices, policy_version, language, notice_hash, user_agent_family, gpc, expires_at, prev_hash, hash, withdrawn) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
            stored.event_id.to_string(),
            key,
            decision.site.as_str(),
            stored.subject.to_string(),
            stored.customer.as_ref().map(|c| c.as_ref().to_owned()),
            rfc3339(stored.recorded_at),
            decision.kind.as_str(),
            decision.source.as_str(),
            choices,
            decision.policy_version,
            decision.language.as_str(),
            decision.notice_hash,
            event.user_agent_family,
            decision.gpc,
            rfc3339(stored.expires_at),
            &prev_hash,
            &hash,
            withdrawn,
    ])?;
    Ok(Recorded {
        receipt: event.receipt(prev_hash, hash.clone()),
        created: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slow reads (an export, a long history) each hold a connection; the others keep
    /// answering, and a writer's open transaction blocks no reader (WAL).
    #[tokio::test]
    async fn reads_answer_while_other_reads_and_a_write_are_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let storage = SqliteStorage::open(&path).unwrap();
        const { assert!(READERS > 1, "one slow read would stop every other") };
        let busy: Vec<_> = storage.readers.connections[..READERS - 1]
            .iter()
            .map(|c| c.lock().unwrap())
            .collect();
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "BEGIN IMMEDIATE; DELETE FROM consent_events; \
                 CREATE TABLE held_open (x INTEGER);",
            )
            .unwrap();
        let answered =
            tokio::time::timeout(std::time::Duration::from_secs(10), storage.ping()).await;
        assert!(matches!(answered, Ok(Ok(()))), "{answered:?}");
        let verified =
            tokio::time::timeout(std::time::Duration::from_secs(10), storage.verify_ledger()).await;
        assert!(matches!(verified, Ok(Ok(_))), "{verified:?}");
        drop(busy);
        writer.execute_batch("ROLLBACK").unwrap();
    }

    /// The writer copies the write-ahead log into the database once it holds
    /// `writer::CHECKPOINT_PAGES`, so it stays small under a steady stream of writes (each event
    /// also changes a random page of the subject index).
    #[tokio::test]
    async fn the_write_ahead_log_stays_under_its_checkpoint_mark() {
        use crate::storage::Ledger as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let storage = SqliteStorage::open(&path).unwrap();
        for n in 0..600u128 {
            let event = super::super::ledger::tests::sample_event(
                Uuid::now_v7(),
                SubjectId::from_random_bytes(Uuid::new_v4().into_bytes()),
                Uuid::from_u128(n),
                OffsetDateTime::now_utc(),
            );
            storage.record_consent(event).await.unwrap();
        }
        // One commit's pages may go past the mark before the checkpoint; a log four times as
        // long may not.
        let page = 4096 + 24;
        let wal = std::fs::metadata(dir.path().join("p.db-wal"))
            .unwrap()
            .len();
        let mark = 4 * u64::try_from(super::writer::CHECKPOINT_PAGES).unwrap();
        assert!(
            wal <= 32 + mark * page,
            "the WAL holds {} pages",
            wal / page
        );
        assert_eq!(storage.verify_ledger().await.unwrap().events, 600);
    }

    /// Health asks the database for `SELECT 1` and nothing else: it answers even when the
    /// ledger's table cannot be read, so its cost does not grow with the ledger.
    #[tokio::test]
    async fn the_health_check_reads_no_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let storage = SqliteStorage::open(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("ALTER TABLE consent_events RENAME TO consent_events_away;")
            .unwrap();
        storage.ping().await.unwrap();
    }
}
