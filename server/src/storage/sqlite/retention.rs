//! Retention in SQLite: deletes what its period has passed, oldest first, in one transaction.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::rfc3339;
use crate::storage::{RetentionPeriods, RetentionReport, StorageError};

pub fn run(
    conn: &Connection,
    now: OffsetDateTime,
    periods: &RetentionPeriods,
) -> Result<RetentionReport, StorageError> {
    let cutoff = |days: u32| rfc3339(now - time::Duration::days(i64::from(days)));
    // RFC 3339 UTC timestamps of one format compare correctly as text.
    let unverified_requests = conn.execute(
        "DELETE FROM rights_requests WHERE status = 'awaiting_verification' AND received_at < ?1",
        [cutoff(
            privacy_shared::rights::UNVERIFIED_EXPIRY_DAYS as u32,
        )],
    )?;
    const CLOSED_AND_DUE: &str = "SELECT id FROM rights_requests WHERE status IN ('completed', 'refused', 'withdrawn') \
         AND id IN (SELECT request_id FROM request_history GROUP BY request_id HAVING max(at) < ?1)";
    let closed_cutoff = cutoff(periods.closed_request_days);
    // Their answer files go with them (ON DELETE CASCADE); count them first for the report.
    let answer_files: usize = conn.query_row(
        &format!("SELECT count(*) FROM request_attachments WHERE request_id IN ({CLOSED_AND_DUE})"),
        [&closed_cutoff],
        |r| r.get(0),
    )?;
    let closed_requests = conn.execute(
        &format!("DELETE FROM rights_requests WHERE id IN ({CLOSED_AND_DUE})"),
        [&closed_cutoff],
    )?;
    // Ledger events go oldest first, as a prefix of the chain, so what remains still chains.
    let first_kept: Option<i64> = conn
        .query_row(
            "SELECT seq FROM consent_events WHERE recorded_at >= ?1 ORDER BY seq LIMIT 1",
            [cutoff(periods.consent_event_days)],
            |r| r.get(0),
        )
        .optional()?;
    let last_deleted: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM consent_events WHERE seq < coalesce(?1, 9223372036854775807) ORDER BY seq DESC LIMIT 1",
            [first_kept],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut consent_events = 0;
    if let Some((seq, hash)) = last_deleted {
        consent_events = conn.execute("DELETE FROM consent_events WHERE seq <= ?1", [seq])?;
        conn.execute(
            "INSERT INTO ledger_anchor (id, seq, hash, deleted) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, deleted = deleted + excluded.deleted",
            params![seq, hash, consent_events],
        )?;
    }
    // Audit entries go the same way: the anchor moves first, which lets the prefix go.
    let last_audited: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log WHERE at < ?1 ORDER BY seq DESC LIMIT 1",
            [cutoff(periods.audit_entry_days)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut audit_entries = 0;
    if let Some((seq, hash)) = last_audited {
        let count: usize = conn.query_row(
            "SELECT count(*) FROM audit_log WHERE seq <= ?1",
            [seq],
            |r| r.get(0),
        )?;
        conn.execute(
            "INSERT INTO audit_anchor (id, seq, hash, deleted) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, deleted = deleted + excluded.deleted",
            params![seq, hash, count],
        )?;
        audit_entries = conn.execute("DELETE FROM audit_log WHERE seq <= ?1", [seq])?;
    }
    Ok(RetentionReport {
        unverified_requests,
        closed_requests,
        answer_files,
        consent_events,
        audit_entries,
    })
}

/// The hash the remaining audit chain starts from: the last deleted entry's, or none.
pub fn audit_anchor(conn: &Connection) -> Result<Option<String>, StorageError> {
    Ok(conn
        .query_row("SELECT hash FROM audit_anchor WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The hash the remaining chain starts from: the last deleted event's, or none.
pub fn anchor(conn: &Connection) -> Result<Option<String>, StorageError> {
    Ok(conn
        .query_row("SELECT hash FROM ledger_anchor WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}
