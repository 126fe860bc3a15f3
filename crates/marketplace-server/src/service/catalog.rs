//! Catalog snapshots: each marketplace's listed integrations with their compiled versions and
//! certification tiers, the marketplace's minimum tier and its tenants' access, kept in memory
//! and rebuilt after a catalog write, so the marketplace read path does no SQL for the catalog
//! itself.
//!
//! A write bumps `organizations.catalog_version` in its transaction and, after the commit,
//! calls [`CatalogCache::invalidate`], which drops every snapshot of the organization and its
//! marketplace directory (`service::marketplaces::directory`). On PostgreSQL, where several
//! processes may serve one database, a read compares that number with the snapshot's (one
//! indexed lookup) unless it listens for cache notifications (`cache_notifications`), which drop
//! its copies when another process writes; on SQLite, a single process owns the file and local
//! invalidation suffices.
//! Catalog writes are listings, versions, marketplaces, certification evidence, and tenants and
//! their assignments: a tenant's access to a marketplace's listings lives in the snapshot, so
//! whoever writes tenants or assignments bumps and invalidates like any other catalog write.
//!
//! Each customer's part of the marketplace view (its live instances and vendor-set values) is
//! kept too, dropped after every committed write of those in this process (activation, instance
//! change, vendor values, customer deletion), so a repeated marketplace read on SQLite does no
//! SQL at all. On PostgreSQL, triggers bump `customers.cache_version` on those writes, and
//! [`views`] reads it with the catalog version in one indexed lookup (again, none while the
//! process listens for cache notifications).

use crate::error::{ApiError, ApiResult};
use crate::service::cache_notifications::kept_copies_current;
use crate::service::certification;
use crate::service::state::AppState;
use crate::store::{self, Tx};
use bytes::Bytes;
use marketplace_api::embedded::EntryPrefix;
use marketplace_core::catalog::{CustomerContext, VendorValues};
use marketplace_core::certification::Tier;
use marketplace_core::marketplace::TenantAccess;
use marketplace_core::{Catalog, CatalogListing, IntegrationId, IntegrationVersion, MarketplaceId};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The source of [`Snapshot::id`]s.
static SNAPSHOT_IDS: AtomicU64 = AtomicU64::new(1);

/// Most catalog pages kept rendered per customer; past that they start over.
const MAX_PAGES_PER_CUSTOMER: usize = 16;

/// The longest a catalog snapshot is served before its tiers are evaluated again (one hour).
pub const SNAPSHOT_MAX_AGE_MS: i64 = 3_600_000;

/// A marketplace's catalog at one catalog version.
#[derive(Debug)]
pub struct Snapshot {
    /// This snapshot's own number, unique in the process (what a customer's rendered pages
    /// were rendered from).
    pub id: u64,
    /// The `catalog_version` it was built at.
    pub stamp: i64,
    /// When it was built (Unix ms): tiers depend on the time (a connection test counts for 30
    /// days, an application's latest version is the newest released), so a snapshot older than
    /// [`SNAPSHOT_MAX_AGE_MS`] is rebuilt even without a write.
    pub built_at: i64,
    /// The marketplace.
    pub marketplace_id: MarketplaceId,
    /// The marketplace's minimum tier (null: any).
    pub min_tier: Option<Tier>,
    /// The catalog (core's type: sorted once, queried per customer), each listing with its tier.
    pub catalog: Catalog,
    /// Each listing's overview as sanitised HTML, rendered once per snapshot.
    overviews: HashMap<String, String>,
    /// Each tenant's access to this marketplace's listings, by tenant id.
    tenants: HashMap<String, TenantAccess>,
    /// Each listing's customer-independent part of its catalog entries as wire JSON, by
    /// integration id: serialised at the first read of the snapshot ([`Self::entry_prefixes`]).
    entry_prefixes: OnceLock<HashMap<String, EntryPrefix>>,
}

impl Snapshot {
    /// Each listing's [`EntryPrefix`], by integration id (serialised once per snapshot, so a
    /// catalog read writes only what depends on the customer).
    pub fn entry_prefixes(&self) -> &HashMap<String, EntryPrefix> {
        self.entry_prefixes.get_or_init(|| {
            self.catalog
                .listings()
                .iter()
                .map(|l| (l.integration.id.to_string(), EntryPrefix::new(l)))
                .collect()
        })
    }

    /// The listed integration with that id (visible or not: see [`Self::visible`]).
    pub fn get(&self, integration_id: &str) -> Option<&CatalogListing> {
        self.catalog.get(integration_id)
    }

