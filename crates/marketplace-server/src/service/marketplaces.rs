//! Marketplaces (per brand, region or environment) and their listings, and the directory the
//! token path reads: which marketplace a token's `marketplace` claim names, which tenant its
//! `tenant` claim names, and which origins each marketplace allows.
//!
//! Exactly one marketplace of an organization is the default (tokens without a `marketplace`
//! claim and the `/api/v1/marketplace/listings` routes use it); `PATCH {default: true}` moves
//! it. Keys are unique and immutable. A deleted marketplace takes its listings, their tenant
//! assignments, its partner credentials and its partner's signing keys; instances stay.
//!
//! Every write here is a catalog write: it bumps the organization's catalog version in its
//! transaction and, after the commit, [`forget`]s what this process keeps of the organization
//! (catalog snapshots, the directory, origins). Tenant and assignment writes elsewhere do the
//! same through `service::catalog::bump` and `CatalogCache::invalidate`, which also drops the
//! directory.

use crate::error::{ApiError, ApiResult};
use crate::service::catalog::bump;
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, Tx, new_id, now_ms};
use marketplace_core::certification::Tier;
use marketplace_core::event::{Event, EventType};
use marketplace_core::marketplace::{Marketplace, MarketplaceFields, PartnerBrief};
use marketplace_core::{FieldError, FieldErrorCode, Listing};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::store::listings::ListingRecord;
pub use crate::store::marketplaces::MarketplaceRecord;

/// What the token path needs of one marketplace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceScope {
    /// Id.
    pub id: String,
    /// Key.
    pub key: String,
    /// Whether it is the default.
    pub default: bool,
    /// A partner marketplace's tenant.
    pub tenant_id: Option<String>,
    /// Origins it allows besides the organization's.
    pub allowed_origins: Vec<String>,
}

/// An organization's marketplaces and tenant keys, as the token path reads them (kept in
/// memory; dropped with the organization's catalog snapshots).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    marketplaces: Vec<MarketplaceScope>,
    tenants: HashMap<String, String>,
}

impl Directory {
    /// The marketplace with this key, or the default one for `None`.
    pub fn marketplace(&self, key: Option<&str>) -> Option<&MarketplaceScope> {
        match key {
            Some(key) => self.marketplaces.iter().find(|m| m.key == key),
            None => self.marketplaces.iter().find(|m| m.default),
        }
    }

    /// The marketplace with this id.
    pub fn by_id(&self, id: &str) -> Option<&MarketplaceScope> {
        self.marketplaces.iter().find(|m| m.id == id)
    }

    /// The id of the tenant with this key.
    pub fn tenant(&self, key: &str) -> Option<&str> {
        self.tenants.get(key).map(String::as_str)
    }
}

/// How long a directory read from PostgreSQL is trusted (ms) while cache notifications are not
/// heard: another process's marketplace or tenant change is seen within this time; this process
/// forgets its copy at once.
const DIRECTORY_TTL_MS: i64 = 5_000;

/// The organization's directory: kept until [`forget`] (or a notified catalog write), re-read
/// after [`DIRECTORY_TTL_MS`] on PostgreSQL while notifications are not heard.
#[tracing::instrument(name = "marketplaces::directory", level = "debug", skip_all)]
pub async fn directory(state: &AppState, organization_id: &str) -> ApiResult<Arc<Directory>> {
    let now = now_ms();
    let ttl = if crate::service::cache_notifications::kept_copies_current(state) {
        i64::MAX
    } else {
        DIRECTORY_TTL_MS
    };
    if let Some(directory) = state.catalogs.directory(organization_id, now, ttl) {
        return Ok(directory);
    }
    let generation = state.catalogs.generation();
    let marketplaces = store::marketplaces::all(&state.store, organization_id)
        .await?
        .into_iter()
        .map(|r| MarketplaceScope {
            id: r.marketplace.id.to_string(),
            key: r.marketplace.key,
            default: r.marketplace.default,
            tenant_id: r.marketplace.tenant_id.map(|t| t.to_string()),
            allowed_origins: r.marketplace.allowed_origins,
        })
        .collect();
    let tenants = store::marketplaces::tenant_ids_by_key(&state.store, organization_id).await?;
    let directory = Arc::new(Directory {
        marketplaces,
        tenants,
    });
    state
        .catalogs
        .keep_directory(organization_id, generation, directory.clone(), now);
    Ok(directory)
}

