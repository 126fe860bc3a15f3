//! Tenants (customer segments or resellers) and the listings assigned to them. Every write
//! reaches the catalog: it bumps the organization's catalog version in its transaction and drops
//! the snapshot after the commit.

use crate::error::{ApiError, ApiResult};
use crate::service::integrations::commit_catalog_change;
use crate::service::state::AppState;
use crate::store::tenants::{TenantListing, TenantRow};
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::event::{Event, EventType};
use marketplace_core::marketplace::{AppManagement, TenantFields};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::json;

/// A change of a tenant: the fields a body sent (`None`: unchanged, or the default on creation).
#[derive(Debug, Clone, Default)]
pub struct TenantChange {
    /// Key (required on creation; on update it may only repeat the current one).
    pub key: Option<String>,
    /// Display name (required on creation).
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `all` or `tenant`; another name is 422 `/app_management` `option`.
    pub app_management: Option<String>,
}

fn app_management(name: Option<&str>, current: AppManagement) -> ApiResult<AppManagement> {
    match name {
        None => Ok(current),
        Some(name) => AppManagement::from_name(name).ok_or_else(|| {
            ApiError::field(FieldError::new(
                "/app_management",
                FieldErrorCode::Option,
                "must be all or tenant",
            ))
        }),
    }
}

fn tenant_event(event_type: EventType, tenant: &TenantRow) -> Event {
    Event::for_organization(
        event_type,
        now_ms(),
        json!({"tenant_id": tenant.id, "key": tenant.key, "name": tenant.name,
               "app_management": tenant.app_management}),
    )
}

/// A tenant of the organization (404 otherwise).
#[tracing::instrument(name = "tenants::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<TenantRow> {
    store::tenants::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))
}

/// A page of the organization's tenants.
#[tracing::instrument(name = "tenants::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<TenantRow>> {
    Ok(store::tenants::list(&state.store, organization_id, page).await?)
}

/// Creates a tenant (409 `duplicate_tenant_key` when the key is taken).
#[tracing::instrument(name = "tenants::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    change: TenantChange,
) -> ApiResult<TenantRow> {
    let management = app_management(change.app_management.as_deref(), AppManagement::All)?;
    let fields = TenantFields {
        key: change.key.unwrap_or_default(),
        name: change.name.unwrap_or_default(),
        description: change.description.unwrap_or_default(),
        app_management: management,
    };
    fields.validate().map_err(|e| ApiError::Validation(e.0))?;
    let now = now_ms();
    let tenant = TenantRow {
        id: new_id("ten"),
        key: fields.key,
        name: fields.name,
        description: fields.description,
        app_management: management.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::tenants::insert(&mut tx, organization_id, &tenant)
        .await
        .map_err(|e| e.or_conflict(duplicate_key()))?;
    let event = tenant_event(EventType::TenantCreated, &tenant);
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(tenant)
}

fn duplicate_key() -> ApiError {
    ApiError::conflict("duplicate_tenant_key", "a tenant with this key exists")
}

/// Changes a tenant's name, description or app management; the key is immutable (422 `/key`
/// `immutable`).
#[tracing::instrument(name = "tenants::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    change: TenantChange,
) -> ApiResult<TenantRow> {
    let mut tx = state.store.begin().await?;
    let mut tenant = store::tenants::get_in(&mut tx, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    if change.key.as_ref().is_some_and(|k| *k != tenant.key) {
        return Err(ApiError::field(FieldError::new(
            "/key",
            FieldErrorCode::Immutable,
            "a tenant's key cannot change",
        )));
    }
    let current = AppManagement::from_name(&tenant.app_management).unwrap_or_default();
    let management = app_management(change.app_management.as_deref(), current)?;
    let fields = TenantFields {
        key: tenant.key.clone(),
        name: change.name.unwrap_or(tenant.name),
        description: change.description.unwrap_or(tenant.description),
        app_management: management,
    };
    fields.validate().map_err(|e| ApiError::Validation(e.0))?;
    tenant.name = fields.name;
    tenant.description = fields.description;
    tenant.app_management = management.as_str().to_owned();
    tenant.updated_at = now_ms();
    store::tenants::update(&mut tx, organization_id, &tenant).await?;
    let event = tenant_event(EventType::TenantUpdated, &tenant);
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(tenant)
}

/// Deletes a tenant; 409 `tenant_in_use` while a customer or a marketplace refers to it.
#[tracing::instrument(name = "tenants::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    let tenant = store::tenants::get_in(&mut tx, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    if store::tenants::in_use(&mut tx, id).await? {
        return Err(ApiError::conflict(
            "tenant_in_use",
            "a customer or a marketplace belongs to this tenant",
        ));
    }
    store::tenants::delete(&mut tx, organization_id, id).await?;
    let event = tenant_event(EventType::TenantDeleted, &tenant);
    commit_catalog_change(state, tx, organization_id, event).await
}

/// A page of a tenant's assigned listings, optionally of one marketplace.
#[tracing::instrument(name = "tenants::listings", level = "debug", skip_all)]
pub async fn listings(
    state: &AppState,
    organization_id: &str,
    id: &str,
    marketplace_id: Option<&str>,
    page: &PageRequest,
) -> ApiResult<Page<TenantListing>> {
    get(state, organization_id, id).await?;
    Ok(store::tenants::listings(&state.store, id, marketplace_id, page).await?)
}

/// Assigns a listing to a tenant; whether the assignment is new (404 without the tenant or the
/// listing).
#[tracing::instrument(name = "tenants::assign", level = "debug", skip_all)]
pub async fn assign(
    state: &AppState,
    organization_id: &str,
    id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> ApiResult<bool> {
    let mut tx = state.store.begin().await?;
    store::tenants::get_in(&mut tx, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    if !store::tenants::listing_exists(&mut tx, organization_id, marketplace_id, integration_id)
        .await?
    {
        return Err(ApiError::NotFound("listing"));
    }
    let created =
        store::tenants::assign(&mut tx, id, marketplace_id, integration_id, now_ms()).await?;
    if !created {
        return Ok(false);
    }
    let event = listing_event(
        EventType::TenantListingAssigned,
        id,
        marketplace_id,
        integration_id,
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(true)
}

/// Removes a listing from a tenant (404 without the tenant or the assignment).
#[tracing::instrument(name = "tenants::unassign", level = "debug", skip_all)]
pub async fn unassign(
    state: &AppState,
    organization_id: &str,
    id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    store::tenants::get_in(&mut tx, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    if !store::tenants::unassign(&mut tx, id, marketplace_id, integration_id).await? {
        return Err(ApiError::NotFound("tenant listing"));
    }
    let event = listing_event(
        EventType::TenantListingUnassigned,
        id,
        marketplace_id,
        integration_id,
    );
    commit_catalog_change(state, tx, organization_id, event).await
}

fn listing_event(
    event_type: EventType,
    tenant_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> Event {
    Event::for_integration(
        event_type,
        &integration_id.into(),
        now_ms(),
        json!({"tenant_id": tenant_id, "marketplace_id": marketplace_id}),
    )
}
