//! The PostgreSQL backend, for several server instances sharing one database (PRODUCT.md §6.6).
//! The schema mirrors SQLite's (`migrations/postgres/`), times as the same RFC 3339 text the
//! hashes cover. What is decided lives above the storage (`answers`, `requests`, `audit`,
//! `ledger`); here it is stored.
//!
//! Across instances:
//! - the ledger stays one linear chain: each instance's ledger writer commits what arrived
//!   meanwhile as one transaction (group commit), holding the ledger's advisory lock, so the
//!   head it chains to is the head;
//! - the audit log chains the same way under its own lock, in the transaction of the change it
//!   audits;
//! - an e-mail is claimed by one instance for a while (`FOR UPDATE SKIP LOCKED`) before it is
//!   sent, so two senders never send it both;
//! - retention runs under a lock of its own, so two daily runs do not interleave.

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use privacy_shared::api::Recorded;
use privacy_shared::rights::{AttachmentInfo, HistoryEntry, RequestStatus};
use privacy_shared::wire::{
    AdminSession, AuditEntry, ConsentKindRow, ConsentStats, ConsentStatsRow, LedgerVerification,
    RequestSummary, StaffRole,
};
use privacy_shared::{ConsentReceipt, CustomerNumber, EmailAddress, SiteId, SubjectId};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::audit::{AUDIT_GENESIS, AuditRow, audit_hash};
use super::ledger::{GENESIS_HASH, NewConsentEvent, StoredLink, verify_chain};
use super::rows::{self, Cols};
use super::{
    Audit, CodeState, Ledger, Maintenance, Outbox, OutboxRow, RequestChange, Requests,
    RetentionPeriods, RetentionReport, Staff, StaffRecord, StorageError, StoredAttachment,
};
use crate::requests::{Email, Erased, Erasure, HistoryNote, NewRightsRequest, StoredRequest};
use crate::vault::Sealed;

/// The migrations, in order; `schema_migrations` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_initial.sql"),
    include_str!("../../migrations/postgres/0002_staff_login_backoff.sql"),
];

/// Advisory lock keys: one per chain, one for migrations, one for retention.
const LEDGER_LOCK: i64 = 0x7670_6c65_6467_6572;
const AUDIT_LOCK: i64 = 0x7670_6175_6469_7400;
const MIGRATION_LOCK: i64 = 0x7670_6d69_6772_6174;
const RETENTION_LOCK: i64 = 0x7670_7265_7465_6e74;

/// The most events one ledger commit takes.
const BATCH: usize = 512;