    /// The listed integration with that id if a customer of `tenant_id` sees it (core's
    /// `marketplace::visible`).
    pub fn visible(
        &self,
        integration_id: &str,
        tenant_id: Option<&str>,
    ) -> Option<&CatalogListing> {
        self.get(integration_id).filter(|listed| {
            marketplace_core::marketplace::visible(
                &listed.listing,
                &self.marketplace_id,
                self.tenant(tenant_id),
            )
        })
    }

    /// The overview of a listed integration as sanitised HTML (empty when not listed).
    pub fn overview_html(&self, integration_id: &str) -> &str {
        self.overviews
            .get(integration_id)
            .map_or("", String::as_str)
    }

    /// A tenant's access to this marketplace's listings (`None` for no tenant, or one this
    /// snapshot does not know).
    pub fn tenant(&self, tenant_id: Option<&str>) -> Option<&TenantAccess> {
        tenant_id.and_then(|id| self.tenants.get(id))
    }

    /// What core's catalog needs of a customer of `tenant_id` in this marketplace.
    pub fn context<'a>(
        &'a self,
        customer: &'a CustomerSnapshot,
        tenant_id: Option<&str>,
        embedded_values: Option<&'a Map<String, Value>>,
    ) -> CustomerContext<'a> {
        CustomerContext {
            live_instances: &customer.live,
            vendor_values: &customer.vendor,
            embedded_values,
            marketplace: &self.marketplace_id,
            tenant: self.tenant(tenant_id),
            min_tier: self.min_tier,
        }
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
    /// The customer's `cache_version` it was read at (PostgreSQL; 0 on SQLite).
    pub stamp: i64,
    /// Catalog pages rendered for this customer as wire JSON, by request (see
    /// [`Self::rendered_page`]), each with the id of the catalog snapshot it was rendered from.
    /// They go with this snapshot when a write of the customer drops it.
    pages: Mutex<HashMap<String, (u64, Bytes)>>,
}

impl CustomerSnapshot {
    /// The customer's view of the catalog from its live instances and vendor values.
    pub fn new(live: Vec<IntegrationId>, vendor: VendorValues) -> Self {
        CustomerSnapshot {
            live,
            vendor,
            stamp: 0,
            pages: Mutex::default(),
        }
    }

    /// A catalog page rendered for this customer for the request `key` (everything else the
    /// page depends on: marketplace, tenant, token values, query) from this very `snapshot`.
    pub fn rendered_page(&self, key: &str, snapshot: &Snapshot) -> Option<Bytes> {
        let pages = self.pages.lock().expect("lock");
        pages
            .get(key)
            .filter(|(id, _)| *id == snapshot.id)
            .map(|(_, body)| body.clone())
    }

    /// Keeps a page rendered for `key` from `snapshot`.
    pub fn keep_page(&self, key: String, snapshot: &Snapshot, body: Bytes) {
        let mut pages = self.pages.lock().expect("lock");
        if pages.len() >= MAX_PAGES_PER_CUSTOMER && !pages.contains_key(&key) {
            pages.clear();
        }
        pages.insert(key, (snapshot.id, body));
    }
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

/// An organization's directory and when it was read (Unix ms).
type KeptDirectory = (Arc<crate::service::marketplaces::Directory>, i64);

/// Snapshots by organization and marketplace, published versions by (integration, version),
/// marketplace directories by organization, and customer snapshots by customer.
#[derive(Debug, Default)]
pub struct CatalogCache {
    snapshots: Mutex<HashMap<String, HashMap<String, Arc<Snapshot>>>>,
    versions: Mutex<HashMap<(String, String), Arc<IntegrationVersion>>>,
    customers: Mutex<CustomerSnapshots>,
    directories: Mutex<(HashMap<String, KeptDirectory>, u64)>,
}

impl CatalogCache {
    /// Drops an organization's snapshots and directory (after a catalog write).
    pub fn invalidate(&self, organization_id: &str) {
        let mut directories = self.directories.lock().expect("lock");
        self.snapshots.lock().expect("lock").remove(organization_id);
        directories.0.remove(organization_id);
        directories.1 += 1;
    }

    /// Drops every snapshot, directory and customer snapshot (the listener of cache
    /// notifications connected again: some may have been missed).
    pub fn forget_all(&self) {
        let mut directories = self.directories.lock().expect("lock");
        self.snapshots.lock().expect("lock").clear();
        directories.0.clear();
        directories.1 += 1;
        drop(directories);
        let mut customers = self.customers.lock().expect("lock");
        customers.by_customer.clear();
        customers.invalidations += 1;
    }

