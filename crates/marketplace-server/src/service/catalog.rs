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

use crate::error::ApiResult;
use crate::service::state::AppState;
use crate::store::{self, Backend, Tx};
use marketplace_core::catalog::VendorValues;
use marketplace_core::{Catalog, CatalogListing, IntegrationId, IntegrationVersion};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An organization's catalog at one catalog version.
#[derive(Debug)]
pub struct Snapshot {
    /// The `catalog_version` it was built at.
    pub stamp: i64,
    /// The marketplace whose listings it holds.
    pub marketplace_id: marketplace_core::MarketplaceId,
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
    let Some(record) =
        store::integrations::get_version(&state.store, integration_id, version).await?
    else {
        return Ok(None);
    };
    let loaded = Arc::new(record.version);
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

/// The organization's current catalog snapshot.
pub async fn snapshot(state: &AppState, organization_id: &str) -> ApiResult<Arc<Snapshot>> {
    let cached = state
        .catalogs
        .snapshots
        .lock()
        .expect("lock")
        .get(organization_id)
        .cloned();
    let backend = state.store.backend();
    if let Some(snapshot) = cached
        && (backend == Backend::Sqlite
            || store::organizations::catalog_version(&state.store, organization_id).await?
                == snapshot.stamp)
    {
        return Ok(snapshot);
    }
    let stamp = store::organizations::catalog_version(&state.store, organization_id).await?;
    let listings = store::listings::all(&state.store, organization_id).await?;
    let mut entries = Vec::with_capacity(listings.len());
    let mut overviews = HashMap::with_capacity(listings.len());
    for record in listings {
        let listing = record.listing;
        let integration_id = listing.integration_id.to_string();
        let Some(integration) =
            store::integrations::get_by_id(&state.store, &integration_id).await?
        else {
            continue;
        };
        let Some(version) =
            load_version(state, &integration_id, &listing.version.to_string()).await?
        else {
            continue;
        };
        overviews.insert(
            integration_id,
            crate::markdown::overview_html(&listing.overview),
        );
        entries.push(CatalogListing::new(
            integration.integration,
            listing,
            version,
            None,
        ));
    }
    let marketplace_id = store::organizations::default_marketplace(&state.store, organization_id)
        .await?
        .unwrap_or_default();
    let snapshot = Arc::new(Snapshot {
        stamp,
        marketplace_id: marketplace_id.into(),
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

/// The customer's live instances and vendor-set values: kept in memory on SQLite, read from the
/// database on PostgreSQL (where other processes may write).
pub async fn customer_snapshot(
    state: &AppState,
    customer_id: &str,
) -> ApiResult<Arc<CustomerSnapshot>> {
    let keep = state.store.backend() == Backend::Sqlite;
    if keep && let Some(snapshot) = state.catalogs.customer(customer_id) {
        return Ok(snapshot);
    }
    // Read before loading: a write committed meanwhile makes `keep_customer` discard this load.
    let invalidations = state.catalogs.customer_invalidations();
    let live = store::instances::live_integrations(&state.store, customer_id).await?;
    let vendor = store::customers::all_vendor_values(&state.store, customer_id).await?;
    let snapshot = Arc::new(CustomerSnapshot {
        live: live.into_iter().map(IntegrationId::from).collect(),
        vendor,
    });
    if keep {
        state
            .catalogs
            .keep_customer(customer_id, invalidations, snapshot.clone());
    }
    Ok(snapshot)
}

/// Marks the organization's catalog as changed, inside the writing transaction; call
/// [`CatalogCache::invalidate`] after the commit.
pub async fn bump(tx: &mut Tx, organization_id: &str) -> ApiResult<()> {
    Ok(store::organizations::bump_catalog_version(tx, organization_id).await?)
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
