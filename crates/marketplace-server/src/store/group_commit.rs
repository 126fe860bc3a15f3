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

/// The writer task's queue, started at the first write, and again should the task have ended
/// (its thread gone).
#[derive(Debug, Clone, Default)]
pub struct GroupCommit {
    queue: Arc<Mutex<Option<Queue>>>,
}

impl GroupCommit {
    /// Runs `write` and commits it (SQLite: in the next batch of the writer task); answers once
    /// it is committed.
    pub async fn run<W: GroupWrite>(&self, db: &Db, write: W) -> Result<W::Output, W::Error> {
        if db.backend == super::Backend::Postgres {
            return in_own_transaction(db, &write).await;
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
                    spawn_writer(db.clone(), receiver)?;
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
    /// Runs the write again in a transaction of its own, keeping that result instead.
    fn run_alone<'a>(&'a mut self, db: &'a Db) -> BoxFuture<'a, ()>;
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

    fn run_alone<'a>(&'a mut self, db: &'a Db) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.output = Some(in_own_transaction(db, &self.write).await);
        })
    }

    fn answer(self: Box<Self>) {
        let output = self
            .output
            .unwrap_or_else(|| Err(StoreError::Database(sqlx::Error::PoolClosed).into()));
        // The caller may have gone (its request dropped): its write stands, unanswered.
        let _ = self.reply.send(output);
    }
}

/// Starts the writer task on a thread of its own, with a runtime of its own: each statement is a
/// hop to SQLite's connection thread and back, and the task's next step waits for no request
/// handler queued on the service's runtime (the batch's latency is the sum of those hops).
/// The thread ends when the queue closes (every sender dropped).
fn spawn_writer(db: Db, queue: mpsc::UnboundedReceiver<Box<dyn Job>>) -> Result<(), StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(sqlx::Error::Io)?;
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || runtime.block_on(writer(db, queue)))
        .map_err(sqlx::Error::Io)?;
    Ok(())
}

/// The writer task: takes every queued write (up to [`MAX_BATCH`]) into one transaction.
async fn writer(db: Db, mut queue: mpsc::UnboundedReceiver<Box<dyn Job>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        crate::telemetry::group_commit(batch.len());
        if batch.len() == 1 || !run_together(&db, &mut batch).await {
            for job in &mut batch {
                job.run_alone(&db).await;
            }
        }
        for job in batch.drain(..) {
            job.answer();
        }
    }
}

/// Runs the batch in one transaction; false (rolled back) when a write or the commit failed.
async fn run_together(db: &Db, batch: &mut [Box<dyn Job>]) -> bool {
    let Ok(mut tx) = Tx::begin(&db.write).await else {
        return false;
    };
    for job in batch.iter_mut() {
        if !job.run(&mut tx).await {
            return false;
        }
    }
    tx.commit().await.is_ok()
}

/// Runs one write in a transaction of its own and commits it.
async fn in_own_transaction<W: GroupWrite>(db: &Db, write: &W) -> Result<W::Output, W::Error> {
    let mut tx = Tx::begin(&db.write).await?;
    let output = write.write(&mut tx).await?;
    tx.commit().await?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Inserts `n` into `scratch`, waits `hold` inside the transaction, then fails if `refuse`.
    struct Insert {
        n: i64,
        hold: Duration,
        refuse: bool,
    }

    impl GroupWrite for Insert {
        type Output = i64;
        type Error = StoreError;

        fn write<'a>(&'a self, tx: &'a mut Tx) -> BoxFuture<'a, Result<i64, StoreError>> {
            Box::pin(async move {
                sqlx::query("INSERT INTO scratch (n) VALUES ($1)")
                    .bind(self.n)
                    .execute(tx.conn().await?)
                    .await?;
                tokio::time::sleep(self.hold).await;
                if self.refuse {
                    return Err(StoreError::Corrupt(format!("{} refused", self.n)));
                }
                Ok(self.n)
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_share_a_commit_and_a_refusal_stays_its_own() {
        crate::telemetry::install();
        let dir = std::env::temp_dir().join(crate::store::new_id("group-commit-test"));
        let db = Db::connect(&format!("sqlite://{}/db.sqlite", dir.display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE scratch (n INTEGER NOT NULL)")
            .execute(&db.write)
            .await
            .unwrap();
        let group = GroupCommit::default();
        // The first write holds the writer while the 40 others queue: they form one batch, in
        // which write 17 inserts its row and then refuses.
        let first = {
            let (group, db) = (group.clone(), db.clone());
            tokio::spawn(async move {
                let hold = Duration::from_millis(300);
                group
                    .run(
                        &db,
                        Insert {
                            n: 0,
                            hold,
                            refuse: false,
                        },
                    )
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let others: Vec<_> = (1..=40)
            .map(|n| {
                let (group, db) = (group.clone(), db.clone());
                tokio::spawn(async move {
                    let write = Insert {
                        n,
                        hold: Duration::ZERO,
                        refuse: n == 17,
                    };
                    group.run(&db, write).await
                })
            })
            .collect();
        assert_eq!(first.await.unwrap().unwrap(), 0);
        for (n, handle) in (1..=40).zip(others) {
            match handle.await.unwrap() {
                Ok(answer) => assert_eq!(answer, n),
                Err(e) => assert_eq!(
                    (n, e.to_string()),
                    (17, "stored data is corrupt: 17 refused".into())
                ),
            }
        }
        let stored: Vec<i64> = sqlx::query_scalar("SELECT n FROM scratch ORDER BY n")
            .fetch_all(&db.read)
            .await
            .unwrap();
        let expected: Vec<i64> = (0..=40).filter(|n| *n != 17).collect();
        assert_eq!(
            stored, expected,
            "every write but the refused one, each once"
        );
        // Batches: the first write alone, then the 40 together (run again alone after the
        // refusal). Fewer batches than writes shows they shared transactions.
        let metrics = crate::telemetry::render();
        let series = |name: &str| -> f64 {
            metrics
                .lines()
                .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in {metrics}"))
        };
        let (batches, writes) = (
            series("marketplace_group_commit_writes_count"),
            series("marketplace_group_commit_writes_sum"),
        );
        assert!(
            writes == 41.0 && batches < 41.0,
            "{batches} batches of {writes} writes"
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
