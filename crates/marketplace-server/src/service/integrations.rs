//! Integrations and their versions (semver, draft then published, immutable once published;
//! publishing may also list a version in marketplaces, `service::marketplaces` holds the
//! listings). Catalog writes bump the organization's catalog version in their transaction and
//! drop its snapshot after the commit.

use crate::error::{ApiError, ApiResult};
use crate::service::catalog::bump;
use crate::service::certification;
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, Tx, new_id, now_ms};
use marketplace_core::certification::IntegrationProfile;
use marketplace_core::event::{Event, EventType};
use marketplace_core::integration::IntegrationFields;
use marketplace_core::mapping::RecordType;
use marketplace_core::{FieldErrorCode, Integration, IntegrationVersion, VersionState};
use serde_json::{Value, json};

pub use crate::store::integrations::{IntegrationFilter, IntegrationRecord, VersionRecord};

/// An event about an integration (its versions and listing included), now.
pub(crate) fn integration_event(event_type: EventType, integration_id: &str, data: Value) -> Event {
    Event::for_integration(event_type, &integration_id.into(), now_ms(), data)
}

/// Stores a catalog change's event, bumps the catalog version and commits; the snapshot is
/// dropped after the commit.
#[tracing::instrument(
    name = "integrations::commit_catalog_change",
    level = "debug",
    skip_all
)]
pub(crate) async fn commit_catalog_change(
    state: &AppState,
    mut tx: Tx,
    organization_id: &str,
    event: Event,
) -> ApiResult<()> {
    store::events::record(&mut tx, organization_id, &event).await?;
    bump(&mut tx, organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(organization_id);
    Ok(())
}

/// An integration of the organization (404 otherwise).
#[tracing::instrument(name = "integrations::get", level = "debug", skip_all)]
pub async fn get(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<IntegrationRecord> {
    store::integrations::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("integration"))
}

/// An integration from its fields and profile, every problem of both at once (the profile's
/// at `/profile/...`, core's `IntegrationProfile::validate`).
fn accept(
    id: marketplace_core::IntegrationId,
    fields: IntegrationFields,
    profile: &IntegrationProfile,
) -> ApiResult<Integration> {
    let profile_errors = profile.validate().err().map(|e| e.0).unwrap_or_default();
    match Integration::new(id, fields) {
        Ok(integration) if profile_errors.is_empty() => Ok(integration),
        Ok(_) => Err(ApiError::Validation(profile_errors)),
        Err(mut errors) => {
            errors.extend(profile_errors);
            Err(ApiError::Validation(errors))
        }
    }
}

/// Creates an integration with its profile.
#[tracing::instrument(name = "integrations::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    fields: IntegrationFields,
    profile: IntegrationProfile,
) -> ApiResult<IntegrationRecord> {
    let integration = accept(new_id("int").into(), fields, &profile)?;
    let mut tx = state.store.begin().await?;
    store::integrations::insert(&mut tx, organization_id, &integration, &profile, now_ms()).await?;
    let event = integration_event(
        EventType::IntegrationCreated,
        integration.id.as_str(),
        json!({"name": integration.name}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    get(state, organization_id, integration.id.as_str()).await
}

/// A page of the organization's integrations.
#[tracing::instrument(name = "integrations::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &IntegrationFilter,
    page: &PageRequest,
) -> ApiResult<Page<IntegrationRecord>> {
    Ok(store::integrations::list(&state.store, organization_id, filter, page).await?)
}

/// Changes an integration's fields and profile: `change` receives the current ones and returns
/// the new ones. The profile is certification evidence: the catalog version is bumped.
#[tracing::instrument(name = "integrations::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    change: impl FnOnce(
        IntegrationFields,
        IntegrationProfile,
    ) -> (IntegrationFields, IntegrationProfile),
) -> ApiResult<IntegrationRecord> {
    let record = get(state, organization_id, id).await?;
    let current = record.integration;
    let (fields, profile) = change(
        IntegrationFields {
            name: current.name,
            description: current.description,
            category: current.category,
            labels: current.labels,
            icon_url: current.icon_url,
        },
        record.profile,
    );
    let integration = accept(current.id, fields, &profile)?;
    let mut tx = state.store.begin().await?;
    store::integrations::update(&mut tx, &integration, &profile, now_ms()).await?;
    let event = integration_event(
        EventType::IntegrationUpdated,
        id,
        json!({"name": integration.name}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    get(state, organization_id, id).await
}

/// One version (404 otherwise).
#[tracing::instrument(name = "integrations::version", level = "debug", skip_all)]
pub(crate) async fn version(
    state: &AppState,
    integration_id: &str,
    version: &str,
) -> ApiResult<VersionRecord> {
    store::integrations::get_version(&state.store, integration_id, version)
        .await?
        .ok_or(ApiError::NotFound("version"))
}

/// Creates a draft version from `{version, config, flows}`; every problem of the spec, the
/// flows and the version order is reported at once; a taken number is a 409.
#[tracing::instrument(name = "integrations::create_version", level = "debug", skip_all)]
pub async fn create_version(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    body: &Value,
) -> ApiResult<VersionRecord> {
    get(state, organization_id, integration_id).await?;
    let record_types = record_types(state, organization_id).await?;
    let registered = certification::registered_applications(state, organization_id).await?;
    let mut tx = state.store.begin().await?;
    let existing = store::integrations::summaries(&mut tx, integration_id).await?;
    let draft = IntegrationVersion::parse_draft(body, &existing, &record_types);
    let flows = draft.as_ref().ok().map(|d| d.flows.as_slice());
    let document = certification::version_document(body, flows, &registered);
    let (draft, document) = match (draft, document) {
        (Ok(draft), Ok(document)) => (draft, document),
        (draft, document) => {
            let mut errors = draft.err().unwrap_or_default();
            errors.extend(document.err().unwrap_or_default());
            return Err(
                match errors
                    .iter()
                    .find(|e| e.code == FieldErrorCode::Duplicate && e.path == "/version")
                {
                    Some(e) => ApiError::conflict("duplicate_version", e.message.clone()),
                    None => ApiError::Validation(errors),
                },
            );
        }
    };
    store::integrations::insert_version(&mut tx, integration_id, &draft, &document, now_ms())
        .await?;
    let number = draft.version.to_string();
    let event = integration_event(
        EventType::VersionCreated,
        integration_id,
        json!({"version": number}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    version(state, integration_id, &number).await
}

/// The organization's current record types (drafts are checked against them; publishing
/// freezes those a version uses).
#[tracing::instrument(name = "integrations::record_types", level = "debug", skip_all)]
pub(crate) async fn record_types(
    state: &AppState,
    organization_id: &str,
) -> ApiResult<Vec<RecordType>> {
    Ok(store::record_types::list(&state.store, organization_id)
        .await?
        .into_iter()
        .map(|r| r.record_type)
        .collect())
}

/// Every version of an integration, newest first.
#[tracing::instrument(name = "integrations::versions", level = "debug", skip_all)]
pub async fn versions(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<Vec<VersionRecord>> {
    get(state, organization_id, integration_id).await?;
    Ok(store::integrations::versions(&state.store, integration_id).await?)
}

/// One version of an integration of the organization.
#[tracing::instrument(name = "integrations::get_version", level = "debug", skip_all)]
pub async fn get_version(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
) -> ApiResult<VersionRecord> {
    get(state, organization_id, integration_id).await?;
    version(state, integration_id, number).await
}

/// Replaces a draft's config, flows, collections and document; a published version is
/// immutable (409).
#[tracing::instrument(name = "integrations::replace_version", level = "debug", skip_all)]
pub async fn replace_version(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    body: &Value,
) -> ApiResult<VersionRecord> {
    let current = get_version(state, organization_id, integration_id, number)
        .await?
        .version;
    if current.state == VersionState::Published {
        return Err(ApiError::conflict(
            "version_published",
            format!("version {number} is published and cannot change"),
        ));
    }
    let record_types = record_types(state, organization_id).await?;
    let registered = certification::registered_applications(state, organization_id).await?;
    let replaced = current.replace_draft(body, &record_types);
    let flows = replaced.as_ref().ok().map(|d| d.flows.as_slice());
    let document = certification::version_document(body, flows, &registered);
    let (replaced, document) = match (replaced, document) {
        (Ok(replaced), Ok(document)) => (replaced, document),
        (replaced, document) => {
            let mut errors = replaced.err().unwrap_or_default();
            errors.extend(document.err().unwrap_or_default());
            return Err(ApiError::Validation(errors));
        }
    };
    let mut tx = state.store.begin().await?;
    store::integrations::replace_draft(&mut tx, integration_id, &replaced, &document).await?;
    let event = integration_event(
        EventType::VersionUpdated,
        integration_id,
        json!({"version": number}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    version(state, integration_id, number).await
}

/// Publishes a draft; it must be greater than every published version. The listings of the
/// marketplaces named by `marketplaces` (keys) are pointed at it in the same transaction (new
/// ones not customer-deployable, single instance); an unknown key is a 422 at
/// `/marketplaces/N` and nothing is published.
#[tracing::instrument(name = "integrations::publish_version", level = "debug", skip_all)]
pub async fn publish_version(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    marketplaces: &[String],
) -> ApiResult<VersionRecord> {
    let current = get_version(state, organization_id, integration_id, number)
        .await?
        .version;
    let record_types = record_types(state, organization_id).await?;
    let mut tx = state.store.begin().await?;
    let existing = store::integrations::summaries(&mut tx, integration_id).await?;
    let published = current
        .publish(&existing, &record_types)
        .map_err(|e| match e.code {
            FieldErrorCode::Immutable => ApiError::conflict("version_published", e.message),
            _ => ApiError::conflict("version_order", e.message),
        })?;
    let marketplace_ids =
        crate::service::marketplaces::ids_of_keys(&mut tx, organization_id, marketplaces).await?;
    let now = now_ms();
    store::integrations::set_state(&mut tx, integration_id, &published, now).await?;
    for marketplace_id in &marketplace_ids {
        let listed = store::listings::point_at(
            &mut tx,
            organization_id,
            marketplace_id,
            integration_id,
            number,
            now,
        )
        .await?;
        let event = crate::service::marketplaces::listing_event(&listed.listing);
        store::events::record(&mut tx, organization_id, &event).await?;
    }
    let event = integration_event(
        EventType::VersionPublished,
        integration_id,
        json!({"version": number}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    if !marketplace_ids.is_empty() {
        crate::service::marketplaces::forget(state, organization_id);
    }
    version(state, integration_id, number).await
}