    /// The number of invalidations so far: read it before loading a snapshot or a directory,
    /// and pass it to [`keep_snapshot`](Self::keep_snapshot) or
    /// [`keep_directory`](Self::keep_directory).
    pub fn generation(&self) -> u64 {
        self.directories.lock().expect("lock").1
    }

    /// Keeps a marketplace's snapshot, unless an invalidation happened since its loader read
    /// `generation` (it may then predate a write).
    pub fn keep_snapshot(&self, organization_id: &str, generation: u64, snapshot: Arc<Snapshot>) {
        // The directories' lock orders invalidations: taken first, as `invalidate` does.
        let directories = self.directories.lock().expect("lock");
        if directories.1 != generation {
            return;
        }
        self.snapshots
            .lock()
            .expect("lock")
            .entry(organization_id.to_owned())
            .or_default()
            .insert(snapshot.marketplace_id.to_string(), snapshot);
    }

    /// An organization's directory, if read less than `ttl` ms before `now`.
    pub fn directory(
        &self,
        organization_id: &str,
        now: i64,
        ttl: i64,
    ) -> Option<Arc<crate::service::marketplaces::Directory>> {
        let directories = self.directories.lock().expect("lock");
        directories
            .0
            .get(organization_id)
            .filter(|(_, read_at)| now.saturating_sub(*read_at) < ttl)
            .map(|(directory, _)| directory.clone())
    }

