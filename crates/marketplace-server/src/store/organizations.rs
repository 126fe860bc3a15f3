//! `organizations`: the vendor's name, allowed embed origins, theme defaults and catalog version.

use super::sql::{execute, fetch_optional, scalar_all, scalar_optional};
use super::{Store, StoreResult, Tx, json_column, now_ms, to_json_text};
use marketplace_core::organization::Theme;

/// An organization as stored.
#[derive(Debug, Clone)]
pub struct Organization {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Origins allowed to embed the marketplace and call the embedded API.
    pub allowed_origins: Vec<String>,
    /// Theme defaults.
    pub theme: Theme,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// Inserts an organization with its default marketplace (key `default`, id `mkt_` + the
/// organization id's suffix, as the migration that introduced marketplaces names it).
pub async fn insert(tx: &mut Tx, id: &str, name: &str) -> StoreResult<()> {
    let now = now_ms();
    let sql = "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)";
    execute(tx.conn().await?, sql, [id.into(), name.into(), now.into()]).await?;
    let sql = "INSERT INTO marketplaces (id, organization_id, key, name, is_default, created_at, updated_at) \
               VALUES ($1, $2, 'default', $3, 1, $4, $4)";
    let marketplace_id = default_marketplace_id(id);
    execute(
        tx.conn().await?,
        sql,
        [marketplace_id.into(), id.into(), name.into(), now.into()],
    )
    .await?;
    Ok(())
}

/// The id of the organization's default marketplace.
pub async fn default_marketplace(
    store: &Store,
    organization_id: &str,
) -> StoreResult<Option<String>> {
    let sql = "SELECT id FROM marketplaces WHERE organization_id = $1 AND is_default = 1";
    scalar_optional(&store.db.read, sql, [organization_id.into()]).await
}

/// The id of the marketplace an organization starts with.
pub fn default_marketplace_id(organization_id: &str) -> String {
    let suffix = organization_id.get(4..).unwrap_or(organization_id);
    format!("mkt_{suffix}")
}

/// An organization, if it exists.
pub async fn get(store: &Store, id: &str) -> StoreResult<Option<Organization>> {
    let sql =
        "SELECT id, name, allowed_origins, theme, created_at FROM organizations WHERE id = $1";
    let row: Option<(String, String, String, String, i64)> =
        fetch_optional(&store.db.read, sql, [id.into()]).await?;
    row.map(|(id, name, origins, theme, created_at)| {
        Ok(Organization {
            id,
            name,
            allowed_origins: json_column("allowed_origins", &origins)?,
            // Organizations created before a theme was set hold `{}`: the defaults.
            theme: json_column("theme", &theme)?,
            created_at,
        })
    })
    .transpose()
}

/// Stores an organization's name, origins and theme.
pub async fn update(tx: &mut Tx, organization: &Organization) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE organizations SET name = $1, allowed_origins = $2, theme = $3 WHERE id = $4",
        [
            (&organization.name).into(),
            to_json_text(&organization.allowed_origins).into(),
            to_json_text(&organization.theme).into(),
            (&organization.id).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Every origin some organization allows (for CORS, before a token says which organization).
pub async fn all_allowed_origins(store: &Store) -> StoreResult<Vec<String>> {
    let sql = "SELECT allowed_origins FROM organizations";
    let rows: Vec<String> = scalar_all(&store.db.read, sql, []).await?;
    let mut origins = Vec::new();
    for row in rows {
        origins.extend(json_column::<Vec<String>>("allowed_origins", &row)?);
    }
    Ok(origins)
}

/// The organization's catalog version (bumped by every catalog write).
pub async fn catalog_version(store: &Store, id: &str) -> StoreResult<i64> {
    let sql = "SELECT catalog_version FROM organizations WHERE id = $1";
    let version = scalar_optional(&store.db.read, sql, [id.into()]).await?;
    Ok(version.unwrap_or_default())
}

/// The organization's catalog version and the customer's cache version (-1 when there is no
/// such customer), in one indexed read: what a process compares with its kept catalog and
/// customer snapshots.
pub async fn cache_stamps(
    store: &Store,
    organization_id: &str,
    customer_id: &str,
) -> StoreResult<(i64, i64)> {
    let sql = "SELECT catalog_version, \
         COALESCE((SELECT cache_version FROM customers WHERE id = $2 AND organization_id = $1), -1) \
         FROM organizations WHERE id = $1";
    let stamps = fetch_optional(
        &store.db.read,
        sql,
        [organization_id.into(), customer_id.into()],
    )
    .await?;
    Ok(stamps.unwrap_or((0, -1)))
}

/// Marks the organization's catalog as changed, inside the writing transaction.
pub async fn bump_catalog_version(tx: &mut Tx, id: &str) -> StoreResult<()> {
    let sql = "UPDATE organizations SET catalog_version = catalog_version + 1 WHERE id = $1";
    execute(tx.conn().await?, sql, [id.into()]).await?;
    Ok(())
}
