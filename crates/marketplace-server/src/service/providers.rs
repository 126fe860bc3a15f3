//! Providers (the third parties) and their applications with released versions: the evidence
//! an integration version declares it supports. What a provider, an application or a version
//! accepts is core's (`certification`); every write is stored with its event and bumps the
//! organization's catalog version (tiers read this evidence).

use crate::error::{ApiError, ApiResult};
use crate::service::integrations::commit_catalog_change;
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::certification::{
    Application, ApplicationFields, ApplicationVersion, Provider, ProviderFields,
};
use marketplace_core::event::{Event, EventType};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::{Value, json};

pub use crate::store::applications::{ApplicationFilter, ApplicationRecord};
pub use crate::store::providers::ProviderRecord;

fn event(event_type: EventType, data: Value) -> Event {
    Event::for_organization(event_type, now_ms(), data)
}

/// Today's date (UTC), `YYYY-MM-DD`: what an application's latest version is compared with.
pub fn today() -> String {
    let now = marketplace_core::delivery::rfc3339(now_ms());
    now.get(..10).unwrap_or_default().to_owned()
}

/// A provider of the organization (404 otherwise).
#[tracing::instrument(name = "providers::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<ProviderRecord> {
    store::providers::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("provider"))
}

/// A page of the organization's providers.
#[tracing::instrument(name = "providers::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<ProviderRecord>> {
    Ok(store::providers::list(&state.store, organization_id, page).await?)
}

/// Creates a provider (core's `ProviderFields::validate`, every problem at once).
#[tracing::instrument(name = "providers::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    fields: ProviderFields,
) -> ApiResult<ProviderRecord> {
    let provider = provider(new_id("prv"), fields)?;
    let mut tx = state.store.begin().await?;
    store::providers::insert(&mut tx, organization_id, &provider, now_ms()).await?;
    let data = json!({"provider_id": provider.id, "name": provider.name});
    let event = event(EventType::ProviderCreated, data);
    commit_catalog_change(state, tx, organization_id, event).await?;
    get(state, organization_id, provider.id.as_str()).await
}

fn provider(id: String, fields: ProviderFields) -> ApiResult<Provider> {
    fields
        .validate()
        .map_err(|errors| ApiError::Validation(errors.0))?;
    Ok(Provider {
        id: id.into(),
        name: fields.name.trim().to_owned(),
        url: fields.url,
        logo_url: fields.logo_url,
        support: fields.support,
    })
}

/// Changes a provider: `change` receives the current fields and returns the new ones.
#[tracing::instrument(name = "providers::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    change: impl FnOnce(ProviderFields) -> ProviderFields,
) -> ApiResult<ProviderRecord> {
    let current = get(state, organization_id, id).await?.provider;
    let provider = provider(
        current.id.to_string(),
        change(ProviderFields {
            name: current.name,
            url: current.url,
            logo_url: current.logo_url,
            support: current.support,
        }),
    )?;
    let mut tx = state.store.begin().await?;
    store::providers::update(&mut tx, &provider, now_ms()).await?;
    let data = json!({"provider_id": id, "name": provider.name});
    let event = event(EventType::ProviderUpdated, data);
    commit_catalog_change(state, tx, organization_id, event).await?;
    get(state, organization_id, id).await
}

/// Deletes a provider without applications (else 409 `provider_in_use`).
#[tracing::instrument(name = "providers::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let provider = get(state, organization_id, id).await?.provider;
    let mut tx = state.store.begin().await?;
    if store::providers::has_applications(&mut tx, id).await? {
        return Err(ApiError::conflict(
            "provider_in_use",
            "the provider has applications: delete them first",
        ));
    }
    if !store::providers::delete(&mut tx, organization_id, id).await? {
        return Err(ApiError::NotFound("provider"));
    }
    let data = json!({"provider_id": id, "name": provider.name});
    let event = event(EventType::ProviderDeleted, data);
    commit_catalog_change(state, tx, organization_id, event).await
}

/// An application of the organization with its versions (404 otherwise).
#[tracing::instrument(name = "providers::get_application", level = "debug", skip_all)]
pub async fn get_application(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<ApplicationRecord> {
    store::applications::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("application"))
}

/// A page of the organization's applications.
#[tracing::instrument(name = "providers::list_applications", level = "debug", skip_all)]
pub async fn list_applications(
    state: &AppState,
    organization_id: &str,
    filter: &ApplicationFilter,
    page: &PageRequest,
) -> ApiResult<Page<ApplicationRecord>> {
    Ok(store::applications::list(&state.store, organization_id, filter, page).await?)
}

/// Checks an application's fields (core's `ApplicationFields::validate`) and that its provider
/// is one of the organization's (`/provider_id` `invalid_reference`), every problem at once.
async fn application(
    state: &AppState,
    organization_id: &str,
    id: String,
    fields: ApplicationFields,
    versions: Vec<ApplicationVersion>,
) -> ApiResult<Application> {
    let mut errors = fields.validate().err().map(|e| e.0).unwrap_or_default();
    // The provider is checked here, against the organization's: one error at `/provider_id`.
    errors.retain(|e| e.path != "/provider_id");
    let provider_id = fields.provider_id.as_str();
    if provider_id.is_empty() {
        errors.push(FieldError::new(
            "/provider_id",
            FieldErrorCode::Required,
            "the application's provider is required",
        ));
    } else if store::providers::get(&state.store, organization_id, provider_id)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            "/provider_id",
            FieldErrorCode::InvalidReference,
            format!("no provider `{provider_id}`"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Application {
        id: id.into(),
        provider_id: fields.provider_id,
        name: fields.name.trim().to_owned(),
        product_url: fields.product_url,
        logo_url: fields.logo_url,
        versions,
    })
}

