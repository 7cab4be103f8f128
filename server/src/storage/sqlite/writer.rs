//! The single writer: one thread owns the write connection and commits every job that arrived
//! while the previous commit ran as one transaction (group commit). Each job runs in its own
//! savepoint, so a job that fails leaves the others standing; its caller is answered only after
//! the commit, so an answered write is durable. The write-ahead log is copied into the database
//! after a batch is answered, never inside its commit.

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use std::cell::Cell;
use std::ffi::c_int;
use std::sync::mpsc;
use tokio::sync::oneshot;

use crate::storage::StorageError;

/// The most jobs one transaction commits.
const MAX_BATCH: usize = 1024;

/// How long the write-ahead log may grow, in pages, before the writer copies it into the database
/// (a checkpoint). SQLite's own automatic checkpoint runs inside the commit that crosses its mark,
/// so that batch's callers wait for the copy although their writes are already durable in the
/// log; the writer runs it after answering them instead. Measured on two cores (BENCHMARKS.md,
/// the eighth pass): the p99 under `wrk` lower in each of 15 alternating pairs, and at a fixed
/// 10,000 writes/s more runs under 10 ms (7 of 15 against 5 of 21).
pub const CHECKPOINT_PAGES: i32 = 100;

thread_local! {
    /// The log's length in pages after the latest commit on this thread's connection.
    static LOG_PAGES: Cell<i32> = const { Cell::new(0) };
}

/// SQLite's write-ahead log hook: called after each commit with the log's length.
fn note_log_pages(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    LOG_PAGES.set(pages);
    Ok(())
}

/// A unit of work for the writer thread.
pub trait Job: Send {
    /// Runs inside the batch transaction; `true` keeps its changes, `false` rolls them back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the transaction's fate is known.
    fn finish(self: Box<Self>, commit: Result<(), StorageError>);
}

/// A closure job whose result goes back through a oneshot channel.
pub struct ClosureJob<T, F> {
    work: Option<F>,
    result: Option<Result<T, StorageError>>,
    reply: oneshot::Sender<Result<T, StorageError>>,
}

impl<T, F> ClosureJob<T, F> {
    pub fn new(work: F) -> (Self, oneshot::Receiver<Result<T, StorageError>>) {
        let (reply, answer) = oneshot::channel();
        (
            Self {
                work: Some(work),
                result: None,
                reply,
            },
            answer,
        )
    }
}

impl<T, F> Job for ClosureJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StorageError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn),
            None => Err(StorageError::Database("a write job ran twice".into())),
        };
        let keep = result.is_ok();
        self.result = Some(result);
        keep
    }

    fn finish(self: Box<Self>, commit: Result<(), StorageError>) {
        let result = match commit {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(StorageError::Database("a write job never ran".into()))),
            Err(e) => Err(e),
        };
        // A caller that gave up waiting no longer needs its answer; its write stands.
        let _ = self.reply.send(result);
    }
}

/// Runs jobs until every sender is gone.
pub fn run(mut conn: Connection, jobs: mpsc::Receiver<Box<dyn Job>>) {
    // Replaces SQLite's automatic checkpoint on this connection (`wal_autocheckpoint`).
    conn.wal_hook(Some(note_log_pages));
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = commit(&mut conn, &mut batch).map_err(|e| {
            tracing::error!(error = %e, jobs = batch.len(), "a write batch could not be committed");
            e
        });
        for job in batch {
            job.finish(commit.clone());
        }
        if LOG_PAGES.get() >= CHECKPOINT_PAGES {
            checkpoint(&conn);
        }
    }
}

/// Copies the write-ahead log into the database. Passive: what a reader still needs stays in
/// the log, and the next commit past the mark tries again.
fn checkpoint(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "the write-ahead log could not be copied into the database");
    }
}

fn commit(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<(), StorageError> {
    // Immediate: the write lock is taken (waiting out a checkpoint through the busy timeout) before
    // anything is read, so no job's read can go stale and fail to upgrade with "locked".
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for job in batch.iter_mut() {
        // Statements prepared once per connection: these run around every write.
        tx.prepare_cached("SAVEPOINT job")?.execute([])?;
        if job.run(&tx) {
            tx.prepare_cached("RELEASE job")?.execute([])?;
        } else {
            tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
            tx.prepare_cached("RELEASE job")?.execute([])?;
        }
    }
    tx.commit()?;
    Ok(())
}
