//! Rights requests, their history and the outbox in SQLite.

use privacy_shared::rights::{AttachmentInfo, HistoryEntry, RequestStatus};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{bad, rfc3339, text, typed};
use crate::requests::{Email, HistoryNote, NewRightsRequest, StoredRequest};
use crate::storage::{CodeState, OutboxRow, StorageError, StoredAttachment};
use crate::vault::Sealed;

pub fn history_entry(
    conn: &Connection,
    request: Uuid,
    at: OffsetDateTime,
    line: &HistoryNote,
) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO request_history (request_id, at, status, actor, note) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![request.to_string(), rfc3339(at), line.status.as_str(), line.actor, line.note],
    )?;
    Ok(())
}

pub fn queue_email(
    conn: &Connection,
    email: &Email,
    request: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO outbox (id, to_address, subject, body, queued_at, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            Uuid::new_v4().to_string(),
            email.to.as_ref(),
            email.subject,
            email.body,
            rfc3339(at),
            request.map(|r| r.to_string())
        ],
    )?;
    Ok(())
}

pub fn create(
    conn: &Connection,
    request: &NewRightsRequest,
    email: Option<&Email>,
) -> Result<(), StorageError> {
    let (code_hash, code_expires) = match &request.code {
        Some((hash, expires)) => (Some(hash.as_str()), Some(rfc3339(*expires))),
        None => (None, None),
    };
    conn.execute(
        "INSERT INTO rights_requests (id, site, kind, status, language, email, customer, name, details, \
         status_token_hash, received_at, due_date, code_hash, code_expires_at, subject) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            request.id.to_string(),
            request.site.as_str(),
            request.kind.as_str(),
            request.status.as_str(),
            request.language.as_str(),
            request.email.as_ref().map(|e| e.as_ref().to_owned()),
            request.customer.as_ref().map(|c| c.as_ref().to_owned()),
            request.name,
            request.details,
            request.status_token_hash,
            rfc3339(request.received_at),
            request.due_date.to_string(),
            code_hash,
            code_expires,
            request.subject.map(|s| s.to_string()),
        ],
    )?;
    for line in &request.history {
        history_entry(conn, request.id, request.received_at, line)?;
    }
    if let Some(email) = email {
        queue_email(conn, email, Some(request.id), request.received_at)?;
    }
    Ok(())
}

fn request_from_row(row: &Row<'_>) -> rusqlite::Result<StoredRequest> {
    super::read(|r| crate::storage::rows::stored_request(r))(row)
}

