//! Catalog snapshots: each organization's listed integrations with their compiled versions,
//! kept in memory and rebuilt after a catalog write, so the marketplace read path does no SQL
//! for the catalog itself.
//!
//! A write bumps `organizations.catalog_version` in its transaction. On PostgreSQL, where several
//! processes may serve one database, a read compares that number with the snapshot's (one
//! indexed lookup); on SQLite, a single process owns the file and local invalidation suffices.
//!
//! On SQLite, each customer's part of the marketplace view (its live instances and vendor-set
//! values) is kept too, dropped after every committed write of those (activation, instance
//! change, vendor values, customer deletion), so a repeated marketplace read does no SQL at all.

use crate::db::Backend;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use marketplace_core::catalog::VendorValues;
use marketplace_core::{
    Catalog, CatalogListing, Integration, IntegrationId, IntegrationVersion, Listing,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An organization's catalog at one catalog version.
#[derive(Debug)]
pub struct Snapshot {
    /// The `catalog_version` it was built at.
    pub stamp: i64,
    /// The catalog (core's type: sorted once, queried per customer).
    pub catalog: Catalog,
    /// Each listing's overview as sanitised HTML, rendered once per snapshot.
    overviews: HashMap<String, String>,
}

impl Snapshot {
    /// The listed integration with that id.
    pub fn get(&self, integration_id: &str) -> Option<&CatalogListing> {
        self.catalog.get(integration_id)
    }

    /// The overview of a listed integration as sanitised HTML (empty when not listed).
    pub fn overview_html(&self, integration_id: &str) -> &str {
        self.overviews
            .get(integration_id)
            .map_or("", String::as_str)
    }
}

/// What a customer's view of the catalog needs besides the catalog: the integrations it has
/// live instances of, and the vendor-set values of its integrations.
#[derive(Debug, Default)]
pub struct CustomerSnapshot {
    /// Integration of each live (not deactivated) instance.
    pub live: Vec<IntegrationId>,
    /// Vendor-set values by integration.
    pub vendor: VendorValues,
}

/// Customer snapshots by customer id, and the number of invalidations so far: a snapshot
/// loaded while a write commits is not kept (its loader saw an older count).
#[derive(Debug, Default)]
struct CustomerSnapshots {
    by_customer: HashMap<String, Arc<CustomerSnapshot>>,
    invalidations: u64,
}

/// Most customer snapshots kept; past that the map starts over.
const MAX_CUSTOMER_SNAPSHOTS: usize = 100_000;

/// Snapshots by organization, published versions by (integration, version), and customer
/// snapshots by customer (kept on SQLite only, where one process sees every write).
#[derive(Debug, Default)]
pub struct CatalogCache {
    snapshots: Mutex<HashMap<String, Arc<Snapshot>>>,
    versions: Mutex<HashMap<(String, String), Arc<IntegrationVersion>>>,
    customers: Mutex<CustomerSnapshots>,
}

impl CatalogCache {
    /// Drops an organization's snapshot (after a catalog write).
    pub fn invalidate(&self, organization_id: &str) {
        self.snapshots.lock().expect("lock").remove(organization_id);
    }

    /// Drops a customer's snapshot; call after committing a write of its instances or its
    /// vendor-set values (or its deletion).
    pub fn forget_customer(&self, customer_id: &str) {
        let mut customers = self.customers.lock().expect("lock");
        customers.by_customer.remove(customer_id);
        customers.invalidations += 1;
    }

    /// A customer's snapshot, if kept.
    pub fn customer(&self, customer_id: &str) -> Option<Arc<CustomerSnapshot>> {
        let customers = self.customers.lock().expect("lock");
        customers.by_customer.get(customer_id).cloned()
    }

    /// The number of [`forget_customer`](Self::forget_customer) calls so far: read it before
    /// loading a snapshot, and pass it to [`keep_customer`](Self::keep_customer).
    pub fn customer_invalidations(&self) -> u64 {
        self.customers.lock().expect("lock").invalidations
    }

    /// Keeps a customer's snapshot, unless an invalidation happened since its loader read
    /// `invalidations` (the snapshot may then predate a write).
    pub fn keep_customer(
        &self,
        customer_id: &str,
        invalidations: u64,
        snapshot: Arc<CustomerSnapshot>,
    ) {
        let mut customers = self.customers.lock().expect("lock");
        if customers.invalidations != invalidations {
            return;
        }
        if customers.by_customer.len() >= MAX_CUSTOMER_SNAPSHOTS {
            customers.by_customer.clear();
        }
        customers
            .by_customer
            .insert(customer_id.to_owned(), snapshot);
    }
}

/// Row of `integrations`.
#[derive(Debug, sqlx::FromRow)]
pub struct IntegrationRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Labels (JSON array).
    pub labels: String,
    /// Icon.
    pub icon_url: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Updated.
    pub updated_at: i64,
}

