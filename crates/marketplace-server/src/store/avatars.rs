//! `avatars`: a customer's picture, a 500×500 PNG kept by content hash (served at
//! `/avatars/{sha256}.png`), and the customer's `avatar_url` that points at it.

use super::sql::{Arg, execute, scalar_optional};
use super::{Store, StoreResult, Tx};

/// Stores (or replaces) a customer's avatar and points its `avatar_url` at `url`.
pub async fn put(
    tx: &mut Tx,
    customer_id: &str,
    sha256: &str,
    png: Vec<u8>,
    url: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO avatars (customer_id, sha256, png, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (customer_id) DO UPDATE SET sha256 = excluded.sha256, png = excluded.png, \
         created_at = excluded.created_at",
        [
            customer_id.into(),
            sha256.into(),
            Arg::Blob(png),
            now.into(),
        ],
    )
    .await?;
    execute(
        tx.conn().await?,
        "UPDATE customers SET avatar_url = $1 WHERE id = $2",
        [url.into(), customer_id.into()],
    )
    .await?;
    Ok(())
}

/// Removes a customer's avatar and clears its `avatar_url` (whoever set it).
pub async fn delete(tx: &mut Tx, customer_id: &str) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM avatars WHERE customer_id = $1",
        [customer_id.into()],
    )
    .await?;
    execute(
        tx.conn().await?,
        "UPDATE customers SET avatar_url = NULL WHERE id = $1",
        [customer_id.into()],
    )
    .await?;
    Ok(())
}

/// The PNG stored under a content hash, if a customer has it as its avatar.
pub async fn png_by_sha256(store: &Store, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
    scalar_optional(
        &store.db.read,
        "SELECT png FROM avatars WHERE sha256 = $1 LIMIT 1",
        [sha256.into()],
    )
    .await
}
