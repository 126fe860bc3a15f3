//! `tenants` and `tenant_listings`: customer segments or resellers, and the listings assigned
//! to them.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar};
use super::{Page, PageRequest, Store, StoreResult, Tx};
use sqlx::AssertSqlSafe;

/// A stored tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    /// Id (`ten_`).
    pub id: String,
    /// Unique key in the organization.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `all` or `tenant` (core's `AppManagement`).
    pub app_management: String,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

const SELECT: &str =
    "SELECT id, key, name, description, app_management, created_at, updated_at FROM tenants";

/// Stores a new tenant (a duplicate key is a unique violation).
pub async fn insert(tx: &mut Tx, organization_id: &str, tenant: &TenantRow) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO tenants (id, organization_id, key, name, description, app_management, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (&tenant.id).into(),
            organization_id.into(),
            (&tenant.key).into(),
            (&tenant.name).into(),
            (&tenant.description).into(),
            (&tenant.app_management).into(),
            tenant.created_at.into(),
            tenant.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Writes a tenant's name, description and app management (the key never changes).
pub async fn update(tx: &mut Tx, organization_id: &str, tenant: &TenantRow) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE tenants SET name = $1, description = $2, app_management = $3, updated_at = $4 \
         WHERE id = $5 AND organization_id = $6",
        [
            (&tenant.name).into(),
            (&tenant.description).into(),
            (&tenant.app_management).into(),
            tenant.updated_at.into(),
            (&tenant.id).into(),
            organization_id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A tenant of the organization.
pub async fn get(store: &Store, organization_id: &str, id: &str) -> StoreResult<Option<TenantRow>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND id = $2");
    fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [organization_id.into(), id.into()],
    )
    .await
}

/// A tenant of the organization, read inside a transaction.
pub async fn get_in(
    tx: &mut Tx,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<TenantRow>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND id = $2");
    fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [organization_id.into(), id.into()],
    )
    .await
}

/// A page of the organization's tenants, by id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<TenantRow>> {
    let filter = Filter::eq("organization_id", organization_id);
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |t: &TenantRow| t.id.clone(),
    )
    .await
}

/// Whether a customer or a marketplace refers to the tenant.
pub async fn in_use(tx: &mut Tx, id: &str) -> StoreResult<bool> {
    let sql = "SELECT (SELECT COUNT(*) FROM customers WHERE tenant_id = $1) \
               + (SELECT COUNT(*) FROM marketplaces WHERE tenant_id = $1)";
    let n: i64 = scalar(tx.conn().await?, sql, [id.into()]).await?;
    Ok(n > 0)
}

/// Deletes a tenant (its assignments and registration tokens go with it); whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, id: &str) -> StoreResult<bool> {
    for sql in [
        "DELETE FROM tenant_listings WHERE tenant_id = $1",
        "DELETE FROM marketplace_registrations WHERE tenant_id = $1",
    ] {
        execute(tx.conn().await?, sql, [id.into()]).await?;
    }
    let sql = "DELETE FROM tenants WHERE organization_id = $1 AND id = $2";
    Ok(execute(tx.conn().await?, sql, [organization_id.into(), id.into()]).await? > 0)
}

/// A listing assigned to a tenant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantListing {
    /// The tenant.
    pub tenant_id: String,
    /// The listing's marketplace.
    pub marketplace_id: String,
    /// The listing's integration.
    pub integration_id: String,
}

/// A page of a tenant's assigned listings, optionally of one marketplace; the cursor is
/// `marketplace_id/integration_id`.
pub async fn listings(
    store: &Store,
    tenant_id: &str,
    marketplace_id: Option<&str>,
    page: &PageRequest,
) -> StoreResult<Page<TenantListing>> {
    let mut filter = Filter::eq("tenant_id", tenant_id);
    filter.eq_opt("marketplace_id", marketplace_id);
    fetch_page(
        store,
        "SELECT tenant_id, marketplace_id, integration_id FROM tenant_listings",
        "marketplace_id || '/' || integration_id",
        Order::Ascending,
        filter,
        page,
        |l: &TenantListing| format!("{}/{}", l.marketplace_id, l.integration_id),
    )
    .await
}

/// Whether the organization has that listing.
pub async fn listing_exists(
    tx: &mut Tx,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> StoreResult<bool> {
    let sql = "SELECT COUNT(*) FROM listings WHERE organization_id = $1 AND marketplace_id = $2 \
               AND integration_id = $3";
    let n: i64 = scalar(
        tx.conn().await?,
        sql,
        [
            organization_id.into(),
            marketplace_id.into(),
            integration_id.into(),
        ],
    )
    .await?;
    Ok(n > 0)
}

/// Assigns a listing to a tenant; whether the assignment is new.
pub async fn assign(
    tx: &mut Tx,
    tenant_id: &str,
    marketplace_id: &str,
    integration_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let sql = "INSERT INTO tenant_listings (tenant_id, marketplace_id, integration_id, created_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    let inserted = execute(
        tx.conn().await?,
        sql,
        [
            tenant_id.into(),
            marketplace_id.into(),
            integration_id.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(inserted > 0)
}

/// Removes a listing from a tenant; whether it was assigned.
pub async fn unassign(
    tx: &mut Tx,
    tenant_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> StoreResult<bool> {
    let sql = "DELETE FROM tenant_listings WHERE tenant_id = $1 AND marketplace_id = $2 \
               AND integration_id = $3";
    let deleted = execute(
        tx.conn().await?,
        sql,
        [
            tenant_id.into(),
            marketplace_id.into(),
            integration_id.into(),
        ],
    )
    .await?;
    Ok(deleted > 0)
}

/// The integrations assigned to a tenant in one marketplace.
pub async fn assigned(
    store: &Store,
    tenant_id: &str,
    marketplace_id: &str,
) -> StoreResult<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        integration_id: String,
    }
    let sql =
        "SELECT integration_id FROM tenant_listings WHERE tenant_id = $1 AND marketplace_id = $2";
    let rows: Vec<Row> = fetch_all(
        &store.db.read,
        sql,
        [tenant_id.into(), marketplace_id.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.integration_id).collect())
}