impl IntegrationRow {
    /// The domain integration.
    pub fn integration(&self) -> Integration {
        Integration {
            id: self.id.as_str().into(),
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            labels: serde_json::from_str(&self.labels).unwrap_or_default(),
            icon_url: self.icon_url.clone(),
        }
    }
}

/// Row of `versions`.
#[derive(Debug, sqlx::FromRow)]
pub struct VersionRow {
    /// The version.
    pub version: String,
    /// `draft` or `published`.
    pub state: String,
    /// Spec JSON.
    pub config: String,
    /// Flows JSON.
    pub flows: String,
    /// Created.
    pub created_at: i64,
    /// Published.
    pub published_at: Option<i64>,
}

impl VersionRow {
    /// The domain version (stored specs were valid when stored).
    pub fn version(&self) -> ApiResult<IntegrationVersion> {
        let corrupt = |what: &str, e: String| {
            ApiError::Internal(format!(
                "stored {what} of version {} is invalid: {e}",
                self.version
            ))
        };
        Ok(IntegrationVersion {
            version: semver::Version::parse(&self.version)
                .map_err(|e| corrupt("number", e.to_string()))?,
            state: if self.state == "published" {
                marketplace_core::VersionState::Published
            } else {
                marketplace_core::VersionState::Draft
            },
            config: serde_json::from_str(&self.config)
                .map_err(|e| corrupt("config", e.to_string()))?,
            flows: serde_json::from_str(&self.flows)
                .map_err(|e| corrupt("flows", e.to_string()))?,
        })
    }
}

/// Columns of a version row, for SELECTs.
pub const VERSION_COLUMNS: &str = "version, state, config, flows, created_at, published_at";
/// Columns of an integration row, for SELECTs.
pub const INTEGRATION_COLUMNS: &str =
    "id, name, description, category, labels, icon_url, created_at, updated_at";

/// A version of an integration; published ones are cached (they never change).
pub async fn load_version(
    state: &AppState,
    integration_id: &str,
    version: &str,
) -> ApiResult<Option<Arc<IntegrationVersion>>> {
    let key = (integration_id.to_owned(), version.to_owned());
    if let Some(v) = state.catalogs.versions.lock().expect("lock").get(&key) {
        return Ok(Some(v.clone()));
    }
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE integration_id = $1 AND version = $2"
    );
    let row: Option<VersionRow> = sqlx::query_as(&sql)
        .bind(integration_id)
        .bind(version)
        .fetch_optional(&state.db.read)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let loaded = Arc::new(row.version()?);
    if loaded.state == marketplace_core::VersionState::Published {
        state
            .catalogs
            .versions
            .lock()
            .expect("lock")
            .insert(key, loaded.clone());
    }
    Ok(Some(loaded))
}

async fn stamp(state: &AppState, organization_id: &str) -> ApiResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT catalog_version FROM organizations WHERE id = $1")
            .bind(organization_id)
            .fetch_optional(&state.db.read)
            .await?
            .unwrap_or_default(),
    )
}

