//! `signing_keys`: the host app's public keys, by (organization, `kid`).

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_optional};
use super::{Page, PageRequest, Store, StoreResult, Tx};
use sqlx::AssertSqlSafe;

/// A registered public key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKey {
    /// Key id.
    pub kid: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub algorithm: String,
    /// The public key (PEM).
    pub public_key_pem: String,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// A partner's key signs only for this marketplace (`None`: the vendor's key).
    pub marketplace_id: Option<String>,
}

const SELECT: &str =
    "SELECT kid, algorithm, public_key_pem, created_at, marketplace_id FROM signing_keys";

/// Stores a key (a duplicate kid is a unique violation).
pub async fn insert(tx: &mut Tx, organization_id: &str, key: &SigningKey) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO signing_keys (organization_id, kid, algorithm, public_key_pem, created_at, marketplace_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            organization_id.into(),
            (&key.kid).into(),
            (&key.algorithm).into(),
            (&key.public_key_pem).into(),
            key.created_at.into(),
            key.marketplace_id.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// A key of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    kid: &str,
) -> StoreResult<Option<SigningKey>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND kid = $2");
    fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [organization_id.into(), kid.into()],
    )
    .await
}

/// A page of the organization's keys.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<SigningKey>> {
    let filter = Filter::eq("organization_id", organization_id);
    fetch_page(
        store,
        SELECT,
        "kid",
        Order::Ascending,
        filter,
        page,
        |k: &SigningKey| k.kid.clone(),
    )
    .await
}

/// Deletes a key; whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, kid: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM signing_keys WHERE organization_id = $1 AND kid = $2";
    let deleted = execute(tx.conn().await?, sql, [organization_id.into(), kid.into()]).await?;
    Ok(deleted > 0)
}
