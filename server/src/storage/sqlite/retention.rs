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
    let consent_events = drop_prefix(conn, Chain::LEDGER, &cutoff(periods.consent_event_days))?;
    let audit_entries = drop_prefix(conn, Chain::AUDIT, &cutoff(periods.audit_entry_days))?;
    Ok(RetentionReport {
        unverified_requests,
        closed_requests,
        answer_files,
        consent_events,
        audit_entries,
    })
}

/// A hash-chained table and the anchor that keeps the hash of its last deleted row.
pub struct Chain {
    table: &'static str,
    anchor: &'static str,
    /// The column holding when a row was written.
    written: &'static str,
}

impl Chain {
    pub const LEDGER: Self = Self {
        table: "consent_events",
        anchor: "ledger_anchor",
        written: "recorded_at",
    };
    pub const AUDIT: Self = Self {
        table: "audit_log",
        anchor: "audit_anchor",
        written: "at",
    };
}

/// Deletes the rows of `chain` written before `cutoff`, oldest first and only as a prefix of the
/// chain, so what remains still chains from the anchor. The anchor moves first: the audit log's
/// trigger lets only rows it covers go. Returns how many rows went.
fn drop_prefix(conn: &Connection, chain: Chain, cutoff: &str) -> Result<usize, StorageError> {
    let Chain {
        table,
        anchor,
        written,
    } = chain;
    let first_kept: Option<i64> = conn
        .query_row(
            &format!("SELECT seq FROM {table} WHERE {written} >= ?1 ORDER BY seq LIMIT 1"),
            [cutoff],
            |r| r.get(0),
        )
        .optional()?;
    let last_deleted: Option<(i64, String)> = conn
        .query_row(
            &format!(
                "SELECT seq, hash FROM {table} WHERE seq < coalesce(?1, 9223372036854775807) \
                 ORDER BY seq DESC LIMIT 1"
            ),
            [first_kept],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((seq, hash)) = last_deleted else {
        return Ok(0);
    };
    let count: usize = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE seq <= ?1"),
        [seq],
        |r| r.get(0),
    )?;
    conn.execute(
        &format!(
            "INSERT INTO {anchor} (id, seq, hash, deleted) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             deleted = deleted + excluded.deleted"
        ),
        params![seq, hash, count],
    )?;
    Ok(conn.execute(&format!("DELETE FROM {table} WHERE seq <= ?1"), [seq])?)
}

/// The hash the remaining rows of `chain` start from: the last deleted row's, or none.
pub fn anchor(conn: &Connection, chain: Chain) -> Result<Option<String>, StorageError> {
    Ok(conn
        .query_row(
            &format!("SELECT hash FROM {} WHERE id = 1", chain.anchor),
            [],
            |r| r.get(0),
        )
        .optional()?)
}
