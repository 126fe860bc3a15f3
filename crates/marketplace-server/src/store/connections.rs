//! `connections` and `connection_states`: the tokens of OAuth2 authorization-code connections
//! (sealed, bound to their row) and the authorizations in flight (the state's hash, the sealed
//! PKCE verifier, the origin to post to).
//!
//! Refreshes are single flight across processes: [`lock`] takes the row's lock (PostgreSQL
//! `FOR UPDATE`; SQLite's single writer already serialises write transactions) and re-reads it.

use super::sql::{Arg, execute, fetch_all, fetch_optional};
use super::{Store, StoreError, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::connection::{ConnectionStatus, TokenState};
use serde_json::json;
use sqlx::AssertSqlSafe;

/// The tokens of a connection; `Debug` prints neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if the provider issued one.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

/// One connection of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The instance.
    pub instance_id: String,
    /// The connection variable's key.
    pub key: String,
    /// The instance's organization.
    pub organization_id: String,
    /// The status.
    pub status: ConnectionStatus,
    /// The tokens (none when not connected).
    pub tokens: Option<Tokens>,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When the access token expires (Unix ms).
    pub expires_at: Option<i64>,
    /// When it was connected (Unix ms).
    pub connected_at: Option<i64>,
    /// The provider's refusal, for `error`.
    pub error: Option<String>,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

impl Connection {
    /// What core's rules need of it.
    pub fn token_state(&self) -> TokenState {
        TokenState {
            status: self.status,
            expires_at: self.expires_at,
            has_refresh_token: self
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some()),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    instance_id: String,
    key: String,
    organization_id: String,
    status: String,
    sealed_tokens: Option<Vec<u8>>,
    scopes: String,
    expires_at: Option<i64>,
    connected_at: Option<i64>,
    error: Option<String>,
    updated_at: i64,
}

const COLUMNS: &str = "instance_id, key, organization_id, status, sealed_tokens, scopes, expires_at, connected_at, error, updated_at";

fn context(instance_id: &str, key: &str) -> String {
    format!("connection:{instance_id}/{key}")
}

/// The sealed tokens of each connection.
pub(super) const SEALED_TOKENS: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "connections",
    column: "sealed_tokens",
    keys: &[
        super::reseal::KeyColumn::Text("instance_id"),
        super::reseal::KeyColumn::Text("key"),
    ],
    context: |key| context(key[0].text(), key[1].text()),
};

impl Row {
    fn connection(self, store: &Store) -> StoreResult<Connection> {
        let tokens = match &self.sealed_tokens {
            None => None,
            Some(blob) => {
                let value = store
                    .sealer
                    .open_json(&context(&self.instance_id, &self.key), blob)
                    .ok_or_else(|| StoreError::Corrupt("connections.sealed_tokens".into()))?;
                let text = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
                Some(Tokens {
                    access_token: text("access_token").unwrap_or_default(),
                    refresh_token: text("refresh_token"),
                })
            }
        };
        Ok(Connection {
            status: ConnectionStatus::from_name(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("connection status {}", self.status)))?,
            scopes: json_column("connections.scopes", &self.scopes)?,
            instance_id: self.instance_id,
            key: self.key,
            organization_id: self.organization_id,
            tokens,
            expires_at: self.expires_at,
            connected_at: self.connected_at,
            error: self.error,
            updated_at: self.updated_at,
        })
    }
}

/// The connections of an instance, by key.
pub async fn list(store: &Store, instance_id: &str) -> StoreResult<Vec<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM connections WHERE instance_id = $1 ORDER BY key");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [instance_id.into()]).await?;
    rows.into_iter().map(|r| r.connection(store)).collect()
}

/// The connections of an instance, read inside a transaction.
pub async fn list_in(
    tx: &mut Tx,
    store: &Store,
    instance_id: &str,
) -> StoreResult<Vec<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM connections WHERE instance_id = $1 ORDER BY key");
    let rows: Vec<Row> =
        fetch_all(tx.conn().await?, AssertSqlSafe(sql), [instance_id.into()]).await?;
    rows.into_iter().map(|r| r.connection(store)).collect()
}

/// One connection, read without a lock.
pub async fn get(store: &Store, instance_id: &str, key: &str) -> StoreResult<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM connections WHERE instance_id = $1 AND key = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [instance_id.into(), key.into()],
    )
    .await?;
    row.map(|r| r.connection(store)).transpose()
}

/// One connection, read under its row's lock inside `tx` (PostgreSQL `FOR UPDATE`; on SQLite
/// the transaction holds the only writer).
pub async fn lock(
    tx: &mut Tx,
    store: &Store,
    instance_id: &str,
    key: &str,
) -> StoreResult<Option<Connection>> {
    let lock = match store.backend() {
        super::Backend::Postgres => " FOR UPDATE",
        super::Backend::Sqlite => "",
    };
    let sql =
        format!("SELECT {COLUMNS} FROM connections WHERE instance_id = $1 AND key = $2{lock}");
    let row: Option<Row> = fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [instance_id.into(), key.into()],
    )
    .await?;
    row.map(|r| r.connection(store)).transpose()
}

