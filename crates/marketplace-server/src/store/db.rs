//! The pools: SQLite (the embedded default) or PostgreSQL behind one type.
//!
//! SQLite writes go through a pool
//! of one connection (one writer at a time, no SQLITE_BUSY), in WAL mode with
//! `synchronous = NORMAL`, which survives a killed process; a serving process checkpoints the
//! WAL every [`CHECKPOINT_EVERY`] while it grows (every [`CHECKPOINT_IDLE`] while it does not)
//! beside the writer ([`run_wal_checkpoints`]). Concurrent writes
//! may share a transaction: see [`super::group_commit`]. (Mapped reads, `mmap_size`, were tried
//! and cost more than they saved: the file grows at every activation, and every connection
//! re-maps it. A page cache larger than SQLite's default was measured too, without a gain this
//! host's noise could tell apart.)

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// How often a serving process copies SQLite's WAL into the database file while writes come.
/// Each checkpoint then has little to copy, and each WAL frame stays dirty in the page cache for
/// a short while: the writer syncs the WAL file when it starts it again from its beginning
/// (`synchronous = NORMAL`), and its commit waits for that `fsync`. Measured on a 64-connection
/// activation load (10 s runs): a checkpoint each 250 ms, p99 52-62 ms and 14-29 batches over
/// 15 ms; each 50 ms, p99 35-42 ms; each 25 ms, p99 31-33 ms and 11-13 such batches, at the same
/// rate.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// How often it checks for writes when the WAL did not grow since its last checkpoint.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(500);

/// Past how many pages of WAL (4 KiB each) the writer checkpoints itself, in its commit: only
/// should [`run_wal_checkpoints`] not run (one-off commands) or fall behind. Under a steady
/// load the WAL starts again from its beginning only at such a checkpoint (the task's, beside
/// the writer, cannot end where the writer is appending), and each costs the commit it runs in
/// two `fsync`s: at 10,000 pages they came every half second of activations.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 40_000;

/// Which database is behind the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The pools: reads may run in parallel; writes go through `write`.
#[derive(Debug, Clone)]
pub struct Db {
    /// Pool for reads.
    pub read: AnyPool,
    /// Pool for writes (one connection on SQLite).
    pub write: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// How to open the connection that listens for cache notifications (PostgreSQL only).
    pub listen: Option<ListenOptions>,
}

/// The connection options of the PostgreSQL server, for a listening connection of its own
/// (`service::cache_notifications`). Its `Debug` shows nothing: the options hold the password.
#[derive(Clone)]
pub struct ListenOptions(pub sqlx::postgres::PgConnectOptions);

impl std::fmt::Debug for ListenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenOptions(..)")
    }
}

/// The SQLite file a `sqlite://` URL names, if it names one.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

impl Db {
    /// Connects and runs the migrations of the backend.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let db = if url.starts_with("sqlite:") {
            let url = if url.contains('?') {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            if let Some(parent) =
                sqlite_path(&url).and_then(|p| p.parent().map(|p| p.to_path_buf()))
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(&parent).map_err(sqlx::Error::Io)?;
            }
            let options = AnyConnectOptions::from_str(&url)?;
            let pool = |max: u32, autocheckpoint_pages: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    // Every connection opened at the start and kept: a SQLite connection's
                    // thread takes the CPU priority of the thread that opened it, which must not
                    // be one of the lower-priority background threads (`crate::background`).
                    .min_connections(max)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(Duration::from_secs(30))
                    // A file in this process does not go away: no ping (a round trip to the
                    // connection's thread) before each use.
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA foreign_keys = ON",
                                // A statement of several rows inside a transaction keeps the
                                // pages it changes in a statement journal; past 64 KiB SQLite
                                // spills that journal to a temporary file, one write per page.
                                "PRAGMA temp_store = MEMORY",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            let autocheckpoint =
                                format!("PRAGMA wal_autocheckpoint = {autocheckpoint_pages}");
                            conn.execute(sqlx::AssertSqlSafe(autocheckpoint)).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
            };
            // Read connections keep SQLite's default threshold (1,000 pages).
            let write = pool(1, WRITER_AUTOCHECKPOINT_PAGES).await?;
            let read = pool(8, 1000).await?;
            Db {
                read,
                write,
                backend: Backend::Sqlite,
                listen: None,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let listen = ListenOptions(sqlx::postgres::PgConnectOptions::from_str(url)?);
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Db {
                read: pool.clone(),
                write: pool,
                backend: Backend::Postgres,
                listen: Some(listen),
            }
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL (expected sqlite:// or postgres://): {url}")
                    .into(),
            ));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Copies SQLite's WAL into the database file without waiting for anyone (a `PASSIVE`
    /// checkpoint, on a read connection); how many frames the WAL holds (`None` on PostgreSQL,
    /// which has nothing to do).
    pub async fn checkpoint_wal(&self) -> Result<Option<i64>, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let (_busy, frames, _copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&self.read)
                .await?;
        Ok(Some(frames))
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.write)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    /// Closes the pools, flushing SQLite's WAL.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// The wait before the next checkpoint, from the WAL's frames at the last two:
/// [`CHECKPOINT_IDLE`] when it did not grow in between, [`CHECKPOINT_EVERY`] otherwise.
fn checkpoint_interval(before: Option<i64>, now: Option<i64>) -> Duration {
    if now.is_some() && now == before {
        CHECKPOINT_IDLE
    } else {
        CHECKPOINT_EVERY
    }
}

/// Checkpoints SQLite's WAL every [`CHECKPOINT_EVERY`] while it grows ([`checkpoint_interval`]),
/// beside the writer (a task of every serving process; returns at once on PostgreSQL).
pub async fn run_wal_checkpoints(db: Db) {
    if db.backend != Backend::Sqlite {
        return;
    }
    let mut last = None;
    let mut every = CHECKPOINT_EVERY;
    loop {
        tokio::time::sleep(every).await;
        match db.checkpoint_wal().await {
            Ok(frames) => {
                every = checkpoint_interval(last, frames);
                last = frames;
            }
            Err(e) => tracing::warn!(error = %e, "checkpointing the WAL failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_slow_down_only_while_the_wal_does_not_grow() {
        // The first checkpoint, or a WAL that grew or started again: the short interval.
        assert_eq!(checkpoint_interval(None, Some(0)), CHECKPOINT_EVERY);
        assert_eq!(checkpoint_interval(Some(120), Some(480)), CHECKPOINT_EVERY);
        assert_eq!(checkpoint_interval(Some(480), Some(16)), CHECKPOINT_EVERY);
        // Nothing written since the last one: the idle interval.
        assert_eq!(checkpoint_interval(Some(480), Some(480)), CHECKPOINT_IDLE);
        assert!(CHECKPOINT_IDLE > CHECKPOINT_EVERY);
    }
}
