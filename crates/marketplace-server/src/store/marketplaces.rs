//! `marketplaces`: an organization's marketplaces (exactly one the default), and what the catalog
//! and the token path read of tenants: their keys, their access to a marketplace's listings, and
//! a customer's tenant.
//!
//! Deleting a marketplace takes, by foreign key, its listings (and with them their tenant
//! assignments), its partner credentials and its partner's signing keys; instances stay.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar_all};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::certification::Tier;
use marketplace_core::marketplace::{AppManagement, Marketplace, TenantAccess};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// A marketplace with its creation and last change.
#[derive(Debug, Clone)]
pub struct MarketplaceRecord {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    key: String,
    name: String,
    description: String,
    is_default: i64,
    allowed_origins: String,
    front_end_url: Option<String>,
    tenant_id: Option<String>,
    min_tier: Option<String>,
    partner: i64,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn record(self) -> StoreResult<MarketplaceRecord> {
        let min_tier = self
            .min_tier
            .as_deref()
            .map(|t| {
                Tier::from_name(t)
                    .ok_or_else(|| StoreError::Corrupt(format!("marketplace min_tier `{t}`")))
            })
            .transpose()?;
        Ok(MarketplaceRecord {
            marketplace: Marketplace {
                id: self.id.into(),
                key: self.key,
                name: self.name,
                description: self.description,
                default: self.is_default != 0,
                allowed_origins: json_column("allowed_origins", &self.allowed_origins)?,
                front_end_url: self.front_end_url,
                tenant_id: self.tenant_id.map(Into::into),
                min_tier,
                partner: self.partner != 0,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT id, key, name, description, is_default, allowed_origins, front_end_url, \
     tenant_id, min_tier, partner, created_at, updated_at FROM marketplaces";

/// Stores a new marketplace (a taken key is a unique violation).
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    marketplace: &Marketplace,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO marketplaces (id, organization_id, key, name, description, is_default, allowed_origins, \
         front_end_url, tenant_id, min_tier, partner, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        [
            marketplace.id.as_str().into(),
            organization_id.into(),
            (&marketplace.key).into(),
            (&marketplace.name).into(),
            (&marketplace.description).into(),
            i64::from(marketplace.default).into(),
            to_json_text(&marketplace.allowed_origins).into(),
            marketplace.front_end_url.clone().into(),
            marketplace.tenant_id.as_ref().map(|t| t.to_string()).into(),
            marketplace.min_tier.map(Tier::as_str).into(),
            i64::from(marketplace.partner).into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores a marketplace's changeable fields (name, description, origins, front end, minimum
/// tier); the key, the default, the tenant and `partner` are not changed here.
pub async fn update(
    tx: &mut Tx,
    organization_id: &str,
    marketplace: &Marketplace,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE marketplaces SET name = $1, description = $2, allowed_origins = $3, front_end_url = $4, \
         min_tier = $5, updated_at = $6 WHERE id = $7 AND organization_id = $8",
        [
            (&marketplace.name).into(),
            (&marketplace.description).into(),
            to_json_text(&marketplace.allowed_origins).into(),
            marketplace.front_end_url.clone().into(),
            marketplace.min_tier.map(Tier::as_str).into(),
            now.into(),
            marketplace.id.as_str().into(),
            organization_id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Makes a marketplace the organization's default: the old default is cleared first (a partial
/// unique index allows one default per organization), in the caller's transaction.
pub async fn set_default(
    tx: &mut Tx,
    organization_id: &str,
    id: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE marketplaces SET is_default = 0, updated_at = $1 WHERE organization_id = $2 AND is_default = 1 AND id <> $3",
        [now.into(), organization_id.into(), id.into()],
    )
    .await?;
    execute(
        tx.conn().await?,
        "UPDATE marketplaces SET is_default = 1, updated_at = $1 WHERE organization_id = $2 AND id = $3",
        [now.into(), organization_id.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Deletes a marketplace (its listings, assignments, credentials and partner keys go with it);
/// whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, id: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM marketplaces WHERE organization_id = $1 AND id = $2";
    Ok(execute(tx.conn().await?, sql, [organization_id.into(), id.into()]).await? > 0)
}

/// A marketplace of the organization (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<MarketplaceRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [organization_id.into(), id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// A marketplace of the organization, read inside a transaction.
pub async fn get_in(
    tx: &mut Tx,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<MarketplaceRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND id = $2");
    let row: Option<Row> = fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [organization_id.into(), id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// A page of the organization's marketplaces, oldest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<MarketplaceRecord>> {
    let filter = Filter::eq("organization_id", organization_id);
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::record)
}

/// Every marketplace of the organization (for the token path's directory).
pub async fn all(store: &Store, organization_id: &str) -> StoreResult<Vec<MarketplaceRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 ORDER BY id");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [organization_id.into()]).await?;
    rows.into_iter().map(Row::record).collect()
}

/// The ids of the organization's marketplaces with these keys, by key (in a transaction).
pub async fn ids_by_key(
    tx: &mut Tx,
    organization_id: &str,
) -> StoreResult<HashMap<String, String>> {
    let sql = "SELECT key, id FROM marketplaces WHERE organization_id = $1";
    let rows: Vec<(String, String)> =
        fetch_all(tx.conn().await?, sql, [organization_id.into()]).await?;
    Ok(rows.into_iter().collect())
}

/// Every origin some marketplace allows (for CORS, before a token says which organization).
pub async fn all_allowed_origins(store: &Store) -> StoreResult<Vec<String>> {
    let rows: Vec<String> = scalar_all(
        &store.db.read,
        "SELECT allowed_origins FROM marketplaces",
        [],
    )
    .await?;
    let mut origins = Vec::new();
    for row in rows {
        origins.extend(json_column::<Vec<String>>("allowed_origins", &row)?);
    }
    Ok(origins)
}

/// The organization's tenants' ids, by key (the token's `tenant` claim names a key).
pub async fn tenant_ids_by_key(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<String, String>> {
    let sql = "SELECT key, id FROM tenants WHERE organization_id = $1";
    let rows: Vec<(String, String)> =
        fetch_all(&store.db.read, sql, [organization_id.into()]).await?;
    Ok(rows.into_iter().collect())
}

/// Every tenant of the organization as the catalog of one marketplace sees it: its
/// `app_management` and the integrations assigned to it in that marketplace, by tenant id.
pub async fn tenant_accesses(
    store: &Store,
    organization_id: &str,
    marketplace_id: &str,
) -> StoreResult<HashMap<String, TenantAccess>> {
    let sql = "SELECT id, app_management FROM tenants WHERE organization_id = $1";
    let tenants: Vec<(String, String)> =
        fetch_all(&store.db.read, sql, [organization_id.into()]).await?;
    let mut accesses = HashMap::with_capacity(tenants.len());
    for (id, app_management) in tenants {
        let app_management = AppManagement::from_name(&app_management).ok_or_else(|| {
            StoreError::Corrupt(format!("tenant {id} app_management `{app_management}`"))
        })?;
        let access = TenantAccess {
            app_management,
            assigned: Default::default(),
        };
        accesses.insert(id, access);
    }
    let sql = "SELECT tenant_id, integration_id FROM tenant_listings WHERE marketplace_id = $1";
    let assigned: Vec<(String, String)> =
        fetch_all(&store.db.read, sql, [marketplace_id.into()]).await?;
    for (tenant_id, integration_id) in assigned {
        if let Some(access) = accesses.get_mut(&tenant_id) {
            access.assigned.insert(integration_id.into());
        }
    }
    Ok(accesses)
}

/// A customer's id and tenant, by external id (the token path's lookup).
pub async fn customer_by_external_id(
    store: &Store,
    organization_id: &str,
    external_id: &str,
) -> StoreResult<Option<(String, Option<String>)>> {
    let sql = "SELECT id, tenant_id FROM customers WHERE organization_id = $1 AND external_id = $2";
    fetch_optional(
        &store.db.write,
        sql,
        [organization_id.into(), external_id.into()],
    )
    .await
}

/// A customer's tenant (`None` when the customer does not exist; `Some(None)`: no tenant).
pub async fn customer_tenant(
    store: &Store,
    customer_id: &str,
) -> StoreResult<Option<Option<String>>> {
    let sql = "SELECT tenant_id FROM customers WHERE id = $1";
    let row: Option<(Option<String>,)> =
        fetch_optional(&store.db.read, sql, [customer_id.into()]).await?;
    Ok(row.map(|(tenant,)| tenant))
}

/// Sets a customer's tenant (a token's `tenant` claim, or a partner's key for a new customer).
pub async fn set_customer_tenant(
    tx: &mut Tx,
    customer_id: &str,
    tenant_id: Option<&str>,
) -> StoreResult<()> {
    let sql = "UPDATE customers SET tenant_id = $1 WHERE id = $2";
    execute(
        tx.conn().await?,
        sql,
        [tenant_id.into(), customer_id.into()],
    )
    .await?;
    Ok(())
}
