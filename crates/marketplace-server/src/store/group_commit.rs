//! Group commit on SQLite's single writer: concurrent writes share one transaction, so that one
//! commit (one append to the WAL) serves a whole batch.
//!
//! A write is a [`GroupWrite`]: it runs its statements on the transaction it is given, and may
//! run again. The first write to arrive opens a batch on the writer task; the writes that arrive
//! while that batch runs form the next one (at most [`MAX_BATCH`]). Each caller is answered only
//! after its batch commits: nothing is acknowledged before it is durable. When a write of a
//! batch fails, or the commit does, the batch rolls back and each of its writes runs again
//! alone, in a transaction of its own, so that a refusal or a failure stays its own write's.
//!
//! PostgreSQL, with its many connections and row locks, runs each write in its own transaction
//! at once, in the caller's task.

use super::{Db, StoreError, Tx};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

/// The most writes one transaction takes (a bound on the latency a batch adds).
pub const MAX_BATCH: usize = 64;

/// A future that borrows what it runs on.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A write that may share its transaction: its statements, run on `tx`. It may run twice (after
/// a rolled-back batch), so it keeps what it writes in itself and derives nothing from an earlier
/// run.
pub trait GroupWrite: Send + Sync + 'static {
    /// What the caller gets once the write is committed.
    type Output: Send + 'static;
    /// What the write fails with.
    type Error: From<StoreError> + Send + 'static;
    /// Runs the write's statements on `tx` (which it must neither commit nor roll back).
    fn write<'a>(&'a self, tx: &'a mut Tx) -> BoxFuture<'a, Result<Self::Output, Self::Error>>;
}

/// The writer task's queue, started at the first write (inside the runtime), and again should
/// the task have ended (its runtime shut down).
#[derive(Debug, Clone, Default)]
pub struct GroupCommit {
    queue: Arc<Mutex<Option<Queue>>>,
}

impl GroupCommit {
    /// Runs `write` and commits it (SQLite: in the next batch of the writer task); answers once
    /// it is committed.
    pub async fn run<W: GroupWrite>(&self, db: &Db, write: W) -> Result<W::Output, W::Error> {
        if db.backend == super::Backend::Postgres {
            let mut tx = db.write.begin().await.map_err(StoreError::from)?;
            let output = write.write(&mut tx).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(output);
        }
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            write,
            output: None,
            reply,
        });
        {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            let sender = match queue.as_ref() {
                Some(sender) if !sender.is_closed() => sender,
                _ => {
                    let (sender, receiver) = mpsc::unbounded_channel();
                    tokio::spawn(writer(db.clone(), receiver));
                    queue.insert(sender)
                }
            };
            sender
                .send(job)
                .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        }
        answer
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

/// The sending end of the writer task's queue.
type Queue = mpsc::UnboundedSender<Box<dyn Job>>;

/// A queued write with its answer, as the writer task sees it.
trait Job: Send {
    /// Runs the write on `tx`; whether it succeeded (its result is kept for [`Job::answer`]).
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool>;
    /// Replaces a success with the failure of its commit.
    fn fail(&mut self, error: StoreError);
    /// Sends the kept result to the caller.
    fn answer(self: Box<Self>);
}

struct Pending<W: GroupWrite> {
    write: W,
    output: Option<Result<W::Output, W::Error>>,
    reply: oneshot::Sender<Result<W::Output, W::Error>>,
}

impl<W: GroupWrite> Job for Pending<W> {
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let output = self.write.write(tx).await;
            let ok = output.is_ok();
            self.output = Some(output);
            ok
        })
    }

    fn fail(&mut self, error: StoreError) {
        self.output = Some(Err(error.into()));
    }

    fn answer(self: Box<Self>) {
        let output = self
            .output
            .unwrap_or_else(|| Err(StoreError::Database(sqlx::Error::PoolClosed).into()));
        // The caller may have gone (its request dropped): its write stands, unanswered.
        let _ = self.reply.send(output);
    }
}

/// The writer task: takes every queued write (up to [`MAX_BATCH`]) into one transaction.
async fn writer(db: Db, mut queue: mpsc::UnboundedReceiver<Box<dyn Job>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        crate::telemetry::group_commit(batch.len());
        if batch.len() == 1 || !run_together(&db, &mut batch).await {
            for job in &mut batch {
                run_alone(&db, job.as_mut()).await;
            }
        }
        for job in batch.drain(..) {
            job.answer();
        }
    }
}

/// Runs the batch in one transaction; false (rolled back) when a write or the commit failed.
async fn run_together(db: &Db, batch: &mut [Box<dyn Job>]) -> bool {
    let Ok(mut tx) = db.write.begin().await else {
        return false;
    };
    for job in batch.iter_mut() {
        if !job.run(&mut tx).await {
            return false;
        }
    }
    tx.commit().await.is_ok()
}

/// Runs one write in a transaction of its own.
async fn run_alone(db: &Db, job: &mut dyn Job) {
    let mut tx = match db.write.begin().await {
        Ok(tx) => tx,
        Err(e) => return job.fail(e.into()),
    };
    if job.run(&mut tx).await
        && let Err(e) = tx.commit().await
    {
        job.fail(e.into());
    }
}
