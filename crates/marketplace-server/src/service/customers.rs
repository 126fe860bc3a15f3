//! Customers, their users and the vendor-set values of a customer per integration. Deleting a
//! customer or a user revokes the tokens issued before (`token_revoked`).

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::config::{Audience, accept_vendor_values, read_view};
use marketplace_core::customer::CustomerFields;
use marketplace_core::event::{Event, EventType};
use marketplace_core::{Customer, FieldError, FieldErrorCode, IntegrationVersion};
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub use crate::store::customers::{CustomerFilter, CustomerRecord, UserRecord};

/// A customer of the organization (404 otherwise).
#[tracing::instrument(name = "customers::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<CustomerRecord> {
    store::customers::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("customer"))
}

/// A page of the organization's customers.
#[tracing::instrument(name = "customers::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> ApiResult<Page<CustomerRecord>> {
    Ok(store::customers::list(&state.store, organization_id, filter, page).await?)
}

fn duplicate_external_id() -> ApiError {
    ApiError::conflict(
        "duplicate_external_id",
        "a customer with this external id exists",
    )
}

/// Creates a customer with its `customer.created` event.
#[tracing::instrument(name = "customers::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    fields: CustomerFields,
) -> ApiResult<CustomerRecord> {
    let customer = Customer::new(new_id("cus").into(), fields).map_err(ApiError::Validation)?;
    insert(state, organization_id, &customer)
        .await?
        .ok_or_else(duplicate_external_id)?;
    get(state, organization_id, customer.id.as_str()).await
}

/// Creates the customer a token names on first sight; a customer created meanwhile by another
/// request is returned instead. Returns the customer's id.
#[tracing::instrument(name = "customers::create_on_sight", level = "debug", skip_all)]
pub async fn create_on_sight(
    state: &AppState,
    organization_id: &str,
    customer: &Customer,
) -> ApiResult<String> {
    if let Some(id) = insert(state, organization_id, customer).await? {
        return Ok(id);
    }
    store::customers::id_by_external_id(&state.store, organization_id, &customer.external_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a customer vanished while being created".into()))
}

/// Stores a new customer and its event; `None` when the external id is taken.
async fn insert(
    state: &AppState,
    organization_id: &str,
    customer: &Customer,
) -> ApiResult<Option<String>> {
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    match store::customers::insert(&mut tx, organization_id, customer, now).await {
        Ok(()) => {}
        Err(e) if e.is_duplicate() => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    store::events::record(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerCreated, customer, now),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(customer.id.to_string()))
}

fn unknown_tenant() -> ApiError {
    ApiError::field(FieldError::new(
        "/tenant_id",
        FieldErrorCode::InvalidReference,
        "no tenant has this id",
    ))
}

/// Checks that a tenant a body names exists (422 `/tenant_id` `invalid_reference`).
#[tracing::instrument(name = "customers::check_tenant", level = "debug", skip_all)]
pub async fn check_tenant(
    state: &AppState,
    organization_id: &str,
    tenant_id: Option<Option<String>>,
) -> ApiResult<()> {
    if let Some(Some(tenant)) = tenant_id
        && store::tenants::get(&state.store, organization_id, &tenant)
            .await?
            .is_none()
    {
        return Err(unknown_tenant());
    }
    Ok(())
}

/// Changes a customer's fields: `change` receives the current fields and returns the new ones;
/// `tenant_id` `Some` sets (`Some(Some(id))`, 422 `/tenant_id` `invalid_reference` when unknown)
/// or clears (`Some(None)`) its tenant.
#[tracing::instrument(name = "customers::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    tenant_id: Option<Option<String>>,
    change: impl FnOnce(CustomerFields) -> CustomerFields,
) -> ApiResult<CustomerRecord> {
    let current = get(state, organization_id, id).await?.customer;
    let fields = change(CustomerFields {
        name: current.name,
        description: current.description,
        external_id: current.external_id.clone(),
        labels: current.labels,
        avatar_url: current.avatar_url,
    });
    let customer = Customer::new(current.id, fields).map_err(ApiError::Validation)?;
    let mut tx = state.store.begin().await?;
    store::customers::update(&mut tx, &customer)
        .await
        .map_err(|e| e.or_conflict(duplicate_external_id()))?;
    if let Some(tenant_id) = &tenant_id {
        if let Some(tenant) = tenant_id
            && store::tenants::get_in(&mut tx, organization_id, tenant)
                .await?
                .is_none()
        {
            return Err(unknown_tenant());
        }
        store::customers::set_tenant(&mut tx, id, tenant_id.as_deref()).await?;
    }
    store::events::record(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerUpdated, &customer, now_ms()),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(id);
    state.catalogs.forget_customer(id);
    get(state, organization_id, id).await
}

