//! `instance_mappings`: an instance's overrides of a collection's mappings.

use super::sql::{execute, fetch_all, scalar_optional};
use super::{Conn, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::mapping::Mapping;

/// An instance's overrides of one collection (none: empty).
pub async fn get(
    conn: &mut Conn,
    instance_id: &str,
    collection: &str,
) -> StoreResult<Vec<Mapping>> {
    let text: Option<String> = scalar_optional(
        conn,
        "SELECT overrides FROM instance_mappings WHERE instance_id = $1 AND collection = $2",
        [instance_id.into(), collection.into()],
    )
    .await?;
    text.map(|t| json_column("overrides", &t))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Every collection an instance overrides, with its overrides, by collection name.
pub async fn all(conn: &mut Conn, instance_id: &str) -> StoreResult<Vec<(String, Vec<Mapping>)>> {
    let rows: Vec<(String, String)> = fetch_all(
        conn,
        "SELECT collection, overrides FROM instance_mappings WHERE instance_id = $1 ORDER BY collection",
        [instance_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|(collection, text)| Ok((collection, json_column("overrides", &text)?)))
        .collect()
}

/// Stores an instance's overrides of a collection; none deletes the row.
pub async fn put(
    tx: &mut Tx,
    instance_id: &str,
    collection: &str,
    overrides: &[Mapping],
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM instance_mappings WHERE instance_id = $1 AND collection = $2",
        [instance_id.into(), collection.into()],
    )
    .await?;
    if !overrides.is_empty() {
        execute(
            tx.conn().await?,
            "INSERT INTO instance_mappings (instance_id, collection, overrides, updated_at) VALUES ($1, $2, $3, $4)",
            [
                instance_id.into(),
                collection.into(),
                to_json_text(&overrides).into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Replaces every override of an instance (an upgrade keeps some, drops the rest).
pub async fn replace_all(
    tx: &mut Tx,
    instance_id: &str,
    kept: &[(String, Vec<Mapping>)],
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM instance_mappings WHERE instance_id = $1",
        [instance_id.into()],
    )
    .await?;
    for (collection, overrides) in kept {
        put(tx, instance_id, collection, overrides, now).await?;
    }
    Ok(())
}
