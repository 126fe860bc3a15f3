//! `integration_icons`: an integration's icon (PNG or sanitised SVG) kept by content hash,
//! served at `/icons/{sha256}.{png|svg}`.

use super::sql::{Arg, execute, fetch_optional};
use super::{Store, StoreResult, Tx};

/// Stores (or replaces) an integration's icon.
pub async fn put(
    tx: &mut Tx,
    integration_id: &str,
    sha256: &str,
    content_type: &str,
    content: Vec<u8>,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO integration_icons (integration_id, sha256, content_type, content, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (integration_id) DO UPDATE SET \
         sha256 = excluded.sha256, content_type = excluded.content_type, \
         content = excluded.content, created_at = excluded.created_at",
        [
            integration_id.into(),
            sha256.into(),
            content_type.into(),
            Arg::Blob(content),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Removes an integration's icon; whether it had one.
pub async fn delete(tx: &mut Tx, integration_id: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM integration_icons WHERE integration_id = $1";
    Ok(execute(tx.conn().await?, sql, [integration_id.into()]).await? > 0)
}

/// The content stored under a content hash with that content type, if an integration has it.
pub async fn content(
    store: &Store,
    sha256: &str,
    content_type: &str,
) -> StoreResult<Option<Vec<u8>>> {
    let sql =
        "SELECT content FROM integration_icons WHERE sha256 = $1 AND content_type = $2 LIMIT 1";
    let row: Option<(Vec<u8>,)> =
        fetch_optional(&store.db.read, sql, [sha256.into(), content_type.into()]).await?;
    Ok(row.map(|(content,)| content))
}