/// Drops what this process keeps of an organization's marketplaces after a committed write:
/// its catalog snapshots and directory, the allowed origins, and cached signing keys and tokens
/// (a deleted marketplace takes its partner's keys).
pub fn forget(state: &AppState, organization_id: &str) {
    state.catalogs.invalidate(organization_id);
    state.tokens.forget_origins();
    state.tokens.forget_keys();
}

/// Opens a catalog write: the catalog version is bumped first, which also makes concurrent
/// marketplace writes of the organization wait for each other on PostgreSQL (the
/// organization's row stays locked until the commit), so two moves of the default cannot
/// interleave.
async fn begin(state: &AppState, organization_id: &str) -> ApiResult<Tx> {
    let mut tx = state.store.begin().await?;
    bump(&mut tx, organization_id).await?;
    Ok(tx)
}

/// Stores an event, commits, then [`forget`]s.
async fn commit(
    state: &AppState,
    mut tx: Tx,
    organization_id: &str,
    event: Event,
) -> ApiResult<()> {
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    forget(state, organization_id);
    state.deliveries.wake.notify_one();
    Ok(())
}

/// An organization event about a marketplace: its id, key and name, plus `data`'s fields.
pub(crate) fn marketplace_event(
    event_type: EventType,
    marketplace: &Marketplace,
    data: Value,
) -> Event {
    let mut body = json!({"marketplace_id": marketplace.id.as_str(), "key": marketplace.key,
                          "name": marketplace.name});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), data) {
        body.extend(extra);
    }
    Event::for_organization(event_type, now_ms(), body)
}

fn duplicate_key() -> ApiError {
    ApiError::conflict(
        "duplicate_marketplace_key",
        "another marketplace of the organization has this key",
    )
}

/// A marketplace of the organization (404 otherwise).
#[tracing::instrument(name = "marketplaces::get", level = "debug", skip_all)]
pub async fn get(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<MarketplaceRecord> {
    store::marketplaces::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("marketplace"))
}

/// A page of the organization's marketplaces.
#[tracing::instrument(name = "marketplaces::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<MarketplaceRecord>> {
    Ok(store::marketplaces::list(&state.store, organization_id, page).await?)
}

/// Creates a (non-default, vendor) marketplace: core's `MarketplaceFields::validate` reports
/// every field problem at once; a taken key is a 409.
#[tracing::instrument(name = "marketplaces::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    fields: MarketplaceFields,
) -> ApiResult<MarketplaceRecord> {
    fields
        .validate()
        .map_err(|errors| ApiError::Validation(errors.0))?;
    let marketplace = Marketplace {
        id: new_id("mkt").into(),
        key: fields.key,
        name: fields.name,
        description: fields.description,
        default: false,
        allowed_origins: fields.allowed_origins,
        front_end_url: fields.front_end_url,
        tenant_id: None,
        min_tier: fields.min_tier,
        partner: false,
    };
    let mut tx = begin(state, organization_id).await?;
    store::marketplaces::insert(&mut tx, organization_id, &marketplace, now_ms())
        .await
        .map_err(|e| e.or_conflict(duplicate_key()))?;
    let event = marketplace_event(EventType::MarketplaceCreated, &marketplace, json!({}));
    commit(state, tx, organization_id, event).await?;
    get(state, organization_id, marketplace.id.as_str()).await
}

/// A change of a marketplace: the fields present are set (`key` may only repeat the current
/// one; `default: true` makes it the default).
#[derive(Debug, Clone, Default)]
pub struct MarketplacePatch {
    /// The key (immutable: another value is 422 `/key` `immutable`).
    pub key: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Allowed origins.
    pub allowed_origins: Option<Vec<String>>,
    /// Front end URL (`Some(None)` clears it).
    pub front_end_url: Option<Option<String>>,
    /// Minimum tier (`Some(None)`: any tier).
    pub min_tier: Option<Option<Tier>>,
    /// `true` makes it the default (`false` on the default is 422 `/default`).
    pub default: Option<bool>,
}