    /// Keeps an organization's directory read at `now`, unless an invalidation happened since
    /// its loader read `generation`.
    pub fn keep_directory(
        &self,
        organization_id: &str,
        generation: u64,
        directory: Arc<crate::service::marketplaces::Directory>,
        now: i64,
    ) {
        let mut directories = self.directories.lock().expect("lock");
        if directories.1 == generation {
            directories
                .0
                .insert(organization_id.to_owned(), (directory, now));
        }
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
#[tracing::instrument(name = "catalog::load_version", level = "debug", skip_all)]
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

/// The marketplace's catalog snapshot and the customer's snapshot, both as current as the
/// database: on SQLite straight from memory when kept (no SQL), on PostgreSQL after one indexed
/// read of both versions (`organizations.catalog_version`, `customers.cache_version`, which
/// triggers bump on every write of the customer's instances and vendor values, whichever process
/// wrote).
#[tracing::instrument(name = "catalog::views", level = "debug", skip_all)]
pub async fn views(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    customer_id: &str,
) -> ApiResult<(Arc<Snapshot>, Arc<CustomerSnapshot>)> {
    let stamps = if kept_copies_current(state) {
        None
    } else {
        Some(store::organizations::cache_stamps(&state.store, organization_id, customer_id).await?)
    };
    let snapshot = snapshot_at(
        state,
        organization_id,
        marketplace_id,
        stamps.map(|(catalog, _)| catalog),
    )
    .await?;
    let customer =
        customer_snapshot_at(state, customer_id, stamps.map(|(_, customer)| customer)).await?;
    Ok((snapshot, customer))
}

/// A marketplace's current catalog snapshot (404 when the organization has no such
/// marketplace).
#[tracing::instrument(name = "catalog::snapshot", level = "debug", skip_all)]
pub async fn snapshot(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
) -> ApiResult<Arc<Snapshot>> {
    let current = if kept_copies_current(state) {
        None
    } else {
        Some(store::organizations::catalog_version(&state.store, organization_id).await?)
    };
    snapshot_at(state, organization_id, marketplace_id, current).await
}

/// The snapshot, kept one reused when built at the `current` catalog version (`None`: trust
/// local invalidation, SQLite).
async fn snapshot_at(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    current: Option<i64>,
) -> ApiResult<Arc<Snapshot>> {
    let cached = state
        .catalogs
        .snapshots
        .lock()
        .expect("lock")
        .get(organization_id)
        .and_then(|by_marketplace| by_marketplace.get(marketplace_id))
        .cloned();
    if let Some(snapshot) = cached
        && store::now_ms() - snapshot.built_at < SNAPSHOT_MAX_AGE_MS
        && current.is_none_or(|stamp| stamp == snapshot.stamp)
    {
        return Ok(snapshot);
    }
    // Read before loading: an invalidation meanwhile makes `keep_snapshot` discard this load.
    let generation = state.catalogs.generation();
    // The version the caller read (PostgreSQL) will do: what is loaded below is at least as new.
    let stamp = match current {
        Some(stamp) => stamp,
        None => store::organizations::catalog_version(&state.store, organization_id).await?,
    };
    let marketplace = store::marketplaces::get(&state.store, organization_id, marketplace_id)
        .await?
        .ok_or(ApiError::NotFound("marketplace"))?
        .marketplace;
    let listings = store::listings::all(&state.store, marketplace_id).await?;
    let mut listed = Vec::with_capacity(listings.len());
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
        listed.push((integration.integration, listing, version));
    }
    let keys: Vec<certification::VersionKey> = listed
        .iter()
        .map(|(_, listing, _)| {
            (
                listing.integration_id.to_string(),
                listing.version.to_string(),
            )
        })
        .collect();
    let tiers = certification::tiers(state, organization_id, &keys).await?;
    let ratings = store::reviews::ratings(&state.store, organization_id).await?;
    let mut entries = Vec::with_capacity(listed.len());
    let mut overviews = HashMap::with_capacity(listed.len());
    for ((integration, listing, version), key) in listed.into_iter().zip(keys) {
        overviews.insert(
            key.0.clone(),
            crate::markdown::overview_html(&listing.overview),
        );
        let tier = tiers.get(&key).copied().flatten();
        let rating = marketplace_core::commerce::rating(
            ratings.get(&key.0).map(Vec::as_slice).unwrap_or_default(),
        );
        entries.push(CatalogListing::new(integration, listing, version, tier).with_rating(rating));
    }
    let tenants =
        store::marketplaces::tenant_accesses(&state.store, organization_id, marketplace_id).await?;
    let snapshot = Arc::new(Snapshot {
        id: SNAPSHOT_IDS.fetch_add(1, Ordering::Relaxed),
        stamp,
        built_at: store::now_ms(),
        marketplace_id: marketplace.id,
        min_tier: marketplace.min_tier,
        catalog: Catalog::new(entries),
        overviews,
        tenants,
        entry_prefixes: OnceLock::new(),
    });
    state
        .catalogs
        .keep_snapshot(organization_id, generation, snapshot.clone());
    Ok(snapshot)
}

/// The customer's live instances and vendor-set values, kept in memory; the kept one is reused
/// when read at the `current` cache version (`None`: trust local invalidation, SQLite).
async fn customer_snapshot_at(
    state: &AppState,
    customer_id: &str,
    current: Option<i64>,
) -> ApiResult<Arc<CustomerSnapshot>> {
    if let Some(snapshot) = state.catalogs.customer(customer_id)
        && current.is_none_or(|stamp| stamp == snapshot.stamp)
    {
        return Ok(snapshot);
    }
    // Read before loading: a write committed meanwhile makes `keep_customer` discard this load.
    // On PostgreSQL the data read below is at least as new as `current` (read before it).
    let invalidations = state.catalogs.customer_invalidations();
    let live = store::instances::live_integrations(&state.store, customer_id).await?;
    let vendor = store::customers::all_vendor_values(&state.store, customer_id).await?;
    let mut snapshot =
        CustomerSnapshot::new(live.into_iter().map(IntegrationId::from).collect(), vendor);
    snapshot.stamp = current.unwrap_or_default();
    let snapshot = Arc::new(snapshot);
    state
        .catalogs
        .keep_customer(customer_id, invalidations, snapshot.clone());
    Ok(snapshot)
}

/// Marks the organization's catalog as changed, inside the writing transaction; call
/// [`CatalogCache::invalidate`] after the commit.
#[tracing::instrument(name = "catalog::bump", level = "debug", skip_all)]
pub async fn bump(tx: &mut Tx, organization_id: &str) -> ApiResult<()> {
    Ok(store::organizations::bump_catalog_version(tx, organization_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(live: &[&str]) -> Arc<CustomerSnapshot> {
        Arc::new(CustomerSnapshot::new(
            live.iter().map(|id| IntegrationId::from(*id)).collect(),
            VendorValues::default(),
        ))
    }

    #[test]
    fn a_rendered_page_serves_only_its_own_request_and_catalog_snapshot() {
        let customer = snapshot(&[]);
        let catalog = |id| Snapshot {
            id,
            stamp: 1,
            built_at: 0,
            marketplace_id: "mkt_1".into(),
            min_tier: None,
            catalog: Catalog::new(Vec::new()),
            overviews: HashMap::new(),
            tenants: HashMap::new(),
            entry_prefixes: OnceLock::new(),
        };
        let (first, second) = (catalog(1), catalog(2));
        customer.keep_page("q".into(), &first, Bytes::from_static(b"[1]"));
        assert_eq!(
            customer.rendered_page("q", &first).as_deref(),
            Some(&b"[1]"[..])
        );
        assert_eq!(
            customer.rendered_page("q", &second),
            None,
            "another snapshot"
        );
        assert_eq!(
            customer.rendered_page("other", &first),
            None,
            "another request"
        );
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
