//! `providers`: the companies behind third-party applications.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar};
use super::{Page, PageRequest, Store, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::certification::Provider;
use sqlx::AssertSqlSafe;

/// A provider with its timestamps.
#[derive(Debug, Clone)]
pub struct ProviderRecord {
    /// The provider.
    pub provider: Provider,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    url: Option<String>,
    logo_url: Option<String>,
    support: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn record(self) -> StoreResult<ProviderRecord> {
        Ok(ProviderRecord {
            provider: Provider {
                id: self.id.into(),
                name: self.name,
                url: self.url,
                logo_url: self.logo_url,
                support: json_column("support", &self.support)?,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str =
    "SELECT id, name, url, logo_url, support, created_at, updated_at FROM providers";

/// Stores a new provider.
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    provider: &Provider,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO providers (id, organization_id, name, url, logo_url, support, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        [
            provider.id.as_str().into(),
            organization_id.into(),
            (&provider.name).into(),
            provider.url.clone().into(),
            provider.logo_url.clone().into(),
            to_json_text(&provider.support).into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores a provider's changed fields.
pub async fn update(tx: &mut Tx, provider: &Provider, now: i64) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE providers SET name = $1, url = $2, logo_url = $3, support = $4, updated_at = $5 WHERE id = $6",
        [
            (&provider.name).into(),
            provider.url.clone().into(),
            provider.logo_url.clone().into(),
            to_json_text(&provider.support).into(),
            now.into(),
            provider.id.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a provider; whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, id: &str) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "DELETE FROM providers WHERE id = $1 AND organization_id = $2",
        [id.into(), organization_id.into()],
    )
    .await?;
    Ok(changed > 0)
}

/// Whether the provider has applications (read in the deleting transaction).
pub async fn has_applications(tx: &mut Tx, id: &str) -> StoreResult<bool> {
    let count: i64 = scalar(
        tx.conn().await?,
        "SELECT COUNT(*) FROM applications WHERE provider_id = $1",
        [id.into()],
    )
    .await?;
    Ok(count > 0)
}

/// A provider of the organization (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<ProviderRecord>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// A page of the organization's providers, by id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<ProviderRecord>> {
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        Filter::eq("organization_id", organization_id),
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::record)
}

/// Every provider of the organization, by id (the evidence of its versions).
pub async fn all(store: &Store, organization_id: &str) -> StoreResult<Vec<Provider>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 ORDER BY id");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [organization_id.into()]).await?;
    rows.into_iter()
        .map(|r| r.record().map(|r| r.provider))
        .collect()
}