/// Stores a connection (insert or replace), its tokens sealed.
pub async fn save(tx: &mut Tx, store: &Store, connection: &Connection) -> StoreResult<()> {
    let sealed = connection.tokens.as_ref().map(|t| {
        store.sealer.seal_json(
            &context(&connection.instance_id, &connection.key),
            &json!({"access_token": t.access_token, "refresh_token": t.refresh_token}),
        )
    });
    let has_refresh = i64::from(
        connection
            .tokens
            .as_ref()
            .is_some_and(|t| t.refresh_token.is_some()),
    );
    execute(
        tx.conn().await?,
        "INSERT INTO connections (instance_id, key, organization_id, status, sealed_tokens, scopes, expires_at, \
         has_refresh_token, connected_at, error, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (instance_id, key) DO UPDATE SET status = excluded.status, sealed_tokens = excluded.sealed_tokens, \
         scopes = excluded.scopes, expires_at = excluded.expires_at, has_refresh_token = excluded.has_refresh_token, \
         connected_at = excluded.connected_at, error = excluded.error, updated_at = excluded.updated_at",
        [
            (&connection.instance_id).into(),
            (&connection.key).into(),
            (&connection.organization_id).into(),
            connection.status.as_str().into(),
            sealed.into(),
            to_json_text(&connection.scopes).into(),
            Arg::OptInt(connection.expires_at),
            has_refresh.into(),
            Arg::OptInt(connection.connected_at),
            connection.error.clone().into(),
            connection.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Forgets a connection (disconnect).
pub async fn delete(tx: &mut Tx, instance_id: &str, key: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM connections WHERE instance_id = $1 AND key = $2";
    Ok(execute(tx.conn().await?, sql, [instance_id.into(), key.into()]).await? > 0)
}

/// `(organization_id, instance_id, key)` of the connected connections with a refresh token
/// whose access token expires before `before` (the sweep), at most `limit`.
pub async fn due(
    store: &Store,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<(String, String, String)>> {
    fetch_all(
        &store.db.read,
        "SELECT organization_id, instance_id, key FROM connections WHERE status = 'connected' AND has_refresh_token = 1 \
         AND expires_at IS NOT NULL AND expires_at < $1 ORDER BY expires_at LIMIT $2",
        [before.into(), limit.into()],
    )
    .await
}

/// An authorization in flight.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationState {
    /// SHA-256 (hex) of the `state` parameter.
    pub state_hash: String,
    /// The instance.
    pub instance_id: String,
    /// The connection variable's key.
    pub key: String,
    /// The instance's organization.
    pub organization_id: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// Who asked (a customer user or an API key), if known.
    pub user_id: Option<String>,
    /// The origin the callback page posts to.
    pub origin: String,
    /// When it lapses (Unix ms).
    pub expires_at: i64,
    /// Whether it was redeemed.
    pub used: bool,
}

impl std::fmt::Debug for AuthorizationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationState")
            .field("instance_id", &self.instance_id)
            .field("key", &self.key)
            .field("origin", &self.origin)
            .field("expires_at", &self.expires_at)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct StateRow {
    state_hash: String,
    instance_id: String,
    key: String,
    organization_id: String,
    sealed_verifier: Vec<u8>,
    user_id: Option<String>,
    origin: String,
    expires_at: i64,
    used: i64,
}

fn state_context(state_hash: &str) -> String {
    format!("connection_state:{state_hash}")
}

/// The sealed PKCE verifier of each authorization in flight.
pub(super) const SEALED_VERIFIER: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "connection_states",
    column: "sealed_verifier",
    keys: &[super::reseal::KeyColumn::Text("state_hash")],
    context: |key| state_context(key[0].text()),
};

/// Records an authorization in flight (and drops the ones that lapsed before `now`).
pub async fn insert_state(
    tx: &mut Tx,
    store: &Store,
    state: &AuthorizationState,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM connection_states WHERE expires_at < $1",
        [now.into()],
    )
    .await?;
    let sealed = store
        .sealer
        .seal(&state_context(&state.state_hash), state.verifier.as_bytes());
    execute(
        tx.conn().await?,
        "INSERT INTO connection_states (state_hash, instance_id, key, organization_id, sealed_verifier, user_id, origin, \
         expires_at, used, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
        [
            (&state.state_hash).into(),
            (&state.instance_id).into(),
            (&state.key).into(),
            (&state.organization_id).into(),
            sealed.into(),
            state.user_id.clone().into(),
            (&state.origin).into(),
            state.expires_at.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Redeems a state by its hash: the record as it was, now marked used (a second call sees
/// `used`). `None` when no such state was issued.
pub async fn take_state(
    tx: &mut Tx,
    store: &Store,
    state_hash: &str,
) -> StoreResult<Option<AuthorizationState>> {
    let row: Option<StateRow> = fetch_optional(
        tx.conn().await?,
        "SELECT state_hash, instance_id, key, organization_id, sealed_verifier, user_id, origin, expires_at, used \
         FROM connection_states WHERE state_hash = $1",
        [state_hash.into()],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    execute(
        tx.conn().await?,
        "UPDATE connection_states SET used = 1 WHERE state_hash = $1",
        [state_hash.into()],
    )
    .await?;
    let verifier = store
        .sealer
        .open(&state_context(&row.state_hash), &row.sealed_verifier)
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or_else(|| StoreError::Corrupt("connection_states.sealed_verifier".into()))?;
    Ok(Some(AuthorizationState {
        state_hash: row.state_hash,
        instance_id: row.instance_id,
        key: row.key,
        organization_id: row.organization_id,
        verifier,
        user_id: row.user_id,
        origin: row.origin,
        expires_at: row.expires_at,
        used: row.used != 0,
    }))
}