/// Creates an application (without versions).
#[tracing::instrument(name = "providers::create_application", level = "debug", skip_all)]
pub async fn create_application(
    state: &AppState,
    organization_id: &str,
    fields: ApplicationFields,
) -> ApiResult<ApplicationRecord> {
    let application =
        application(state, organization_id, new_id("app"), fields, Vec::new()).await?;
    let mut tx = state.store.begin().await?;
    store::applications::insert(&mut tx, organization_id, &application, now_ms()).await?;
    let event = event(
        EventType::ApplicationCreated,
        application_data(&application),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    get_application(state, organization_id, application.id.as_str()).await
}

fn application_data(application: &Application) -> Value {
    json!({"application_id": application.id, "provider_id": application.provider_id,
        "name": application.name})
}

/// Changes an application: `change` receives the current fields and returns the new ones.
#[tracing::instrument(name = "providers::update_application", level = "debug", skip_all)]
pub async fn update_application(
    state: &AppState,
    organization_id: &str,
    id: &str,
    change: impl FnOnce(ApplicationFields) -> ApplicationFields,
) -> ApiResult<ApplicationRecord> {
    let current = get_application(state, organization_id, id)
        .await?
        .application;
    let fields = change(ApplicationFields {
        provider_id: current.provider_id,
        name: current.name,
        product_url: current.product_url,
        logo_url: current.logo_url,
    });
    let application = application(
        state,
        organization_id,
        id.to_owned(),
        fields,
        current.versions,
    )
    .await?;
    let mut tx = state.store.begin().await?;
    store::applications::update(&mut tx, &application, now_ms()).await?;
    let event = event(
        EventType::ApplicationUpdated,
        application_data(&application),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    get_application(state, organization_id, id).await
}

/// Deletes an application and its versions, unless a version of an integration declares it
/// (409 `application_in_use`).
#[tracing::instrument(name = "providers::delete_application", level = "debug", skip_all)]
pub async fn delete_application(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<()> {
    let application = get_application(state, organization_id, id)
        .await?
        .application;
    let mut tx = state.store.begin().await?;
    if store::applications::declared(&mut tx, organization_id, id, None).await? {
        return Err(ApiError::conflict(
            "application_in_use",
            "an integration version declares this application",
        ));
    }
    if !store::applications::delete(&mut tx, organization_id, id).await? {
        return Err(ApiError::NotFound("application"));
    }
    let event = event(
        EventType::ApplicationDeleted,
        application_data(&application),
    );
    commit_catalog_change(state, tx, organization_id, event).await
}

/// Adds a released version (core's `ApplicationVersion::validate`; a taken name is 409
/// `duplicate_application_version`).
#[tracing::instrument(name = "providers::add_version", level = "debug", skip_all)]
pub async fn add_version(
    state: &AppState,
    organization_id: &str,
    id: &str,
    version: ApplicationVersion,
) -> ApiResult<ApplicationRecord> {
    get_application(state, organization_id, id).await?;
    version
        .validate()
        .map_err(|errors| ApiError::Validation(errors.0))?;
    let version = ApplicationVersion {
        name: version.name.trim().to_owned(),
        ..version
    };
    let mut tx = state.store.begin().await?;
    store::applications::add_version(&mut tx, id, &version, now_ms())
        .await
        .map_err(|e| {
            e.or_conflict(ApiError::conflict(
                "duplicate_application_version",
                format!("the application already has a version `{}`", version.name),
            ))
        })?;
    let data = json!({"application_id": id, "version": version.name,
        "released_on": version.released_on});
    let event = event(EventType::ApplicationVersionAdded, data);
    commit_catalog_change(state, tx, organization_id, event).await?;
    get_application(state, organization_id, id).await
}

/// Removes a released version (404 when unknown), unless a version of an integration declares
/// it (409 `application_in_use`).
#[tracing::instrument(name = "providers::remove_version", level = "debug", skip_all)]
pub async fn remove_version(
    state: &AppState,
    organization_id: &str,
    id: &str,
    name: &str,
) -> ApiResult<()> {
    let application = get_application(state, organization_id, id)
        .await?
        .application;
    if !application.versions.iter().any(|v| v.name == name) {
        return Err(ApiError::NotFound("application version"));
    }
    let mut tx = state.store.begin().await?;
    if store::applications::declared(&mut tx, organization_id, id, Some(name)).await? {
        return Err(ApiError::conflict(
            "application_in_use",
            format!("an integration version declares version `{name}` of this application"),
        ));
    }
    if !store::applications::remove_version(&mut tx, id, name, now_ms()).await? {
        return Err(ApiError::NotFound("application version"));
    }
    let data = json!({"application_id": id, "version": name});
    let event = event(EventType::ApplicationVersionRemoved, data);
    commit_catalog_change(state, tx, organization_id, event).await
}
