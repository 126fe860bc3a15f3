//! Partners: `marketplace_credentials` (client secrets stored as SHA-256),
//! `marketplace_registrations` (single-use tokens stored as SHA-256) and partner marketplaces'
//! signing keys; the marketplaces themselves are `store::marketplaces`'.

use super::page::{Filter, Order, fetch_page};
use super::signing_keys::SigningKey;
use super::sql::{execute, fetch_optional, scalar};
use super::{Page, PageRequest, Store, StoreResult, Tx};

/// Client credentials of a marketplace, without the secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    /// Client id (`mkc_`).
    pub client_id: String,
    /// Last successful use (Unix ms).
    pub last_used_at: Option<i64>,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// Stores credentials by the hash of their secret.
pub async fn insert_credential(
    tx: &mut Tx,
    marketplace_id: &str,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO marketplace_credentials (client_id, marketplace_id, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4)",
        [
            client_id.into(),
            marketplace_id.into(),
            secret_hash.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// How many credentials a marketplace holds.
pub async fn count_credentials(tx: &mut Tx, marketplace_id: &str) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM marketplace_credentials WHERE marketplace_id = $1";
    scalar(tx.conn().await?, sql, [marketplace_id.into()]).await
}

/// A page of a marketplace's credentials, by client id.
pub async fn list_credentials(
    store: &Store,
    marketplace_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<Credential>> {
    fetch_page(
        store,
        "SELECT client_id, last_used_at, created_at FROM marketplace_credentials",
        "client_id",
        Order::Ascending,
        Filter::eq("marketplace_id", marketplace_id),
        page,
        |c: &Credential| c.client_id.clone(),
    )
    .await
}

/// Revokes credentials; whether they existed.
pub async fn delete_credential(
    tx: &mut Tx,
    marketplace_id: &str,
    client_id: &str,
) -> StoreResult<bool> {
    let sql = "DELETE FROM marketplace_credentials WHERE marketplace_id = $1 AND client_id = $2";
    Ok(execute(
        tx.conn().await?,
        sql,
        [marketplace_id.into(), client_id.into()],
    )
    .await?
        > 0)
}

/// Who holds client credentials: the marketplace, its organization and the secret's hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CredentialHolder {
    /// The marketplace.
    pub marketplace_id: String,
    /// Its organization.
    pub organization_id: String,
    /// SHA-256 (hex) of the secret.
    pub secret_hash: String,
}

/// The holder of a client id.
pub async fn credential_holder(
    store: &Store,
    client_id: &str,
) -> StoreResult<Option<CredentialHolder>> {
    let sql = "SELECT c.marketplace_id, m.organization_id, c.secret_hash \
               FROM marketplace_credentials c JOIN marketplaces m ON m.id = c.marketplace_id \
               WHERE c.client_id = $1";
    fetch_optional(&store.db.read, sql, [client_id.into()]).await
}

/// Records a successful use of credentials.
pub async fn touch_credential(tx: &mut Tx, client_id: &str, now: i64) -> StoreResult<()> {
    let sql = "UPDATE marketplace_credentials SET last_used_at = $1 WHERE client_id = $2";
    execute(tx.conn().await?, sql, [now.into(), client_id.into()]).await?;
    Ok(())
}

/// Stores a registration token by its hash.
pub async fn insert_registration(
    tx: &mut Tx,
    id: &str,
    organization_id: &str,
    tenant_id: &str,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO marketplace_registrations (id, organization_id, tenant_id, token_hash, \
         expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            id.into(),
            organization_id.into(),
            tenant_id.into(),
            token_hash.into(),
            expires_at.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// An unused registration token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Registration {
    /// Id (`reg_`).
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// The tenant the marketplace will serve.
    pub tenant_id: String,
}

/// Marks the unused, unexpired registration of that token hash as used by a marketplace, and
/// returns it (`None`: unknown, used or expired). Inside the registering transaction, so a
/// failed registration leaves the token unused.
pub async fn use_registration(
    tx: &mut Tx,
    token_hash: &str,
    marketplace_id: &str,
    now: i64,
) -> StoreResult<Option<Registration>> {
    let sql = "SELECT id, organization_id, tenant_id FROM marketplace_registrations \
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    let Some(registration): Option<Registration> =
        fetch_optional(tx.conn().await?, sql, [token_hash.into(), now.into()]).await?
    else {
        return Ok(None);
    };
    let sql = "UPDATE marketplace_registrations SET used_at = $1, marketplace_id = $2 \
               WHERE id = $3 AND used_at IS NULL";
    let updated = execute(
        tx.conn().await?,
        sql,
        [now.into(), marketplace_id.into(), (&registration.id).into()],
    )
    .await?;
    Ok((updated > 0).then_some(registration))
}

/// A page of a marketplace's signing keys, by kid.
pub async fn list_signing_keys(
    store: &Store,
    marketplace_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<SigningKey>> {
    fetch_page(
        store,
        "SELECT kid, algorithm, public_key_pem, created_at, marketplace_id FROM signing_keys",
        "kid",
        Order::Ascending,
        Filter::eq("marketplace_id", marketplace_id),
        page,
        |k: &SigningKey| k.kid.clone(),
    )
    .await
}

/// Deletes a marketplace's signing key; whether it existed.
pub async fn delete_signing_key(tx: &mut Tx, marketplace_id: &str, kid: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM signing_keys WHERE marketplace_id = $1 AND kid = $2";
    Ok(execute(tx.conn().await?, sql, [marketplace_id.into(), kid.into()]).await? > 0)
}

/// Whether the marketplace lists that version of the integration.
pub async fn lists_version(
    store: &Store,
    marketplace_id: &str,
    integration_id: &str,
    version: &str,
) -> StoreResult<bool> {
    let sql = "SELECT COUNT(*) FROM listings WHERE marketplace_id = $1 AND integration_id = $2 \
               AND version = $3";
    let n: i64 = scalar(
        &store.db.read,
        sql,
        [marketplace_id.into(), integration_id.into(), version.into()],
    )
    .await?;
    Ok(n > 0)
}
