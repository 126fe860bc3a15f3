//! The organization: its name, allowed embed origins and theme defaults; its admin API keys
//! (stored hashed, the secret shown once) and the host app's signing keys (by `kid`).

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::auth::parse_signing_key;
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, Store, StoreResult, Tx, new_id, now_ms};
use marketplace_core::event::{Event, EventType};
use marketplace_core::organization::{Theme, check_origins, check_theme};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::json;

pub use crate::store::api_keys::ApiKey;
pub use crate::store::organizations::Organization;
pub use crate::store::signing_keys::SigningKey;
use marketplace_core::api_key::ApiKeyRole;

/// An organization-wide event (no customer, integration or instance), now.
fn organization_event(event_type: EventType, data: serde_json::Value) -> Event {
    Event::for_organization(event_type, now_ms(), data)
}

/// The organization (404 when it does not exist).
#[tracing::instrument(name = "organization::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, id: &str) -> ApiResult<Organization> {
    store::organizations::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound("organization"))
}

/// What a change of the organization may set; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChange {
    /// New name.
    pub name: Option<String>,
    /// New allowed origins.
    pub allowed_origins: Option<Vec<String>>,
    /// New theme defaults.
    pub theme: Option<Theme>,
}

/// Changes the organization's name, allowed origins or theme defaults (every field error at
/// once), with its `organization.updated` event listing what changed.
#[tracing::instrument(name = "organization::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    id: &str,
    change: OrganizationChange,
) -> ApiResult<Organization> {
    let mut errors = Vec::new();
    if change.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        errors.push(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        ));
    }
    let origins = match change.allowed_origins.as_deref().map(check_origins) {
        Some(Err(e)) => {
            errors.extend(e);
            None
        }
        Some(Ok(o)) => Some(o),
        None => None,
    };
    if let Some(theme) = &change.theme {
        errors.extend(check_theme(theme));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let current = get(state, id).await?;
    let mut changed = Vec::new();
    let mut next = current.clone();
    if let Some(name) = change.name.map(|n| n.trim().to_owned()) {
        changed.push("name");
        next.name = name;
    }
    if let Some(origins) = origins {
        changed.push("allowed_origins");
        next.allowed_origins = origins;
    }
    if let Some(theme) = change.theme {
        changed.push("theme");
        next.theme = theme;
    }
    let mut tx = state.store.begin().await?;
    store::organizations::update(&mut tx, &next).await?;
    store::events::record(
        &mut tx,
        id,
        &organization_event(EventType::OrganizationUpdated, json!({"changed": changed})),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_origins();
    Ok(next)
}

/// A new API key's secret: `mk_` and 32 random bytes.
fn new_api_key() -> String {
    format!("mk_{}", random_secret(32))
}

/// Creates an organization with a first admin API key; returns (organization id, API key).
#[tracing::instrument(name = "organization::create_organization", level = "debug", skip_all)]
pub async fn create_organization(store: &Store, name: &str) -> StoreResult<(String, String)> {
    let id = new_id("org");
    let mut tx = store.begin().await?;
    store::organizations::insert(&mut tx, &id, name).await?;
    let (_, secret) = issue_api_key(&mut tx, &id, "initial", ApiKeyRole::Admin).await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Draws a new API key and stores it by its hash (with its first characters, to recognise it);
/// returns it with its secret.
async fn issue_api_key(
    tx: &mut Tx,
    organization_id: &str,
    name: &str,
    role: ApiKeyRole,
) -> StoreResult<(ApiKey, String)> {
    let secret = new_api_key();
    let key = store::api_keys::insert(
        tx,
        organization_id,
        &new_id("key"),
        name,
        &sha256_hex(&secret),
        &secret[..10],
        role.as_str(),
    )
    .await?;
    Ok((key, secret))
}

/// Creates an API key of that role; returns it with its secret, which is shown once.
#[tracing::instrument(name = "organization::create_api_key", level = "debug", skip_all)]
pub async fn create_api_key(
    state: &AppState,
    organization_id: &str,
    name: &str,
    role: ApiKeyRole,
) -> ApiResult<(ApiKey, String)> {
    if name.trim().is_empty() {
        return Err(ApiError::field(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        )));
    }
    let mut tx = state.store.begin().await?;
    let (key, secret) = issue_api_key(&mut tx, organization_id, name.trim(), role).await?;
    store::events::record(
        &mut tx,
        organization_id,
        &organization_event(
            EventType::ApiKeyCreated,
            json!({"api_key_id": key.id, "name": key.name, "prefix": key.prefix, "role": key.role}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((key, secret))
}

/// A page of the organization's API keys (never their secrets).
#[tracing::instrument(name = "organization::list_api_keys", level = "debug", skip_all)]
pub async fn list_api_keys(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<ApiKey>> {
    Ok(store::api_keys::list(&state.store, organization_id, page).await?)
}

/// Deletes an API key; the organization's last admin key cannot be deleted.
#[tracing::instrument(name = "organization::delete_api_key", level = "debug", skip_all)]
pub async fn delete_api_key(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    let key = store::api_keys::get(&mut tx, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("API key"))?;
    if key.role == ApiKeyRole::Admin.as_str()
        && store::api_keys::count_admins(&mut tx, organization_id).await? <= 1
    {
        return Err(ApiError::conflict(
            "last_api_key",
            "the organization's last admin API key cannot be deleted",
        ));
    }
    store::api_keys::delete(&mut tx, id).await?;
    store::events::record(
        &mut tx,
        organization_id,
        &organization_event(
            EventType::ApiKeyRevoked,
            json!({"api_key_id": key.id, "name": key.name, "prefix": key.prefix}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Registers a public key of the host app (`RS256`, `ES256` or `EdDSA`, PEM).
#[tracing::instrument(name = "organization::create_signing_key", level = "debug", skip_all)]
pub async fn create_signing_key(
    state: &AppState,
    organization_id: &str,
    kid: &str,
    algorithm: &str,
    public_key_pem: &str,
) -> ApiResult<SigningKey> {
    check_signing_key(kid, algorithm, public_key_pem)?;
    let key = SigningKey {
        kid: kid.to_owned(),
        algorithm: algorithm.to_owned(),
        public_key_pem: public_key_pem.to_owned(),
        created_at: now_ms(),
        marketplace_id: None,
    };
    let mut tx = state.store.begin().await?;
    store::signing_keys::insert(&mut tx, organization_id, &key)
        .await
        .map_err(|e| {
            e.or_conflict(ApiError::conflict(
                "duplicate_kid",
                "a signing key with this kid exists",
            ))
        })?;
    store::events::record(
        &mut tx,
        organization_id,
        &organization_event(
            EventType::SigningKeyCreated,
            json!({"kid": key.kid, "algorithm": key.algorithm}),
        ),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_keys();
    Ok(key)
}

/// Checks a signing key's fields: kid of 1 to 200 characters, a known algorithm, a PEM that
/// parses for it (every problem at once).
pub(crate) fn check_signing_key(kid: &str, algorithm: &str, public_key_pem: &str) -> ApiResult<()> {
    let mut errors = Vec::new();
    if kid.trim().is_empty() || kid.len() > 200 {
        errors.push(FieldError::new(
            "/kid",
            FieldErrorCode::Empty,
            "kid must hold 1 to 200 characters",
        ));
    }
    if !matches!(algorithm, "RS256" | "ES256" | "EdDSA") {
        errors.push(FieldError::new(
            "/algorithm",
            FieldErrorCode::Option,
            "must be RS256, ES256 or EdDSA",
        ));
    } else if let Err(e) = parse_signing_key(algorithm, public_key_pem) {
        errors.push(FieldError::new(
            "/public_key_pem",
            FieldErrorCode::Format,
            e,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(())
}

/// A page of the registered public keys.
#[tracing::instrument(name = "organization::list_signing_keys", level = "debug", skip_all)]
pub async fn list_signing_keys(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<SigningKey>> {
    Ok(store::signing_keys::list(&state.store, organization_id, page).await?)
}

/// Deletes a public key; tokens signed with it are refused from now on.
#[tracing::instrument(name = "organization::delete_signing_key", level = "debug", skip_all)]
pub async fn delete_signing_key(
    state: &AppState,
    organization_id: &str,
    kid: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    if !store::signing_keys::delete(&mut tx, organization_id, kid).await? {
        return Err(ApiError::NotFound("signing key"));
    }
    store::events::record(
        &mut tx,
        organization_id,
        &organization_event(EventType::SigningKeyRevoked, json!({"kid": kid})),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_keys();
    Ok(())
}