/// The organization's current catalog snapshot.
pub async fn snapshot(state: &AppState, organization_id: &str) -> ApiResult<Arc<Snapshot>> {
    let cached = state
        .catalogs
        .snapshots
        .lock()
        .expect("lock")
        .get(organization_id)
        .cloned();
    if let Some(snapshot) = cached
        && (state.db.backend == Backend::Sqlite
            || stamp(state, organization_id).await? == snapshot.stamp)
    {
        return Ok(snapshot);
    }
    let stamp = stamp(state, organization_id).await?;
    #[derive(sqlx::FromRow)]
    struct ListingRow {
        integration_id: String,
        version: String,
        overview: String,
        customer_deployable: i64,
        allow_multiple_instances: i64,
    }
    let listings: Vec<ListingRow> = sqlx::query_as(
        "SELECT integration_id, version, overview, customer_deployable, allow_multiple_instances \
         FROM listings WHERE organization_id = $1",
    )
    .bind(organization_id)
    .fetch_all(&state.db.read)
    .await?;
    let mut entries = Vec::with_capacity(listings.len());
    let mut overviews = HashMap::with_capacity(listings.len());
    for l in listings {
        let sql = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = $1");
        let row: IntegrationRow = sqlx::query_as(&sql)
            .bind(&l.integration_id)
            .fetch_one(&state.db.read)
            .await?;
        let Some(version) = load_version(state, &l.integration_id, &l.version).await? else {
            continue;
        };
        overviews.insert(
            l.integration_id.clone(),
            crate::markdown::overview_html(&l.overview),
        );
        let listing = Listing {
            integration_id: l.integration_id.as_str().into(),
            version: version.version.clone(),
            overview: l.overview,
            customer_deployable: l.customer_deployable != 0,
            allow_multiple_instances: l.allow_multiple_instances != 0,
        };
        entries.push(CatalogListing::new(row.integration(), listing, version));
    }
    let snapshot = Arc::new(Snapshot {
        stamp,
        catalog: Catalog::new(entries),
        overviews,
    });
    state
        .catalogs
        .snapshots
        .lock()
        .expect("lock")
        .insert(organization_id.to_owned(), snapshot.clone());
    Ok(snapshot)
}

/// Marks the organization's catalog as changed, inside the writing transaction.
pub async fn bump(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    organization_id: &str,
) -> ApiResult<()> {
    sqlx::query("UPDATE organizations SET catalog_version = catalog_version + 1 WHERE id = $1")
        .bind(organization_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(live: &[&str]) -> Arc<CustomerSnapshot> {
        Arc::new(CustomerSnapshot {
            live: live.iter().map(|id| IntegrationId::from(*id)).collect(),
            vendor: VendorValues::default(),
        })
    }

    #[test]
    fn customer_snapshots_are_kept_until_forgotten() {
        let cache = CatalogCache::default();
        assert!(cache.customer("cus_1").is_none());
        let seen = cache.customer_invalidations();
        cache.keep_customer("cus_1", seen, snapshot(&["int_a"]));
        assert_eq!(cache.customer("cus_1").unwrap().live.len(), 1);
        cache.forget_customer("cus_1");
        assert!(cache.customer("cus_1").is_none());
    }

    #[test]
    fn a_snapshot_loaded_across_a_write_is_not_kept() {
        let cache = CatalogCache::default();
        // A reader starts loading, a write commits and invalidates, the reader finishes.
        let seen = cache.customer_invalidations();
        cache.forget_customer("cus_1");
        cache.keep_customer("cus_1", seen, snapshot(&[]));
        assert!(cache.customer("cus_1").is_none());
        // The next load, started after the write, is kept.
        let seen = cache.customer_invalidations();
        cache.keep_customer("cus_1", seen, snapshot(&["int_a"]));
        assert!(cache.customer("cus_1").is_some());
    }
}
