//! Staff accounts, sessions, the audit log and the request inbox in SQLite.

use privacy_shared::EmailAddress;
use privacy_shared::rights::RequestStatus;
use privacy_shared::wire::{
    AdminSession, AuditEntry, ConsentKindRow, ConsentStats, ConsentStatsRow, RequestSummary,
    StaffRole,
};
use rusqlite::{Connection, OptionalExtension, params};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::requests::{find, history_entry, insert_attachments, queue_email};
use super::{bad, rfc3339, site, text, typed};
use crate::requests::{Erased, Erasure, StoredRequest};
use crate::storage::audit::{AUDIT_GENESIS, AuditRow, audit_hash};
use crate::storage::{RequestChange, StaffRecord, StorageError};

pub fn create_staff(
    conn: &Connection,
    email: &EmailAddress,
    password_hash: &str,
    totp_secret: &str,
    role: StaffRole,
    now: OffsetDateTime,
) -> Result<(), StorageError> {
    let exists: bool = conn.query_row(
        // E-mail addresses are compared without case, as people type them.
        "SELECT count(*) > 0 FROM staff WHERE email = ?1 COLLATE NOCASE",
        [email.as_ref()],
        |r| r.get(0),
    )?;
    if exists {
        return Err(StorageError::Conflict(format!(
            "a staff account for {email} exists"
        )));
    }
    conn.execute(
        "INSERT INTO staff (email, password_hash, totp_secret, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![email.as_ref(), password_hash, totp_secret, role_name(role), rfc3339(now)],
    )?;
    Ok(())
}

fn role_name(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Officer => "officer",
        StaffRole::Viewer => "viewer",
    }
}

pub fn staff(conn: &Connection, email: &str) -> Result<Option<StaffRecord>, StorageError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {} FROM staff WHERE email = ?1 COLLATE NOCASE",
                crate::storage::rows::STAFF_COLUMNS
            ),
            [email],
            |row| super::read(|r| crate::storage::rows::staff(r))(row),
        )
        .optional()?)
}

/// Accepts a TOTP step once: a code already used cannot log in again. An accepted code ends the
/// account's run of wrong sign-ins.
pub fn accept_totp_step(conn: &Connection, email: &str, step: i64) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE staff SET last_totp_step = ?2, failed_logins = 0, login_wait_until = NULL \
         WHERE email = ?1 AND last_totp_step < ?2",
        params![email, step],
    )?;
    Ok(changed == 1)
}

pub fn create_session(
    conn: &Connection,
    token_hash: &str,
    email: &str,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<(), StorageError> {
    conn.execute(
        "DELETE FROM staff_sessions WHERE expires_at < ?1",
        [rfc3339(now)],
    )?;
    conn.execute(
        "INSERT INTO staff_sessions (token_hash, email, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, email, rfc3339(now), rfc3339(expires)],
    )?;
    Ok(())
}

pub fn session(
    conn: &Connection,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<AdminSession>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT staff.email, staff.role, staff_sessions.expires_at FROM staff_sessions \
             JOIN staff USING (email) WHERE token_hash = ?1 AND expires_at > ?2",
            params![token_hash, rfc3339(now)],
            |row| {
                Ok(AdminSession {
                    email: EmailAddress::parse(&text(row, "email")?)
                        .map_err(|e| bad("email", e))?,
                    role: typed(row, "role")?,
                    expires_at: OffsetDateTime::parse(&text(row, "expires_at")?, &Rfc3339)
                        .map_err(|e| bad("expires_at", e))?,
                })
            },
        )
        .optional()?)
}

/// Appends to the audit log, chained like the consent ledger.
pub fn audit(
    conn: &Connection,
    actor: &str,
    action: &str,
    request: Option<Uuid>,
    detail: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), StorageError> {
    let prev: Option<String> = conn
        .query_row(
            "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    // After retention emptied the log, the chain goes on from the last entry it deleted.
    let prev = match prev {
        Some(prev) => prev,
        None => super::retention::anchor(conn, super::retention::Chain::AUDIT)?
            .unwrap_or_else(|| AUDIT_GENESIS.to_owned()),
    };
    let at = rfc3339(now);
    let request = request.map(|r| r.to_string());
    let hash = audit_hash(&prev, &at, actor, action, request.as_deref(), detail);
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, request_id, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, actor, action, request, detail, prev, hash],
    )?;
    Ok(())
}