/// Deletes a customer with its users, instances, vendor values, executions and logs (its
/// subscriptions stay, cancelled by the organization), when
/// `confirm_name` is its exact name; tokens of its users issued until now are revoked.
#[tracing::instrument(name = "customers::delete", level = "debug", skip_all)]
pub async fn delete(
    state: &AppState,
    organization_id: &str,
    id: &str,
    confirm_name: Option<&str>,
) -> ApiResult<()> {
    let customer = get(state, organization_id, id).await?.customer;
    if !confirm_name.is_some_and(|n| customer.confirms_deletion(n)) {
        return Err(ApiError::bad_request(
            "confirmation_required",
            "pass ?confirm_name= with the customer's exact name",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // Its portal sessions and invitations go with it (foreign keys cascade); said here too, so
    // that no session outlives the customer whatever the backend's settings.
    store::portal::delete_customer_sessions(&mut tx, id).await?;
    store::customers::delete(&mut tx, id).await?;
    // Its subscriptions stay, as history, ended by the organization (never scored), without
    // its comments.
    store::subscriptions::cancel_for_customer(&mut tx, id, now).await?;
    store::revocations::revoke_customer(&mut tx, organization_id, &customer.external_id, now)
        .await?;
    store::events::record(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerDeleted, &customer, now),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(id);
    state
        .tokens
        .forget_customer_tokens(organization_id, &customer.external_id);
    state.catalogs.forget_customer(id);
    Ok(())
}

/// A page of a customer's users.
#[tracing::instrument(name = "customers::list_users", level = "debug", skip_all)]
pub async fn list_users(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<UserRecord>> {
    get(state, organization_id, customer_id).await?;
    Ok(store::customers::list_users(&state.store, customer_id, page).await?)
}

/// An event about a customer's user.
/// An event about a user; `user` in its data is the user as vendors receive it.
pub fn user_event(event_type: EventType, user: &UserRecord, changed: &[&str]) -> Event {
    let data = json!({
        "user_id": user.id,
        "changed": changed,
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role},
    });
    Event::for_organization(event_type, now_ms(), data)
        .with_customer(&user.customer_id.as_str().into())
}

/// Changes a user's display data and pins a role (the user then acts with the lower of it and
/// each token's role); `None` keeps a field.
#[tracing::instrument(name = "customers::update_user", level = "debug", skip_all)]
pub async fn update_user(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    user_id: &str,
    name: Option<String>,
    email: Option<String>,
    pinned_role: Option<marketplace_core::Role>,
) -> ApiResult<UserRecord> {
    get(state, organization_id, customer_id).await?;
    let mut tx = state.store.begin().await?;
    let mut user = store::customers::get_user(&mut tx, customer_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let mut changed = Vec::new();
    if name.is_some() {
        changed.push("name");
        user.name = name;
    }
    if email.is_some() {
        changed.push("email");
        user.email = email;
    }
    store::customers::update_user(&mut tx, &user).await?;
    if let Some(role) = pinned_role {
        changed.push("role_pinned");
        store::portal::pin_role(&mut tx, customer_id, user_id, role.as_str()).await?;
        user.pinned_role = Some(role.as_str().to_owned());
    }
    store::events::record(
        &mut tx,
        organization_id,
        &user_event(EventType::CustomerUserUpdated, &user, &changed),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_user(customer_id, user_id);
    Ok(user)
}

/// Deletes a user with their portal sessions; tokens issued to them until now are refused
/// (`token_revoked`), and a later token creates them again.
#[tracing::instrument(name = "customers::delete_user", level = "debug", skip_all)]
pub async fn delete_user(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let customer = get(state, organization_id, customer_id).await?.customer;
    let mut tx = state.store.begin().await?;
    let user = store::customers::get_user(&mut tx, customer_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    store::customers::delete_user(&mut tx, customer_id, user_id).await?;
    store::portal::delete_user_sessions(&mut tx, customer_id, user_id, None).await?;
    store::revocations::revoke_user(
        &mut tx,
        organization_id,
        &customer.external_id,
        user_id,
        now_ms(),
    )
    .await?;
    store::events::record(
        &mut tx,
        organization_id,
        &user_event(EventType::CustomerUserDeleted, &user, &[]),
    )
    .await?;
    // The same change as vendors are told of it (`customer_user.unassigned` is deliverable).
    store::events::record(
        &mut tx,
        organization_id,
        &user_event(EventType::CustomerUserUnassigned, &user, &[]),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_user(customer_id, user_id);
    state
        .tokens
        .forget_user_tokens(organization_id, &customer.external_id, user_id);
    Ok(())
}

/// The spec vendor values of a customer are checked against: the version listed in the default
/// marketplace, or, when the integration is not listed there, the version of the customer's
/// latest instance.
async fn vendor_spec(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    integration_id: &str,
) -> ApiResult<Arc<IntegrationVersion>> {
    let marketplace_id = crate::service::marketplaces::default_id(state, organization_id).await?;
    let snapshot =
        crate::service::catalog::snapshot(state, organization_id, &marketplace_id).await?;
    if let Some(listed) = snapshot.get(integration_id) {
        return Ok(listed.version.clone());
    }
    let not_found = || ApiError::NotFound("listing or instance of this integration");
    let version = store::instances::latest_version(&state.store, customer_id, integration_id)
        .await?
        .ok_or_else(not_found)?;
    crate::service::catalog::load_version(state, integration_id, &version)
        .await?
        .ok_or_else(not_found)
}

/// The vendor-set values of a customer for an integration, secrets masked.
#[tracing::instrument(name = "customers::vendor_values", level = "debug", skip_all)]
pub async fn vendor_values(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    integration_id: &str,
) -> ApiResult<Map<String, Value>> {
    get(state, organization_id, customer_id).await?;
    let version = vendor_spec(state, organization_id, customer_id, integration_id).await?;
    let values = store::customers::vendor_values(&state.store, customer_id, integration_id).await?;
    Ok(read_view(
        version.config.spec(),
        &values,
        Audience::Organization,
    ))
}

/// Sets the vendor-set values of a customer for an integration (organization and embedded
/// variables; an omitted secret keeps its value); returns them, secrets masked.
#[tracing::instrument(name = "customers::put_vendor_values", level = "debug", skip_all)]
pub async fn put_vendor_values(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    integration_id: &str,
    update: &Map<String, Value>,
) -> ApiResult<Map<String, Value>> {
    get(state, organization_id, customer_id).await?;
    let version = vendor_spec(state, organization_id, customer_id, integration_id).await?;
    let stored = store::customers::vendor_values(&state.store, customer_id, integration_id).await?;
    let merged =
        accept_vendor_values(&version.config, &stored, update).map_err(ApiError::Validation)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::customers::put_vendor_values(
        &mut tx,
        &state.store,
        customer_id,
        integration_id,
        &merged,
        now,
    )
    .await?;
    let event = Event::vendor_values_updated(
        &customer_id.into(),
        &integration_id.into(),
        &stored,
        &merged,
        now,
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.catalogs.forget_customer(customer_id);
    Ok(read_view(
        version.config.spec(),
        &merged,
        Audience::Organization,
    ))
}
