//! The single writer: one thread owns the write connection and commits every job that arrived
//! while the previous commit ran as one transaction (group commit). Each job runs in its own
//! savepoint, so a job that fails leaves the others standing; its caller is answered only after
//! the commit, so an answered write is durable.

use rusqlite::Connection;
use std::sync::mpsc;
use tokio::sync::oneshot;

use crate::storage::StorageError;

/// The most jobs one transaction commits.
const MAX_BATCH: usize = 1024;

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