/// The newest audit entries first, and whether the whole chain still verifies.
pub fn audit_log(
    conn: &Connection,
    limit: u32,
) -> Result<(Vec<AuditEntry>, Option<u64>), StorageError> {
    let mut statement = conn.prepare("SELECT seq, at, actor, action, request_id, detail, prev_hash, hash FROM audit_log ORDER BY seq")?;
    let rows = statement
        .query_map([], |row| {
            Ok(AuditRow {
                seq: row.get("seq")?,
                at: row.get("at")?,
                actor: row.get("actor")?,
                action: row.get("action")?,
                request: row.get("request_id")?,
                detail: row.get("detail")?,
                prev_hash: row.get("prev_hash")?,
                hash: row.get("hash")?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let anchor = super::retention::anchor(conn, super::retention::Chain::AUDIT)?;
    Ok(crate::storage::audit::verify(anchor, rows, limit))
}

pub fn inbox(conn: &Connection, today: Date) -> Result<Vec<RequestSummary>, StorageError> {
    let mut statement = conn.prepare(
        "SELECT id, kind, status, site, received_at, due_date, email FROM rights_requests \
         WHERE status != 'awaiting_verification'",
    )?;
    let rows = statement.query_map([], |row| {
        let due_date = Date::parse(
            &text(row, "due_date")?,
            &time::format_description::well_known::Iso8601::DATE,
        )
        .map_err(|e| bad("due_date", e))?;
        let status: RequestStatus = typed(row, "status")?;
        let (days_left, overdue) = RequestSummary::deadline(due_date, status, today);
        Ok(RequestSummary {
            id: text(row, "id")?.parse().map_err(|e| bad("id", e))?,
            kind: typed(row, "kind")?,
            status,
            site: site(row)?,
            received_at: OffsetDateTime::parse(&text(row, "received_at")?, &Rfc3339)
                .map_err(|e| bad("received_at", e))?,
            due_date,
            days_left,
            overdue,
            email: row
                .get::<_, Option<String>>("email")?
                .map(|e| EmailAddress::parse(&e).map_err(|e| bad("email", e)))
                .transpose()?,
        })
    })?;
    let mut inbox: Vec<RequestSummary> = rows.collect::<Result<_, _>>()?;
    crate::storage::sort_inbox(&mut inbox);
    Ok(inbox)
}

/// Stores a change the workflow decided, in the writer's transaction: the request's new state
/// (only if its status is still `change.from`), its history line, the e-mail, the sealed files,
/// the audit entries and the erasure.
pub fn apply_change(
    conn: &Connection,
    change: &RequestChange,
) -> Result<Option<StoredRequest>, StorageError> {
    let (id, r, at) = (change.id, &change.to, change.at);
    let updated = conn.execute(
        "UPDATE rights_requests SET status = ?2, due_date = ?3, extension_reason = ?4, answer = ?5, refusal_reasons = ?6 \
         WHERE id = ?1 AND status = ?7",
        params![id.to_string(), r.status.as_str(), r.due_date.to_string(), r.extension_reason, r.answer, r.refusal_reasons, change.from.as_str()],
    )?;
    if updated == 0 {
        return match find(conn, id)? {
            Some(_) => Err(StorageError::Conflict(
                "the request changed meanwhile".into(),
            )),
            None => Ok(None),
        };
    }
    history_entry(conn, id, at, &change.history)?;
    if let Some(email) = &change.email {
        queue_email(conn, email, Some(id), at)?;
    }
    insert_attachments(conn, id, &change.attachments, at)?;
    let actor = change.actor.as_ref();
    for note in &change.audit {
        audit(
            conn,
            actor,
            note.action,
            Some(id),
            note.detail.as_deref(),
            at,
        )?;
    }
    if let Some(erasure) = &change.erase {
        let erased = erase_person(conn, id, erasure, at)?;
        audit(
            conn,
            actor,
            "erase",
            Some(id),
            Some(&(erasure.describe)(erased)),
            at,
        )?;
    }
    find(conn, id)
}

/// Erases what the server holds about the person of erasure request `request`, in the
/// transaction that completes it: their other rights requests (with their history, e-mails and
/// answer files), and the link from their consent events to their customer number. The events
/// themselves stay as the proof of consent the law asks for (GDPR Art. 7(1), 17(3)(b)), under
/// their pseudonymous subject; each keeps its hash as a tombstone, so the ledger still verifies.
/// The erasure request stays, as the record that it was done, until its own retention.
fn erase_person(
    conn: &Connection,
    request: Uuid,
    erasure: &Erasure,
    now: OffsetDateTime,
) -> Result<Erased, StorageError> {
    let email = erasure.email.as_ref().map(|e| e.as_ref().to_owned());
    let customer = erasure.customer.as_ref().map(|c| c.as_ref().to_owned());
    let requests = conn.execute(
        "DELETE FROM rights_requests WHERE id != ?1 \
         AND ((?2 IS NOT NULL AND email = ?2) OR (?3 IS NOT NULL AND customer = ?3))",
        params![request.to_string(), email, customer],
    )?;
    let events = match &customer {
        Some(customer) => conn.execute(
            "UPDATE consent_events SET customer = NULL, unlinked_at = ?2 WHERE customer = ?1",
            params![customer, rfc3339(now)],
        )?,
        None => 0,
    };
    Ok(Erased { requests, events })
}

/// Granted and refused counts per site, purpose and day, from every event's choices, and the
/// events per site, kind and day.
pub fn stats(conn: &Connection) -> Result<ConsentStats, StorageError> {
    let day = |row: &rusqlite::Row<'_>| {
        Date::parse(
            &text(row, "day")?,
            &time::format_description::well_known::Iso8601::DATE,
        )
        .map_err(|e| bad("day", e))
    };
    let mut statement = conn.prepare(
        "SELECT site, kind, substr(recorded_at, 1, 10) AS day, count(*) AS events \
         FROM consent_events GROUP BY site, kind, day ORDER BY day, site, kind",
    )?;
    let kinds = statement
        .query_map([], |row| {
            Ok(ConsentKindRow {
                site: site(row)?,
                kind: typed(row, "kind")?,
                day: day(row)?,
                events: row.get("events")?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(ConsentStats {
        purposes: purpose_stats(conn)?,
        kinds,
    })
}

fn purpose_stats(conn: &Connection) -> Result<Vec<ConsentStatsRow>, StorageError> {
    let mut statement = conn.prepare(
        "SELECT site, choice.key AS purpose, substr(recorded_at, 1, 10) AS day, \
                sum(choice.value = 1) AS granted, sum(choice.value = 0) AS refused \
         FROM consent_events, json_each(consent_events.choices) AS choice \
         GROUP BY site, purpose, day ORDER BY day, site, purpose",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(ConsentStatsRow {
            site: site(row)?,
            purpose: typed(row, "purpose")?,
            day: Date::parse(
                &text(row, "day")?,
                &time::format_description::well_known::Iso8601::DATE,
            )
            .map_err(|e| bad("day", e))?,
            granted: row.get("granted")?,
            refused: row.get("refused")?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
