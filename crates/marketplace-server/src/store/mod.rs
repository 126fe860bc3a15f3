//! The storage layer: every SQL string of the service lives below this module, one module per
//! aggregate, each returning core's domain types (or plain records where core has none).
//!
//! Services call these functions with the [`Store`] (for single statements) or inside a
//! transaction they opened with [`Store::begin`] (for changes stored with their event).
//! Queries use sqlx's runtime API through the `Any` driver with `$N` placeholders, which both
//! backends accept; each backend has its own migration folder (`migrations/sqlite`,
//! `migrations/postgres`), kept in step by a test.

mod db;
pub mod group_commit;
mod page;
mod sql;
mod tx;

pub mod alert_monitors;
pub mod api_keys;
pub mod applications;
pub mod attachments;
pub mod avatars;
pub mod backlog;
pub mod certification;
pub mod connections;
pub mod customers;
pub mod deliveries;
pub mod event_configurations;
pub mod events;
pub mod executions;
pub mod icons;
pub mod instance_mappings;
pub mod instances;
pub mod integrations;
pub mod listings;
pub mod marketplaces;
pub mod notifications;
pub mod organizations;
pub mod partners;
pub mod portal;
pub mod providers;
pub mod record_types;
pub mod reseal;
pub mod reviews;
pub mod revocations;
pub mod schedules;
pub mod shared_webhooks;
pub mod signing_keys;
pub mod sso;
pub mod subscriptions;
pub mod templates;
pub mod tenants;

pub use db::{Backend, Db, run_wal_checkpoints, sqlite_path};
pub use page::{Page, PageRequest};

use crate::crypto::Sealer;

use tx::Insert;
pub use tx::Tx;

/// A connection, inside a transaction (`&mut tx`) or from the read pool ([`Store::read`]).
pub type Conn = sqlx::AnyConnection;

/// What the storage layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value does not read back (a sealed blob that does not open, bad JSON).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database refused a duplicate unique value.
    pub fn is_duplicate(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

/// Result of storage functions.
pub type StoreResult<T> = Result<T, StoreError>;

/// The database and the sealer of secrets at rest: what every storage function needs.
#[derive(Debug, Clone)]
pub struct Store {
    /// The pools.
    pub db: Db,
    /// Seals configs, vendor values and execution inputs, each bound to its row.
    pub sealer: std::sync::Arc<Sealer>,
    /// This process, as the holder of the leases of the executions it runs (a new id per start).
    pub holder: std::sync::Arc<str>,
    /// SQLite's group commit of writes that share a transaction ([`Store::write_grouped`]).
    pub group: group_commit::GroupCommit,
}

impl Store {
    /// Opens a transaction on the write pool (one writer at a time on SQLite).
    pub async fn begin(&self) -> StoreResult<Tx> {
        Tx::begin(&self.db.write).await
    }

    /// Runs `write` in a transaction and commits it: on SQLite in a batch with the concurrent
    /// writes, on PostgreSQL in its own ([`group_commit`]).
    pub async fn write_grouped<W: group_commit::GroupWrite>(
        &self,
        write: W,
    ) -> Result<W::Output, W::Error> {
        self.group.run(&self.db, write).await
    }

    /// A connection of the read pool, for several reads outside a transaction.
    pub async fn read(&self) -> StoreResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.db.read.acquire().await?)
    }

    /// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO`, while the service
    /// runs); `path` must not exist. PostgreSQL has its own tools (`pg_dump`).
    pub async fn backup_sqlite(&self, path: &std::path::Path) -> StoreResult<()> {
        let path = path.to_string_lossy().into_owned();
        sql::execute(&self.db.write, "VACUUM INTO $1", [path.into()]).await?;
        Ok(())
    }

    /// Whether the database answers (`/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.db.read).await?;
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A new id: a prefix and a time-ordered UUID (v7), so ids sort by creation.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// Reads a JSON column, naming the column when it does not parse.
fn json_column<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Writes a JSON column.
fn to_json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
