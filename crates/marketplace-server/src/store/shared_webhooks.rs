//! `shared_webhooks`: one trigger URL per integration, routed to a customer by a value of the
//! call. The key is stored as its SHA-256 (hex); `route_by` as core's JSON form.

use super::sql::{execute, fetch_optional};
use super::{Store, StoreResult, json_column, to_json_text};
use marketplace_core::routing::RouteBy;
use sqlx::AssertSqlSafe;

/// A shared webhook as stored.
#[derive(Debug, Clone)]
pub struct SharedWebhookRecord {
    /// The integration.
    pub integration_id: String,
    /// The organization.
    pub organization_id: String,
    /// Where calls name their customer.
    pub route_by: RouteBy,
    /// SHA-256 (hex) of the key.
    pub key_hash: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    integration_id: String,
    organization_id: String,
    route_by: String,
    key_hash: String,
}

impl Row {
    fn record(self) -> StoreResult<SharedWebhookRecord> {
        Ok(SharedWebhookRecord {
            route_by: json_column("route_by", &self.route_by)?,
            integration_id: self.integration_id,
            organization_id: self.organization_id,
            key_hash: self.key_hash,
        })
    }
}

const SELECT: &str =
    "SELECT integration_id, organization_id, route_by, key_hash FROM shared_webhooks";

/// The integration's shared webhook, whatever its organization (for the public trigger).
pub async fn by_integration(
    store: &Store,
    integration_id: &str,
) -> StoreResult<Option<SharedWebhookRecord>> {
    let sql = format!("{SELECT} WHERE integration_id = $1");
    let row: Option<Row> =
        fetch_optional(&store.db.read, AssertSqlSafe(sql), [integration_id.into()]).await?;
    row.map(Row::record).transpose()
}

/// The shared webhook of the organization's integration.
pub async fn get(
    store: &Store,
    organization_id: &str,
    integration_id: &str,
) -> StoreResult<Option<SharedWebhookRecord>> {
    let sql = format!("{SELECT} WHERE integration_id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [integration_id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// Creates the shared webhook; `false` when the integration has one already.
pub async fn insert(store: &Store, record: &SharedWebhookRecord, now: i64) -> StoreResult<bool> {
    let inserted = execute(
        &store.db.write,
        "INSERT INTO shared_webhooks (integration_id, organization_id, route_by, key_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
        [
            (&record.integration_id).into(),
            (&record.organization_id).into(),
            to_json_text(&record.route_by).into(),
            (&record.key_hash).into(),
            now.into(),
        ],
    )
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if e.is_duplicate() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Changes where calls name their customer; `false` when there is no shared webhook.
pub async fn set_route(
    store: &Store,
    organization_id: &str,
    integration_id: &str,
    route_by: &RouteBy,
    now: i64,
) -> StoreResult<bool> {
    let changed = execute(
        &store.db.write,
        "UPDATE shared_webhooks SET route_by = $1, updated_at = $2 WHERE integration_id = $3 AND organization_id = $4",
        [
            to_json_text(route_by).into(),
            now.into(),
            integration_id.into(),
            organization_id.into(),
        ],
    )
    .await?;
    Ok(changed == 1)
}

/// Replaces the key (by its hash); `false` when there is no shared webhook.
pub async fn set_key(
    store: &Store,
    organization_id: &str,
    integration_id: &str,
    key_hash: &str,
    now: i64,
) -> StoreResult<bool> {
    let changed = execute(
        &store.db.write,
        "UPDATE shared_webhooks SET key_hash = $1, updated_at = $2 WHERE integration_id = $3 AND organization_id = $4",
        [
            key_hash.into(),
            now.into(),
            integration_id.into(),
            organization_id.into(),
        ],
    )
    .await?;
    Ok(changed == 1)
}

/// Removes the shared webhook; `false` when there was none.
pub async fn delete(
    store: &Store,
    organization_id: &str,
    integration_id: &str,
) -> StoreResult<bool> {
    let changed = execute(
        &store.db.write,
        "DELETE FROM shared_webhooks WHERE integration_id = $1 AND organization_id = $2",
        [integration_id.into(), organization_id.into()],
    )
    .await?;
    Ok(changed == 1)
}