/// Changes a marketplace; every field problem at once, the key immutable, the default moved in
/// the same transaction (the old default cleared first).
#[tracing::instrument(name = "marketplaces::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    patch: MarketplacePatch,
) -> ApiResult<MarketplaceRecord> {
    let current = get(state, organization_id, id).await?.marketplace;
    let mut errors = Vec::new();
    if patch.key.as_ref().is_some_and(|k| *k != current.key) {
        errors.push(FieldError::new(
            "/key",
            FieldErrorCode::Immutable,
            "a marketplace's key cannot change",
        ));
    }
    if patch.default == Some(false) && current.default {
        errors.push(FieldError::new(
            "/default",
            FieldErrorCode::Invalid,
            "the default marketplace stays the default until another one is made the default",
        ));
    }
    let fields = MarketplaceFields {
        key: current.key.clone(),
        name: patch.name.unwrap_or(current.name),
        description: patch.description.unwrap_or(current.description),
        allowed_origins: patch.allowed_origins.unwrap_or(current.allowed_origins),
        front_end_url: patch.front_end_url.unwrap_or(current.front_end_url),
        min_tier: patch.min_tier.unwrap_or(current.min_tier),
    };
    if let Err(found) = fields.validate() {
        errors.extend(found.0);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let make_default = patch.default == Some(true) && !current.default;
    let marketplace = Marketplace {
        id: current.id,
        key: fields.key,
        name: fields.name,
        description: fields.description,
        default: current.default || make_default,
        allowed_origins: fields.allowed_origins,
        front_end_url: fields.front_end_url,
        tenant_id: current.tenant_id,
        min_tier: fields.min_tier,
        partner: current.partner,
    };
    let now = now_ms();
    let mut tx = begin(state, organization_id).await?;
    store::marketplaces::update(&mut tx, organization_id, &marketplace, now).await?;
    if make_default {
        store::marketplaces::set_default(&mut tx, organization_id, id, now).await?;
    }
    let event = marketplace_event(
        EventType::MarketplaceUpdated,
        &marketplace,
        json!({"default": marketplace.default}),
    );
    commit(state, tx, organization_id, event).await?;
    get(state, organization_id, id).await
}

/// Deletes a marketplace with its listings, assignments, credentials and partner keys;
/// instances stay. The default one cannot go (409 `default_marketplace`).
#[tracing::instrument(name = "marketplaces::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let current = get(state, organization_id, id).await?.marketplace;
    if current.default {
        return Err(ApiError::conflict(
            "default_marketplace",
            "the default marketplace cannot be deleted; make another one the default first",
        ));
    }
    let mut tx = begin(state, organization_id).await?;
    if !store::marketplaces::delete(&mut tx, organization_id, id).await? {
        return Err(ApiError::NotFound("marketplace"));
    }
    let event = marketplace_event(EventType::MarketplaceDeleted, &current, json!({}));
    commit(state, tx, organization_id, event).await
}

/// The id of the organization's default marketplace.
#[tracing::instrument(name = "marketplaces::default_id", level = "debug", skip_all)]
pub async fn default_id(state: &AppState, organization_id: &str) -> ApiResult<String> {
    directory(state, organization_id)
        .await?
        .marketplace(None)
        .map(|m| m.id.clone())
        .ok_or(ApiError::NotFound("marketplace"))
}