/// The verified requests filed with a customer's identity, newest first.
pub fn of_customer(
    conn: &Connection,
    customer: &privacy_shared::CustomerNumber,
) -> Result<Vec<StoredRequest>, StorageError> {
    let mut statement = conn.prepare(
        "SELECT id FROM rights_requests WHERE customer = ?1 AND status != 'awaiting_verification' \
         ORDER BY received_at DESC LIMIT 100",
    )?;
    let ids = statement
        .query_map([customer.as_ref()], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut found = Vec::new();
    for id in ids {
        let id = Uuid::parse_str(&id).map_err(|e| StorageError::Database(e.to_string()))?;
        found.extend(find(conn, id)?);
    }
    Ok(found)
}

pub fn find(conn: &Connection, id: Uuid) -> Result<Option<StoredRequest>, StorageError> {
    let Some(mut request) = conn
        .query_row(
            "SELECT * FROM rights_requests WHERE id = ?1",
            [id.to_string()],
            request_from_row,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut statement = conn.prepare(
        "SELECT at, status, note FROM request_history WHERE request_id = ?1 ORDER BY seq",
    )?;
    let history = statement.query_map([id.to_string()], |row| {
        Ok(HistoryEntry {
            at: OffsetDateTime::parse(&text(row, "at")?, &Rfc3339).map_err(|e| bad("at", e))?,
            status: typed(row, "status")?,
            note: row.get("note")?,
        })
    })?;
    request.history = history.collect::<Result<_, _>>()?;
    let mut statement = conn.prepare(
        "SELECT name, content_type, size FROM request_attachments WHERE request_id = ?1 \
         ORDER BY created_at, rowid",
    )?;
    let attachments = statement.query_map([id.to_string()], |row| {
        Ok(AttachmentInfo {
            name: row.get("name")?,
            content_type: row.get("content_type")?,
            size: row.get("size")?,
        })
    })?;
    request.attachments = attachments.collect::<Result<_, _>>()?;
    Ok(Some(request))
}

/// Stores sealed files of an answer.
pub fn insert_attachments(
    conn: &Connection,
    request: Uuid,
    attachments: &[StoredAttachment],
    now: OffsetDateTime,
) -> Result<(), StorageError> {
    for a in attachments {
        conn.execute(
            "INSERT INTO request_attachments (id, request_id, name, content_type, size, export, nonce, ciphertext, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                a.id.to_string(),
                request.to_string(),
                a.name,
                a.content_type,
                a.size,
                a.export,
                a.sealed.nonce,
                a.sealed.ciphertext,
                rfc3339(now)
            ],
        )?;
    }
    Ok(())
}

/// The sealed files of a request's answer, in the order they were attached.
pub fn attachments(
    conn: &Connection,
    request: Uuid,
) -> Result<Vec<StoredAttachment>, StorageError> {
    let mut statement = conn.prepare(
        "SELECT * FROM request_attachments WHERE request_id = ?1 ORDER BY created_at, rowid",
    )?;
    let rows = statement.query_map([request.to_string()], |row| {
        Ok(StoredAttachment {
            id: text(row, "id")?.parse().map_err(|e| bad("id", e))?,
            name: row.get("name")?,
            content_type: row.get("content_type")?,
            size: row.get("size")?,
            export: row.get("export")?,
            sealed: Sealed {
                nonce: row.get("nonce")?,
                ciphertext: row.get("ciphertext")?,
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every verified request filed with this e-mail address or customer number, oldest first. An
/// unverified one may have been filed by anyone naming the address, so it is no part of the
/// person's data.
pub fn requests_of(
    conn: &Connection,
    email: Option<&str>,
    customer: Option<&str>,
) -> Result<Vec<StoredRequest>, StorageError> {
    let mut statement = conn.prepare(
        "SELECT id FROM rights_requests WHERE ((?1 IS NOT NULL AND email = ?1) \
         OR (?2 IS NOT NULL AND customer = ?2)) AND status != 'awaiting_verification' \
         ORDER BY received_at, rowid",
    )?;
    let ids = statement
        .query_map(params![email, customer], |row| text(row, "id"))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut requests = Vec::new();
    for id in ids {
        if let Some(request) = find(conn, id.parse().map_err(|e| bad("id", e))?)? {
            requests.push(request);
        }
    }
    Ok(requests)
}

/// The e-mail code of request `id`.
pub fn code_state(conn: &Connection, id: Uuid) -> Result<Option<CodeState>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT status, code_hash, code_expires_at, code_attempts FROM rights_requests WHERE id = ?1",
            [id.to_string()],
            super::read(|r| crate::storage::rows::code_state(r)),
        )
        .optional()?)
}

pub fn count_wrong_code(conn: &Connection, id: Uuid) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE rights_requests SET code_attempts = code_attempts + 1 WHERE id = ?1",
        [id.to_string()],
    )?;
    Ok(())
}

/// Verifies a request still awaiting verification with `attempts` attempts.
pub fn verify(
    conn: &Connection,
    id: Uuid,
    attempts: u32,
    history: &HistoryNote,
    at: OffsetDateTime,
) -> Result<Option<StoredRequest>, StorageError> {
    let changed = conn.execute(
        "UPDATE rights_requests SET status = ?2, code_hash = NULL, code_expires_at = NULL \
         WHERE id = ?1 AND status = ?3 AND code_attempts = ?4",
        params![
            id.to_string(),
            history.status.as_str(),
            RequestStatus::AwaitingVerification.as_str(),
            attempts
        ],
    )?;
    if changed == 0 {
        return match find(conn, id)? {
            Some(_) => Err(StorageError::Conflict(
                "the request changed meanwhile".into(),
            )),
            None => Ok(None),
        };
    }
    history_entry(conn, id, at, history)?;
    find(conn, id)
}

/// Every e-mail in the outbox, or only those of one request.
pub fn outbox(conn: &Connection, request: Option<Uuid>) -> Result<Vec<OutboxRow>, StorageError> {
    match request {
        Some(id) => outbox_where(conn, "request_id = ?1", rusqlite::params![id.to_string()]),
        None => outbox_where(conn, "1 = 1", rusqlite::params![]),
    }
}

pub fn due_mail(
    conn: &Connection,
    now: OffsetDateTime,
    max_attempts: u32,
) -> Result<Vec<OutboxRow>, StorageError> {
    outbox_where(
        conn,
        "sent_at IS NULL AND attempts < ?1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)",
        rusqlite::params![max_attempts, rfc3339(now)],
    )
}

fn outbox_where(
    conn: &Connection,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<OutboxRow>, StorageError> {
    let mut statement = conn.prepare(&format!(
        "SELECT * FROM outbox WHERE {condition} ORDER BY queued_at, rowid"
    ))?;
    let rows = statement.query_map(params, super::read(|r| crate::storage::rows::outbox_row(r)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