/// How long an instance holds an e-mail it claimed before another may try it.
const MAIL_CLAIM: time::Duration = time::Duration::minutes(5);

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection failure with its causes, as `database failure: error performing TLS handshake:
/// invalid peer certificate: UnknownIssuer`: the first line alone rarely says what to fix.
fn connect_failure(e: &(dyn std::error::Error + 'static)) -> StorageError {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    StorageError::Database(text)
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Database(e.to_string())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A value the server wrote that no longer parses.
fn bad(column: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Database(format!("{column}: {e}"))
}

impl Cols for Row {
    fn opt_text(&self, column: &str) -> Result<Option<String>, String> {
        self.try_get(column).map_err(|e| format!("{column}: {e}"))
    }

    fn int(&self, column: &str) -> Result<i64, String> {
        self.try_get(column).map_err(|e| format!("{column}: {e}"))
    }

    fn flag(&self, column: &str) -> Result<bool, String> {
        self.try_get(column).map_err(|e| format!("{column}: {e}"))
    }
}

/// Reads a row with one of the shared decoders.
fn read<T>(decode: impl Fn(&Row) -> Result<T, String>) -> impl Fn(&Row) -> Result<T, StorageError> {
    move |row| decode(row).map_err(StorageError::Database)
}

fn text(row: &Row, column: &str) -> Result<String, StorageError> {
    row.text(column).map_err(StorageError::Database)
}

fn optional(row: &Row, column: &str) -> Result<Option<String>, StorageError> {
    row.opt_text(column).map_err(StorageError::Database)
}

fn int(row: &Row, column: &str) -> Result<i64, StorageError> {
    Cols::int(row, column).map_err(StorageError::Database)
}

fn typed<T: serde::de::DeserializeOwned>(row: &Row, column: &str) -> Result<T, StorageError> {
    rows::typed(row, column).map_err(StorageError::Database)
}

fn time_of(row: &Row, column: &str) -> Result<OffsetDateTime, StorageError> {
    rows::time(row, column).map_err(StorageError::Database)
}

fn date_of(row: &Row, column: &str) -> Result<Date, StorageError> {
    rows::date(row, column).map_err(StorageError::Database)
}

fn site(row: &Row) -> Result<SiteId, StorageError> {
    rows::site(row).map_err(StorageError::Database)
}

fn parsed<T: std::str::FromStr<Err: std::fmt::Display>>(
    row: &Row,
    column: &str,
) -> Result<T, StorageError> {
    text(row, column)?.parse().map_err(|e| bad(column, e))
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

const COLUMNS: &str = rows::EVENT_COLUMNS;

/// One event waiting for the ledger writer, and where its answer goes.
type LedgerJob = (
    NewConsentEvent,
    oneshot::Sender<Result<Recorded, StorageError>>,
);

pub struct PostgresStorage {
    pool: Pool,
    ledger: mpsc::UnboundedSender<LedgerJob>,
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user@host:port/name`), runs pending
    /// migrations (one instance at a time) and starts this instance's ledger writer. Must be
    /// called inside a Tokio runtime; the migrations run on a thread of their own.
    pub fn open(url: &str) -> Result<Self, StorageError> {
        let (config, tls) = connection(url)?;
        let (migrate_config, migrate_tls) = (config.clone(), tls.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(db)?
                .block_on(migrate(migrate_config, migrate_tls))
        })
        .join()
        .map_err(|_| db("the migration thread panicked"))??;
        let recycling = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Tls::Off => Manager::from_config(config, tokio_postgres::NoTls, recycling),
            Tls::Verified(tls) => Manager::from_config(config, tls, recycling),
        };
        let pool = Pool::builder(manager).max_size(16).build().map_err(db)?;
        let (ledger, jobs) = mpsc::unbounded_channel();
        tokio::spawn(ledger_writer(pool.clone(), jobs));
        Ok(Self { pool, ledger })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StorageError> {
        self.pool.get().await.map_err(|e| connect_failure(&e))
    }

    async fn query_one_opt<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        decode: impl Fn(&Row) -> Result<T, StorageError>,
    ) -> Result<Option<T>, StorageError> {
        let client = self.client().await?;
        client
            .query_opt(sql, params)
            .await
            .map_err(db)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn query_all<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        decode: impl Fn(&Row) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let client = self.client().await?;
        client
            .query(sql, params)
            .await
            .map_err(db)?
            .iter()
            .map(decode)
            .collect()
    }

    async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, StorageError> {
        self.client().await?.execute(sql, params).await.map_err(db)
    }
}

/// How this instance talks to PostgreSQL: in the clear (no `sslmode`, or `disable`/`prefer`,
/// which this client cannot honour with TLS and so never negotiates), or over TLS with the
/// server's certificate and name verified (`sslmode=require`).
#[derive(Clone)]
enum Tls {
    Off,
    Verified(tokio_postgres_rustls::MakeRustlsConnect),
}

/// The connection settings of `url` and its TLS. Besides what tokio-postgres reads, the URL may
/// name the CA that signed the server's certificate, as libpq's `sslrootcert=/path/ca.pem`;
/// without it, the Mozilla roots are trusted.
fn connection(url: &str) -> Result<(tokio_postgres::Config, Tls), StorageError> {
    let bad = |why: String| StorageError::Database(format!("the PostgreSQL URL: {why}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut root_cert = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| match pair.strip_prefix("sslrootcert=") {
            Some(path) => {
                root_cert = Some(path.to_owned());
                None
            }
            // libpq's names for what `require` does here: the certificate and the name are
            // always verified.
            None if matches!(pair, "sslmode=verify-full" | "sslmode=verify-ca") => {
                Some("sslmode=require")
            }
            None => Some(pair),
        })
        .collect();
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    let config: tokio_postgres::Config = url.parse().map_err(|e| bad(format!("{e}")))?;
    if config.get_ssl_mode() != tokio_postgres::config::SslMode::Require {
        if root_cert.is_some() {
            return Err(bad("sslrootcert needs sslmode=require".into()));
        }
        return Ok((config, Tls::Off));
    }
    let mut roots = rustls::RootCertStore::empty();
    match &root_cert {
        Some(path) => {
            use rustls::pki_types::pem::PemObject as _;
            let certificates = rustls::pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            for certificate in certificates {
                let certificate =
                    certificate.map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
                roots
                    .add(certificate)
                    .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((
        config,
        Tls::Verified(tokio_postgres_rustls::MakeRustlsConnect::new(client)),
    ))
}

/// One connection, outside the pool, with the task that drives it.
async fn connect_one(
    config: &tokio_postgres::Config,
    tls: Tls,
) -> Result<
    (
        tokio_postgres::Client,
        tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
    ),
    StorageError,
> {
    let failed = |e: tokio_postgres::Error| connect_failure(&e);
    Ok(match tls {
        Tls::Off => {
            let (client, connection) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(failed)?;
            (client, tokio::spawn(connection))
        }
        Tls::Verified(tls) => {
            let (client, connection) = config.connect(tls).await.map_err(failed)?;
            (client, tokio::spawn(connection))
        }
    })
}

/// One connection to the database at `url` (with its TLS), for `privacy-server copy` and the
/// tests' own queries.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, StorageError> {
    let (config, tls) = connection(url)?;
    Ok(connect_one(&config, tls).await?.0)
}

/// Runs the migrations not yet applied, under a lock so that instances starting together run
/// each once.
async fn migrate(config: tokio_postgres::Config, tls: Tls) -> Result<(), StorageError> {
    let (mut client, driver) = connect_one(&config, tls).await?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
        .await
        .map_err(db)?;
    let done: i64 = tx
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .map_err(db)?
        .get(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(count_of(done)) {
        tx.batch_execute(sql).await.map_err(db)?;
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(db)?;
        tracing::info!(migration = index + 1, "applied PostgreSQL migration");
    }
    tx.commit().await.map_err(db)?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

fn count_of(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// This instance's ledger writer: takes the events that arrived meanwhile and commits them as one
/// transaction under the ledger's lock, then answers each.
async fn ledger_writer(pool: Pool, mut jobs: mpsc::UnboundedReceiver<LedgerJob>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let events: Vec<&NewConsentEvent> = batch.iter().map(|(event, _)| event).collect();
        let answers = match append_batch(&pool, &events).await {
            Ok(answers) => answers,
            Err(e) => vec![Err(e); batch.len()],
        };
        for ((_, reply), answer) in batch.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
    }
}

/// The columns of a new ledger row, in the order [`insert_events`] takes them.
const INSERTED: &str = "event_id, idempotency_key, site, subject_id, customer, recorded_at, kind, \
     source, choices, policy_version, language, notice_hash, user_agent_family, gpc, expires_at, \
     prev_hash, hash, withdrawn";

/// A batch's new rows in one statement: one array per column, unnested in order (`ORDER BY n`),
/// so the identity column numbers them as they chain.
fn insert_events() -> String {
    format!(
        "INSERT INTO consent_events ({INSERTED}) SELECT {INSERTED} FROM UNNEST(\
         $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bool[], \
         $15::text[], $16::text[], $17::text[], $18::text[]) WITH ORDINALITY AS u({INSERTED}, n) \
         ORDER BY n"
    )
}

/// A batch's new rows, a column each.
#[derive(Default)]
struct NewRows {
    event_id: Vec<String>,
    idempotency_key: Vec<String>,
    site: Vec<&'static str>,
    subject_id: Vec<String>,
    customer: Vec<Option<String>>,
    recorded_at: Vec<String>,
    kind: Vec<&'static str>,
    source: Vec<&'static str>,
    choices: Vec<String>,
    policy_version: Vec<String>,
    language: Vec<&'static str>,
    notice_hash: Vec<String>,
    user_agent_family: Vec<String>,
    gpc: Vec<bool>,
    expires_at: Vec<String>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
    withdrawn: Vec<String>,
}

impl NewRows {
    fn push(
        &mut self,
        event: &NewConsentEvent,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), StorageError> {
        let (stored, decision) = (&event.event, &event.event.decision);
        self.event_id.push(stored.event_id.to_string());
        self.idempotency_key.push(event.idempotency_key.to_string());
        self.site.push(decision.site.as_str());
        self.subject_id.push(stored.subject.to_string());
        self.customer
            .push(stored.customer.as_ref().map(|c| c.as_ref().to_owned()));
        self.recorded_at.push(rfc3339(stored.recorded_at));
        self.kind.push(decision.kind.as_str());
        self.source.push(decision.source.as_str());
        self.choices
            .push(serde_json::to_string(&decision.choices).map_err(db)?);
        self.policy_version.push(decision.policy_version.clone());
        self.language.push(decision.language.as_str());
        self.notice_hash.push(decision.notice_hash.clone());
        self.user_agent_family.push(event.user_agent_family.clone());
        self.gpc.push(decision.gpc);
        self.expires_at.push(rfc3339(stored.expires_at));
        self.prev_hash.push(prev_hash.to_owned());
        self.hash.push(hash.to_owned());
        self.withdrawn
            .push(serde_json::to_string(&decision.withdrawn).map_err(db)?);
        Ok(())
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 18] {
        [
            &self.event_id,
            &self.idempotency_key,
            &self.site,
            &self.subject_id,
            &self.customer,
            &self.recorded_at,
            &self.kind,
            &self.source,
            &self.choices,
            &self.policy_version,
            &self.language,
            &self.notice_hash,
            &self.user_agent_family,
            &self.gpc,
            &self.expires_at,
            &self.prev_hash,
            &self.hash,
            &self.withdrawn,
        ]
    }
}

/// Appends `events` in one transaction; each gets its own answer (a reused idempotency key is
/// that event's answer, not the batch's), and none is durable before the commit. The round trips
/// are per batch, not per event: one lookup of every key, one insert of every new row.
async fn append_batch(
    pool: &Pool,
    events: &[&NewConsentEvent],
) -> Result<Vec<Result<Recorded, StorageError>>, StorageError> {
    let mut client = pool.get().await.map_err(db)?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LEDGER_LOCK])
        .await
        .map_err(db)?;
    let mut prev_hash = last_hash(&tx, "consent_events", "ledger_anchor", GENESIS_HASH).await?;
    // One lookup per key, on the unique index whatever the statistics say (a generic plan of
    // `= ANY($1)` made while the table was small scans it whole), all sent at once: the client
    // pipelines them, so the batch waits one round trip.
    let find = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consent_events WHERE idempotency_key = $1"
        ))
        .await
        .map_err(db)?;
    let keys: Vec<String> = events
        .iter()
        .map(|e| e.idempotency_key.to_string())
        .collect();
    let params: Vec<[&(dyn tokio_postgres::types::ToSql + Sync); 1]> =
        keys.iter().map(|key| [key as _]).collect();
    let found = futures_util::future::try_join_all(params.iter().map(|p| tx.query_opt(&find, p)))
        .await
        .map_err(db)?;
    // Keys stored before, then those stored earlier in this batch, with their receipts.
    let mut known: std::collections::HashMap<String, ConsentReceipt> =
        std::collections::HashMap::new();
    for (key, row) in keys.iter().zip(found) {
        if let Some(row) = row {
            known.insert(key.clone(), read(rows::consent_receipt)(&row)?);
        }
    }
    let mut new_rows = NewRows::default();
    let mut answers = Vec::with_capacity(events.len());
    for (event, key) in events.iter().zip(keys) {
        if let Some(first) = known.get(&key) {
            answers.push(if event.same_request_as(first) {
                Ok(Recorded {
                    receipt: first.clone(),
                    created: false,
                })
            } else {
                Err(StorageError::IdempotencyConflict)
            });
            continue;
        }
        let hash = event
            .chain_hash(&prev_hash)
            .map_err(|e| StorageError::Database(format!("the event cannot be hashed: {e}")))?;
        new_rows.push(event, &prev_hash, &hash)?;
        let receipt = event.receipt(prev_hash, hash.clone());
        known.insert(key, receipt.clone());
        answers.push(Ok(Recorded {
            receipt,
            created: true,
        }));
        prev_hash = hash;
    }
    if !new_rows.event_id.is_empty() {
        let insert = tx.prepare_cached(&insert_events()).await.map_err(db)?;
        tx.execute(&insert, &new_rows.params()).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(answers)
}

/// The hash the next row of a chain links to: its last row's, else the anchor's (retention
/// deleted every row), else the genesis.
async fn last_hash(
    client: &impl GenericClient,
    table: &str,
    anchor: &str,
    genesis: &str,
) -> Result<String, StorageError> {
    let last = client
        .query_opt(
            &format!("SELECT hash FROM {table} ORDER BY seq DESC LIMIT 1"),
            &[],
        )
        .await
        .map_err(db)?;
    if let Some(row) = last {
        return text(&row, "hash");
    }
    Ok(chain_anchor(client, anchor)
        .await?
        .unwrap_or_else(|| genesis.to_owned()))
}

async fn chain_anchor(
    client: &impl GenericClient,
    anchor: &str,
) -> Result<Option<String>, StorageError> {
    client
        .query_opt(&format!("SELECT hash FROM {anchor} WHERE id = 1"), &[])
        .await
        .map_err(db)?
        .map(|row| text(&row, "hash"))
        .transpose()
}

/// Appends to the audit log inside `tx`, under the audit chain's lock.
async fn audit_in(
    tx: &impl GenericClient,
    actor: &str,
    action: &str,
    request: Option<Uuid>,
    detail: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), StorageError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
        .await
        .map_err(db)?;
    let prev = last_hash(tx, "audit_log", "audit_anchor", AUDIT_GENESIS).await?;
    let at = rfc3339(now);
    let request = request.map(|r| r.to_string());
    let hash = audit_hash(&prev, &at, actor, action, request.as_deref(), detail);
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, request_id, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&at, &actor, &action, &request, &detail, &prev, &hash],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn history_in(
    tx: &impl GenericClient,
    request: Uuid,
    at: OffsetDateTime,
    line: &HistoryNote,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO request_history (request_id, at, status, actor, note) VALUES ($1, $2, $3, $4, $5)",
        &[
            &request.to_string(),
            &rfc3339(at),
            &line.status.as_str(),
            &line.actor,
            &line.note,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn queue_email_in(
    tx: &impl GenericClient,
    email: &Email,
    request: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO outbox (id, to_address, subject, body, queued_at, request_id) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &Uuid::new_v4().to_string(),
            &email.to.as_ref(),
            &email.subject,
            &email.body,
            &rfc3339(at),
            &request.map(|r| r.to_string()),
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// A request with its history and its files' names.
async fn find_in(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<StoredRequest>, StorageError> {
    let id_text = id.to_string();
    let Some(row) = client
        .query_opt("SELECT * FROM rights_requests WHERE id = $1", &[&id_text])
        .await
        .map_err(db)?
    else {
        return Ok(None);
    };
    let mut request = read(rows::stored_request)(&row)?;
    request.history = client
        .query(
            "SELECT at, status, note FROM request_history WHERE request_id = $1 ORDER BY seq",
            &[&id_text],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|row| {
            Ok(HistoryEntry {
                at: time_of(row, "at")?,
                status: typed(row, "status")?,
                note: optional(row, "note")?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    request.attachments = client
        .query(
            "SELECT name, content_type, size FROM request_attachments WHERE request_id = $1 \
             ORDER BY created_at, seq",
            &[&id_text],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|row| {
            Ok(AttachmentInfo {
                name: text(row, "name")?,
                content_type: text(row, "content_type")?,
                size: u64::try_from(int(row, "size")?).unwrap_or(0),
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(Some(request))
}

/// The requests whose ids a query returns, each whole.
async fn requests_by_ids(
    client: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<StoredRequest>, StorageError> {
    let rows = client.query(sql, params).await.map_err(db)?;
    let mut found = Vec::new();
    for row in rows {
        let id: Uuid = parsed(&row, "id")?;
        found.extend(find_in(client, id).await?);
    }
    Ok(found)
}

#[async_trait]
impl Ledger for PostgresStorage {
    async fn record_consent(&self, event: NewConsentEvent) -> Result<Recorded, StorageError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StorageError::Database("the ledger writer has stopped".into());
        self.ledger.send((event, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn consent_receipt(
        &self,
        event_id: Uuid,
    ) -> Result<Option<ConsentReceipt>, StorageError> {
        self.query_one_opt(
            &format!("SELECT {COLUMNS} FROM consent_events WHERE event_id = $1"),
            &[&event_id.to_string()],
            read(rows::consent_receipt),
        )
        .await
    }

    async fn subject_history(
        &self,
        subject: SubjectId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError> {
        self.query_all(
            &format!(
                "SELECT * FROM (SELECT {COLUMNS}, seq FROM consent_events \
                 WHERE subject_id = $1 AND customer IS NULL ORDER BY seq DESC LIMIT $2) AS newest \
                 ORDER BY seq"
            ),
            &[&subject.to_string(), &i64::from(limit)],
            read(rows::consent_receipt),
        )
        .await
    }

    async fn customer_history(
        &self,
        customer: CustomerNumber,
        site: SiteId,
        limit: u32,
    ) -> Result<Vec<ConsentReceipt>, StorageError> {
        self.query_all(
            &format!(
                "SELECT {COLUMNS} FROM consent_events WHERE customer = $1 AND site = $2 \
                 ORDER BY seq DESC LIMIT $3"
            ),
            &[&customer.as_ref(), &site.as_str(), &i64::from(limit)],
            read(rows::consent_receipt),
        )
        .await
    }

    async fn verify_ledger(&self) -> Result<LedgerVerification, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS}, seq, idempotency_key, user_agent_family, \
                     unlinked_at IS NOT NULL AS unlinked FROM consent_events ORDER BY seq"
                ),
                &[],
            )
            .await
            .map_err(db)?;
        let links = rows
            .iter()
            .map(|row| {
                let event = rows::stored_event(row);
                Ok(StoredLink {
                    seq: u64::try_from(int(row, "seq")?).unwrap_or(0),
                    event_id: text(row, "event_id").unwrap_or_default(),
                    event,
                    prev_hash: text(row, "prev_hash").unwrap_or_default(),
                    hash: text(row, "hash").unwrap_or_default(),
                    unlinked: row.try_get("unlinked").unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let anchor = chain_anchor(&client, "ledger_anchor").await?;
        Ok(verify_chain(anchor, links))
    }

    async fn consent_stats(&self) -> Result<ConsentStats, StorageError> {
        let kinds = self
            .query_all(
                "SELECT site, kind, substr(recorded_at, 1, 10) AS day, count(*) AS events \
                 FROM consent_events GROUP BY site, kind, day ORDER BY day, site, kind",
                &[],
                |row| {
                    Ok(ConsentKindRow {
                        site: site(row)?,
                        kind: typed(row, "kind")?,
                        day: date_of(row, "day")?,
                        events: u64::try_from(int(row, "events")?).unwrap_or(0),
                    })
                },
            )
            .await?;
        let purposes = self
            .query_all(
                "SELECT site, choice.key AS purpose, substr(recorded_at, 1, 10) AS day, \
                        count(*) FILTER (WHERE choice.value = 'true') AS granted, \
                        count(*) FILTER (WHERE choice.value = 'false') AS refused \
                 FROM consent_events, jsonb_each_text(consent_events.choices::jsonb) AS choice \
                 GROUP BY site, purpose, day ORDER BY day, site, purpose",
                &[],
                |row| {
                    Ok(ConsentStatsRow {
                        site: site(row)?,
                        purpose: typed(row, "purpose")?,
                        day: date_of(row, "day")?,
                        granted: u64::try_from(int(row, "granted")?).unwrap_or(0),
                        refused: u64::try_from(int(row, "refused")?).unwrap_or(0),
                    })
                },
            )
            .await?;
        Ok(ConsentStats { purposes, kinds })
    }
}

#[async_trait]
impl Requests for PostgresStorage {
    async fn customer_requests(
        &self,
        customer: CustomerNumber,
    ) -> Result<Vec<StoredRequest>, StorageError> {
        let client = self.client().await?;
        requests_by_ids(
            &client,
            "SELECT id FROM rights_requests WHERE customer = $1 AND status != 'awaiting_verification' \
             ORDER BY received_at DESC LIMIT 100",
            &[&customer.as_ref()],
        )
        .await
    }

    async fn create_request(
        &self,
        request: NewRightsRequest,
        email: Option<Email>,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let (code_hash, code_expires) = match &request.code {
            Some((hash, expires)) => (Some(hash.clone()), Some(rfc3339(*expires))),
            None => (None, None),
        };
        tx.execute(
            "INSERT INTO rights_requests (id, site, kind, status, language, email, customer, name, details, \
             status_token_hash, received_at, due_date, code_hash, code_expires_at, subject) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &request.id.to_string(),
                &request.site.as_str(),
                &request.kind.as_str(),
                &request.status.as_str(),
                &request.language.as_str(),
                &request.email.as_ref().map(|e| e.as_ref().to_owned()),
                &request.customer.as_ref().map(|c| c.as_ref().to_owned()),
                &request.name,
                &request.details,
                &request.status_token_hash,
                &rfc3339(request.received_at),
                &request.due_date.to_string(),
                &code_hash,
                &code_expires,
                &request.subject.map(|s| s.to_string()),
            ],
        )
        .await
        .map_err(db)?;
        for line in &request.history {
            history_in(&tx, request.id, request.received_at, line).await?;
        }
        if let Some(email) = &email {
            queue_email_in(&tx, email, Some(request.id), request.received_at).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn request(&self, id: Uuid) -> Result<Option<StoredRequest>, StorageError> {
        let client = self.client().await?;
        find_in(&client, id).await
    }

    async fn code_state(&self, id: Uuid) -> Result<Option<CodeState>, StorageError> {
        self.query_one_opt(
            "SELECT status, code_hash, code_expires_at, code_attempts FROM rights_requests WHERE id = $1",
            &[&id.to_string()],
            read(rows::code_state),
        )
        .await
    }

    async fn count_wrong_code(&self, id: Uuid) -> Result<(), StorageError> {
        self.execute(
            "UPDATE rights_requests SET code_attempts = code_attempts + 1 WHERE id = $1",
            &[&id.to_string()],
        )
        .await
        .map(drop)
    }

    async fn verify_request(
        &self,
        id: Uuid,
        attempts: u32,
        history: HistoryNote,
        at: OffsetDateTime,
    ) -> Result<Option<StoredRequest>, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let changed = tx
            .execute(
                "UPDATE rights_requests SET status = $2, code_hash = NULL, code_expires_at = NULL \
                 WHERE id = $1 AND status = $3 AND code_attempts = $4",
                &[
                    &id.to_string(),
                    &history.status.as_str(),
                    &RequestStatus::AwaitingVerification.as_str(),
                    &i64::from(attempts),
                ],
            )
            .await
            .map_err(db)?;
        if changed == 0 {
            return match find_in(&tx, id).await? {
                Some(_) => Err(StorageError::Conflict(
                    "the request changed meanwhile".into(),
                )),
                None => Ok(None),
            };
        }
        history_in(&tx, id, at, &history).await?;
        let request = find_in(&tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(request)
    }

    async fn inbox(&self, today: Date) -> Result<Vec<RequestSummary>, StorageError> {
        let mut inbox = self
            .query_all(
                "SELECT id, kind, status, site, received_at, due_date, email FROM rights_requests \
                 WHERE status != 'awaiting_verification'",
                &[],
                |row| {
                    let due_date = date_of(row, "due_date")?;
                    let status: RequestStatus = typed(row, "status")?;
                    let (days_left, overdue) = RequestSummary::deadline(due_date, status, today);
                    Ok(RequestSummary {
                        id: parsed(row, "id")?,
                        kind: typed(row, "kind")?,
                        status,
                        site: site(row)?,
                        received_at: time_of(row, "received_at")?,
                        due_date,
                        days_left,
                        overdue,
                        email: optional(row, "email")?
                            .map(|e| EmailAddress::parse(&e).map_err(|e| bad("email", e)))
                            .transpose()?,
                    })
                },
            )
            .await?;
        super::sort_inbox(&mut inbox);
        Ok(inbox)
    }

    async fn apply_request_change(
        &self,
        change: RequestChange,
    ) -> Result<Option<StoredRequest>, StorageError> {
        let (id, r, at) = (change.id, &change.to, change.at);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let updated = tx
            .execute(
                "UPDATE rights_requests SET status = $2, due_date = $3, extension_reason = $4, \
                 answer = $5, refusal_reasons = $6 WHERE id = $1 AND status = $7",
                &[
                    &id.to_string(),
                    &r.status.as_str(),
                    &r.due_date.to_string(),
                    &r.extension_reason,
                    &r.answer,
                    &r.refusal_reasons,
                    &change.from.as_str(),
                ],
            )
            .await
            .map_err(db)?;
        if updated == 0 {
            return match find_in(&tx, id).await? {
                Some(_) => Err(StorageError::Conflict(
                    "the request changed meanwhile".into(),
                )),
                None => Ok(None),
            };
        }
        history_in(&tx, id, at, &change.history).await?;
        if let Some(email) = &change.email {
            queue_email_in(&tx, email, Some(id), at).await?;
        }
        for a in &change.attachments {
            tx.execute(
                "INSERT INTO request_attachments (id, request_id, name, content_type, size, export, nonce, ciphertext, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &a.id.to_string(),
                    &id.to_string(),
                    &a.name,
                    &a.content_type,
                    &i64::try_from(a.size).unwrap_or(i64::MAX),
                    &a.export,
                    &a.sealed.nonce,
                    &a.sealed.ciphertext,
                    &rfc3339(at),
                ],
            )
            .await
            .map_err(db)?;
        }
        let actor = change.actor.as_ref();
        for note in &change.audit {
            audit_in(
                &tx,
                actor,
                note.action,
                Some(id),
                note.detail.as_deref(),
                at,
            )
            .await?;
        }
        if let Some(erasure) = &change.erase {
            let erased = erase_person(&tx, id, erasure, at).await?;
            let detail = (erasure.describe)(erased);
            audit_in(&tx, actor, "erase", Some(id), Some(&detail), at).await?;
        }
        let request = find_in(&tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(request)
    }

    async fn answer_files(&self, request: Uuid) -> Result<Vec<StoredAttachment>, StorageError> {
        self.query_all(
            "SELECT * FROM request_attachments WHERE request_id = $1 ORDER BY created_at, seq",
            &[&request.to_string()],
            |row| {
                Ok(StoredAttachment {
                    id: parsed(row, "id")?,
                    name: text(row, "name")?,
                    content_type: text(row, "content_type")?,
                    size: u64::try_from(int(row, "size")?).unwrap_or(0),
                    export: row.try_get("export").map_err(|e| bad("export", e))?,
                    sealed: Sealed {
                        nonce: row.try_get("nonce").map_err(|e| bad("nonce", e))?,
                        ciphertext: row
                            .try_get("ciphertext")
                            .map_err(|e| bad("ciphertext", e))?,
                    },
                })
            },
        )
        .await
    }

    async fn person_data(
        &self,
        email: Option<EmailAddress>,
        customer: Option<CustomerNumber>,
        subject: Option<SubjectId>,
    ) -> Result<crate::export::PersonData, StorageError> {
        let customer = customer.as_ref().map(|c| c.as_ref().to_owned());
        let subject = subject.map(|s| s.to_string());
        let email = email.as_ref().map(|e| e.as_ref().to_owned());
        let consent_events = self
            .query_all(
                &format!(
                    "SELECT {COLUMNS} FROM consent_events WHERE ($1::text IS NOT NULL AND customer = $1) \
                     OR ($2::text IS NOT NULL AND subject_id = $2) ORDER BY seq"
                ),
                &[&customer, &subject],
                read(rows::consent_receipt),
            )
            .await?;
        let client = self.client().await?;
        // An unverified request may have been filed by anyone naming the address: not the
        // person's data.
        let requests = requests_by_ids(
            &client,
            "SELECT id FROM rights_requests WHERE (($1::text IS NOT NULL AND email = $1) \
             OR ($2::text IS NOT NULL AND customer = $2)) AND status != 'awaiting_verification' \
             ORDER BY received_at, id",
            &[&email, &customer],
        )
        .await?;
        Ok(crate::export::PersonData {
            consent_events,
            requests,
        })
    }
}

/// Erases the person of an erasure request in its completing transaction (see the SQLite
/// backend's `erase_person` for what stays and why).
async fn erase_person(
    tx: &impl GenericClient,
    request: Uuid,
    erasure: &Erasure,
    now: OffsetDateTime,
) -> Result<Erased, StorageError> {
    let email = erasure.email.as_ref().map(|e| e.as_ref().to_owned());
    let customer = erasure.customer.as_ref().map(|c| c.as_ref().to_owned());
    let requests = tx
        .execute(
            "DELETE FROM rights_requests WHERE id != $1 \
             AND (($2::text IS NOT NULL AND email = $2) OR ($3::text IS NOT NULL AND customer = $3))",
            &[&request.to_string(), &email, &customer],
        )
        .await
        .map_err(db)?;
    let events = match &customer {
        Some(customer) => tx
            .execute(
                "UPDATE consent_events SET customer = NULL, unlinked_at = $2 WHERE customer = $1",
                &[customer, &rfc3339(now)],
            )
            .await
            .map_err(db)?,
        None => 0,
    };
    Ok(Erased {
        requests: count(requests),
        events: count(events),
    })
}

#[async_trait]
impl Outbox for PostgresStorage {
    async fn outbox(&self, request: Option<Uuid>) -> Result<Vec<OutboxRow>, StorageError> {
        self.query_all(
            "SELECT * FROM outbox WHERE ($1::text IS NULL OR request_id = $1) ORDER BY queued_at, seq",
            &[&request.map(|r| r.to_string())],
            read(rows::outbox_row),
        )
        .await
    }

    /// Claims the due e-mails for this instance: each is due again only after [`MAIL_CLAIM`],
    /// so another instance does not send it meanwhile; sending marks it sent or failed.
    async fn due_mail(
        &self,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        self.query_all(
            "UPDATE outbox SET next_attempt_at = $3 WHERE id IN ( \
                 SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $1 \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= $2) \
                 ORDER BY queued_at, seq FOR UPDATE SKIP LOCKED) \
             RETURNING *",
            &[
                &i64::from(max_attempts),
                &rfc3339(now),
                &rfc3339(now + MAIL_CLAIM),
            ],
            read(rows::outbox_row),
        )
        .await
        .map(|mut rows| {
            rows.sort_by_key(|r| r.queued_at);
            rows
        })
    }

    async fn mail_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<(), StorageError> {
        self.execute(
            "UPDATE outbox SET sent_at = $2, body = '', attempts = attempts + 1 WHERE id = $1",
            &[&id.to_string(), &rfc3339(at)],
        )
        .await
        .map(drop)
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: String,
        next_attempt: OffsetDateTime,
    ) -> Result<(), StorageError> {
        self.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1",
            &[&id.to_string(), &error, &rfc3339(next_attempt)],
        )
        .await
        .map(drop)
    }
}

fn role_name(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Officer => "officer",
        StaffRole::Viewer => "viewer",
    }
}

#[async_trait]
impl Staff for PostgresStorage {
    async fn create_staff(
        &self,
        email: EmailAddress,
        password_hash: String,
        totp_secret: String,
        role: StaffRole,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // E-mail addresses are compared without case, as people type them.
        let exists = tx
            .query_opt(
                "SELECT 1 FROM staff WHERE lower(email) = lower($1) FOR UPDATE",
                &[&email.as_ref()],
            )
            .await
            .map_err(db)?;
        if exists.is_some() {
            return Err(StorageError::Conflict(format!(
                "a staff account for {email} exists"
            )));
        }
        tx.execute(
            "INSERT INTO staff (email, password_hash, totp_secret, role, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                &email.as_ref(),
                &password_hash,
                &totp_secret,
                &role_name(role),
                &rfc3339(OffsetDateTime::now_utc()),
            ],
        )
        .await
        .map_err(|e| match e.code() {
            Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                StorageError::Conflict(format!("a staff account for {email} exists"))
            }
            _ => db(e),
        })?;
        tx.commit().await.map_err(db)
    }

    async fn staff(&self, email: String) -> Result<Option<StaffRecord>, StorageError> {
        self.query_one_opt(
            &format!(
                "SELECT {} FROM staff WHERE lower(email) = lower($1)",
                rows::STAFF_COLUMNS
            ),
            &[&email],
            read(rows::staff),
        )
        .await
    }

    async fn accept_totp_step(&self, email: String, step: i64) -> Result<bool, StorageError> {
        let changed = self
            .execute(
                "UPDATE staff SET last_totp_step = $2, failed_logins = 0, login_wait_until = NULL \
                 WHERE email = $1 AND last_totp_step < $2",
                &[&email, &step],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn login_failed(
        &self,
        email: String,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // One statement counts, whichever instance the attempts reach: the row is the lock.
        let Some(row) = tx
            .query_opt(
                "UPDATE staff SET failed_logins = failed_logins + 1 \
                 WHERE lower(email) = lower($1) RETURNING email, failed_logins",
                &[&email],
            )
            .await
            .map_err(db)?
        else {
            return Ok(None);
        };
        let until = crate::limits::login_wait(int(&row, "failed_logins")?).map(|wait| now + wait);
        tx.execute(
            "UPDATE staff SET login_wait_until = $2 WHERE email = $1",
            &[&text(&row, "email")?, &until.map(rfc3339)],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(until)
    }

    async fn reset_totp(
        &self,
        email: EmailAddress,
        totp_secret: String,
    ) -> Result<bool, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let Some(row) = tx
            .query_opt(
                "SELECT email FROM staff WHERE lower(email) = lower($1) FOR UPDATE",
                &[&email.as_ref()],
            )
            .await
            .map_err(db)?
        else {
            return Ok(false);
        };
        let account = text(&row, "email")?;
        tx.execute(
            "UPDATE staff SET totp_secret = $2, last_totp_step = 0 WHERE email = $1",
            &[&account, &totp_secret],
        )
        .await
        .map_err(db)?;
        tx.execute("DELETE FROM staff_sessions WHERE email = $1", &[&account])
            .await
            .map_err(db)?;
        audit_in(
            &tx,
            &account,
            "totp-reset",
            None,
            None,
            OffsetDateTime::now_utc(),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn create_session(
        &self,
        token_hash: String,
        email: EmailAddress,
        now: OffsetDateTime,
        expires: OffsetDateTime,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "DELETE FROM staff_sessions WHERE expires_at < $1",
            &[&rfc3339(now)],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "INSERT INTO staff_sessions (token_hash, email, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &email.as_ref(), &rfc3339(now), &rfc3339(expires)],
        )
        .await
        .map_err(db)?;
        audit_in(&tx, email.as_ref(), "login", None, None, now).await?;
        tx.commit().await.map_err(db)
    }

    async fn session(
        &self,
        token_hash: String,
        now: OffsetDateTime,
    ) -> Result<Option<AdminSession>, StorageError> {
        self.query_one_opt(
            "SELECT staff.email, staff.role, staff_sessions.expires_at FROM staff_sessions \
             JOIN staff USING (email) WHERE token_hash = $1 AND expires_at > $2",
            &[&token_hash, &rfc3339(now)],
            |row| {
                Ok(AdminSession {
                    email: EmailAddress::parse(&text(row, "email")?)
                        .map_err(|e| bad("email", e))?,
                    role: typed(row, "role")?,
                    expires_at: time_of(row, "expires_at")?,
                })
            },
        )
        .await
    }

    async fn end_session(
        &self,
        token_hash: String,
        actor: EmailAddress,
    ) -> Result<(), StorageError> {
        let now = OffsetDateTime::now_utc();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[&token_hash],
        )
        .await
        .map_err(db)?;
        audit_in(&tx, actor.as_ref(), "logout", None, None, now).await?;
        tx.commit().await.map_err(db)
    }
}

#[async_trait]
impl Audit for PostgresStorage {
    async fn audit(
        &self,
        actor: EmailAddress,
        action: &'static str,
        request: Option<Uuid>,
        detail: Option<String>,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        audit_in(
            &tx,
            actor.as_ref(),
            action,
            request,
            detail.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn audit_log(&self, limit: u32) -> Result<(Vec<AuditEntry>, Option<u64>), StorageError> {
        let rows = self
            .query_all(
                "SELECT seq, at, actor, action, request_id, detail, prev_hash, hash FROM audit_log ORDER BY seq",
                &[],
                |row| {
                    Ok(AuditRow {
                        seq: u64::try_from(int(row, "seq")?).unwrap_or(0),
                        at: text(row, "at")?,
                        actor: text(row, "actor")?,
                        action: text(row, "action")?,
                        request: optional(row, "request_id")?,
                        detail: optional(row, "detail")?,
                        prev_hash: text(row, "prev_hash")?,
                        hash: text(row, "hash")?,
                    })
                },
            )
            .await?;
        let client = self.client().await?;
        let anchor = chain_anchor(&client, "audit_anchor").await?;
        Ok(super::audit::verify(anchor, rows, limit))
    }
}

/// Deletes the rows of a chain written before `cutoff`, as a prefix, after moving its anchor to
/// the last one deleted (as the SQLite backend's `drop_prefix`).
async fn drop_prefix(
    tx: &impl GenericClient,
    table: &str,
    anchor: &str,
    written: &str,
    cutoff: &str,
) -> Result<usize, StorageError> {
    let first_kept: Option<i64> = tx
        .query_opt(
            &format!("SELECT seq FROM {table} WHERE {written} >= $1 ORDER BY seq LIMIT 1"),
            &[&cutoff],
        )
        .await
        .map_err(db)?
        .map(|row| int(&row, "seq"))
        .transpose()?;
    let last_deleted = tx
        .query_opt(
            &format!(
                "SELECT seq, hash FROM {table} WHERE seq < coalesce($1, 9223372036854775807) \
                 ORDER BY seq DESC LIMIT 1"
            ),
            &[&first_kept],
        )
        .await
        .map_err(db)?;
    let Some(row) = last_deleted else {
        return Ok(0);
    };
    let (seq, hash) = (int(&row, "seq")?, text(&row, "hash")?);
    let deleted: i64 = tx
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE seq <= $1"),
            &[&seq],
        )
        .await
        .map_err(db)?
        .get(0);
    tx.execute(
        &format!(
            "INSERT INTO {anchor} (id, seq, hash, deleted) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             deleted = {anchor}.deleted + excluded.deleted"
        ),
        &[&seq, &hash, &deleted],
    )
    .await
    .map_err(db)?;
    Ok(count(
        tx.execute(&format!("DELETE FROM {table} WHERE seq <= $1"), &[&seq])
            .await
            .map_err(db)?,
    ))
}

#[async_trait]
impl Maintenance for PostgresStorage {
    async fn run_retention(
        &self,
        now: OffsetDateTime,
        periods: RetentionPeriods,
    ) -> Result<RetentionReport, StorageError> {
        let cutoff = |days: u32| rfc3339(now - time::Duration::days(i64::from(days)));
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // One run at a time across instances; each chain's appends wait for its deletion.
        for lock in [RETENTION_LOCK, LEDGER_LOCK, AUDIT_LOCK] {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .await
                .map_err(db)?;
        }
        let unverified_requests = count(
            tx.execute(
                "DELETE FROM rights_requests WHERE status = 'awaiting_verification' AND received_at < $1",
                &[&cutoff(privacy_shared::rights::UNVERIFIED_EXPIRY_DAYS as u32)],
            )
            .await
            .map_err(db)?,
        );
        const CLOSED_AND_DUE: &str = "SELECT id FROM rights_requests WHERE status IN ('completed', 'refused', 'withdrawn') \
             AND id IN (SELECT request_id FROM request_history GROUP BY request_id HAVING max(at) < $1)";
        let closed_cutoff = cutoff(periods.closed_request_days);
        let answer_files: i64 = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM request_attachments WHERE request_id IN ({CLOSED_AND_DUE})"
                ),
                &[&closed_cutoff],
            )
            .await
            .map_err(db)?
            .get(0);
        let closed_requests = count(
            tx.execute(
                &format!("DELETE FROM rights_requests WHERE id IN ({CLOSED_AND_DUE})"),
                &[&closed_cutoff],
            )
            .await
            .map_err(db)?,
        );
        let consent_events = drop_prefix(
            &tx,
            "consent_events",
            "ledger_anchor",
            "recorded_at",
            &cutoff(periods.consent_event_days),
        )
        .await?;
        let audit_entries = drop_prefix(
            &tx,
            "audit_log",
            "audit_anchor",
            "at",
            &cutoff(periods.audit_entry_days),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(RetentionReport {
            unverified_requests,
            closed_requests,
            answer_files: count_of(answer_files),
            consent_events,
            audit_entries,
        })
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.client()
            .await?
            .query_one("SELECT 1", &[])
            .await
            .map_err(db)
            .map(drop)
    }

    async fn backup(&self, _to: std::path::PathBuf) -> Result<(), StorageError> {
        Err(StorageError::Conflict(
            "a PostgreSQL database is backed up with pg_dump (see DEPLOYMENT.md)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_of(url: &str) -> Result<bool, String> {
        connection(url)
            .map(|(_, tls)| matches!(tls, Tls::Verified(_)))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn tls_is_used_when_the_url_requires_it_and_never_half_way() {
        let base = "postgres://privacy@db.internal:5432/privacy";
        assert_eq!(tls_of(base), Ok(false));
        assert_eq!(tls_of(&format!("{base}?sslmode=disable")), Ok(false));
        assert_eq!(tls_of(&format!("{base}?sslmode=require")), Ok(true));
        assert_eq!(tls_of(&format!("{base}?sslmode=verify-full")), Ok(true));
        assert_eq!(
            tls_of(&format!("{base}?sslmode=require&application_name=privacy")),
            Ok(true)
        );
        // A CA without TLS would look safe and be plain text: refused.
        let half = tls_of(&format!("{base}?sslrootcert=/etc/ca.pem")).unwrap_err();
        assert!(half.contains("sslrootcert needs sslmode=require"), "{half}");
        let missing = tls_of(&format!(
            "{base}?sslmode=require&sslrootcert=/nowhere/ca.pem"
        ))
        .unwrap_err();
        assert!(missing.contains("sslrootcert /nowhere/ca.pem"), "{missing}");
    }
}