/// The ids of the organization's marketplaces with these keys, in a transaction; every unknown
/// key is a 422 at `/marketplaces/N` `invalid_reference`.
#[tracing::instrument(name = "marketplaces::ids_of_keys", level = "debug", skip_all)]
pub async fn ids_of_keys(
    tx: &mut Tx,
    organization_id: &str,
    keys: &[String],
) -> ApiResult<Vec<String>> {
    let known = store::marketplaces::ids_by_key(tx, organization_id).await?;
    let mut ids = Vec::with_capacity(keys.len());
    let mut errors = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        match known.get(key) {
            Some(id) if !ids.contains(id) => ids.push(id.clone()),
            Some(_) => {}
            None => errors.push(FieldError::new(
                format!("/marketplaces/{i}"),
                FieldErrorCode::InvalidReference,
                "no marketplace of the organization has this key",
            )),
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A marketplace's listing of an integration (404 for an unknown marketplace or listing).
#[tracing::instrument(name = "marketplaces::get_listing", level = "debug", skip_all)]
pub async fn get_listing(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> ApiResult<ListingRecord> {
    get(state, organization_id, marketplace_id).await?;
    store::listings::get(
        &state.store,
        organization_id,
        marketplace_id,
        integration_id,
    )
    .await?
    .ok_or(ApiError::NotFound("listing"))
}

/// A page of a marketplace's listings.
#[tracing::instrument(name = "marketplaces::list_listings", level = "debug", skip_all)]
pub async fn list_listings(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<ListingRecord>> {
    get(state, organization_id, marketplace_id).await?;
    Ok(store::listings::list(&state.store, organization_id, marketplace_id, page).await?)
}

/// What a listing offers.
#[derive(Debug, Clone)]
pub struct ListingChange {
    /// The version to offer (a draft is listed, as not deployable).
    pub version: String,
    /// Overview (markdown).
    pub overview: String,
    /// Whether customers may activate it themselves.
    pub customer_deployable: bool,
    /// Whether a customer may hold several instances.
    pub allow_multiple_instances: bool,
    /// What partners are told (`None`: kept as it is, empty for a new listing).
    pub partner_brief: Option<PartnerBrief>,
    /// The price as sent (`None`: kept as it is, free for a new listing; `null`: free).
    pub pricing: Option<Value>,
}

/// Lists an integration in a marketplace, or changes its listing (its visibility is kept).
#[tracing::instrument(name = "marketplaces::put_listing", level = "debug", skip_all)]
pub async fn put_listing(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
    change: ListingChange,
) -> ApiResult<ListingRecord> {
    get(state, organization_id, marketplace_id).await?;
    crate::service::integrations::get(state, organization_id, integration_id).await?;
    let version = store::integrations::get_version(&state.store, integration_id, &change.version)
        .await?
        .ok_or_else(|| {
            ApiError::field(FieldError::new(
                "/version",
                FieldErrorCode::InvalidReference,
                "the integration has no such version",
            ))
        })?;
    let current = store::listings::get(
        &state.store,
        organization_id,
        marketplace_id,
        integration_id,
    )
    .await?
    .map(|r| r.listing);
    let (brief, visibility, kept_pricing) = match current {
        Some(l) => (l.partner_brief, l.visibility, l.pricing),
        None => Default::default(),
    };
    let pricing = match &change.pricing {
        None => kept_pricing,
        Some(sent) => marketplace_core::commerce::parse_pricing(sent, "/pricing")
            .map_err(ApiError::Validation)?,
    };
    let listing = Listing {
        pricing,
        marketplace_id: marketplace_id.into(),
        integration_id: integration_id.into(),
        version: version.version.version,
        overview: change.overview,
        customer_deployable: change.customer_deployable,
        allow_multiple_instances: change.allow_multiple_instances,
        partner_brief: change.partner_brief.unwrap_or(brief),
        visibility,
    };
    let mut tx = begin(state, organization_id).await?;
    store::listings::upsert(&mut tx, organization_id, &listing, now_ms()).await?;
    let event = listing_event(&listing);
    commit(state, tx, organization_id, event).await?;
    get_listing(state, organization_id, marketplace_id, integration_id).await
}

/// `listing.updated` of a listing as it now is.
pub(crate) fn listing_event(listing: &Listing) -> Event {
    crate::service::integrations::integration_event(
        EventType::ListingUpdated,
        listing.integration_id.as_str(),
        json!({"marketplace_id": listing.marketplace_id.as_str(),
               "version": listing.version.to_string(),
               "customer_deployable": listing.customer_deployable,
               "allow_multiple_instances": listing.allow_multiple_instances}),
    )
}

/// Removes a marketplace's listing (its tenant assignments go with it); instances stay.
#[tracing::instrument(name = "marketplaces::delete_listing", level = "debug", skip_all)]
pub async fn delete_listing(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> ApiResult<()> {
    get(state, organization_id, marketplace_id).await?;
    let mut tx = begin(state, organization_id).await?;
    if !store::listings::delete(&mut tx, organization_id, marketplace_id, integration_id).await? {
        return Err(ApiError::NotFound("listing"));
    }
    let event = crate::service::integrations::integration_event(
        EventType::ListingRemoved,
        integration_id,
        json!({"marketplace_id": marketplace_id}),
    );
    commit(state, tx, organization_id, event).await
}
