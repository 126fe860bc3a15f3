//! `api_keys`: admin API keys, stored as the SHA-256 of the secret.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_optional, scalar};
use super::{Page, PageRequest, Store, StoreResult, Tx, now_ms};
use sqlx::AssertSqlSafe;

/// An API key, without its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub prefix: String,
    /// `admin` or `reviewer` (core's `ApiKeyRole`).
    pub role: String,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

const SELECT: &str = "SELECT id, name, prefix, role, created_at FROM api_keys";

/// Stores a key by its hash; returns the stored key.
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    id: &str,
    name: &str,
    key_hash: &str,
    prefix: &str,
    role: &str,
) -> StoreResult<ApiKey> {
    let created_at = now_ms();
    execute(
        tx.conn().await?,
        "INSERT INTO api_keys (id, organization_id, name, key_hash, prefix, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            id.into(),
            organization_id.into(),
            name.into(),
            key_hash.into(),
            prefix.into(),
            role.into(),
            created_at.into(),
        ],
    )
    .await?;
    Ok(ApiKey {
        id: id.to_owned(),
        name: name.to_owned(),
        prefix: prefix.to_owned(),
        role: role.to_owned(),
        created_at,
    })
}

/// Who holds a key: its organization, id and role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyHolder {
    /// The organization.
    pub organization_id: String,
    /// The key's id.
    pub id: String,
    /// The key's role.
    pub role: String,
}

/// The holder of a key hash.
pub async fn holder_of(store: &Store, key_hash: &str) -> StoreResult<Option<KeyHolder>> {
    let sql = "SELECT organization_id, id, role FROM api_keys WHERE key_hash = $1";
    fetch_optional(&store.db.read, sql, [key_hash.into()]).await
}

/// A page of the organization's keys.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<ApiKey>> {
    let filter = Filter::eq("organization_id", organization_id);
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |k: &ApiKey| k.id.clone(),
    )
    .await
}

/// A key of the organization, read inside a transaction.
pub async fn get(tx: &mut Tx, organization_id: &str, id: &str) -> StoreResult<Option<ApiKey>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await
}

/// How many admin keys the organization has.
pub async fn count_admins(tx: &mut Tx, organization_id: &str) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM api_keys WHERE organization_id = $1 AND role = 'admin'";
    scalar(tx.conn().await?, sql, [organization_id.into()]).await
}

/// Deletes a key.
pub async fn delete(tx: &mut Tx, id: &str) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM api_keys WHERE id = $1",
        [id.into()],
    )
    .await?;
    Ok(())
}
