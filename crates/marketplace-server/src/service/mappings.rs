//! Mapping collections: the organization's record types, a draft version's collections (read
//! with their tests' outcomes, replaced, deleted, validated, previewed) and an instance's
//! overrides of a collection. Every rule is core's (`mapping`); a published version reads the
//! record types it froze, a draft the organization's current ones.

use crate::error::{ApiError, ApiResult};
use crate::service::instances::version_of;
use crate::service::integrations::{self, commit_catalog_change, integration_event, record_types};
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use marketplace_core::error::prefix_all;
use marketplace_core::event::{Event, EventType};
use marketplace_core::instance::Instance;
use marketplace_core::integration::collection_target;
use marketplace_core::mapping::{
    Applied, Collection, Mapping, OverrideEditor, RecordType, TestResult, accept_record_type,
    apply_mappings, effective_mappings, run_tests, validate_collection,
};
use marketplace_core::{FieldError, FieldErrorCode, IntegrationVersion, VersionState};
use serde_json::{Value, json};

pub use crate::store::record_types::RecordTypeRecord;

/// The organization's record types, by name.
#[tracing::instrument(name = "mappings::list_record_types", level = "debug", skip_all)]
pub async fn list_record_types(
    state: &AppState,
    organization_id: &str,
) -> ApiResult<Vec<RecordTypeRecord>> {
    Ok(store::record_types::list(&state.store, organization_id).await?)
}

/// One record type (404 otherwise).
#[tracing::instrument(name = "mappings::get_record_type", level = "debug", skip_all)]
pub async fn get_record_type(
    state: &AppState,
    organization_id: &str,
    name: &str,
) -> ApiResult<RecordTypeRecord> {
    store::record_types::get(&state.store, organization_id, name)
        .await?
        .ok_or(ApiError::NotFound("record_type"))
}

/// Creates or replaces a record type from `{description?, schema}` (core's
/// `accept_record_type`); whether it was created. Event `record_type.updated`.
#[tracing::instrument(name = "mappings::put_record_type", level = "debug", skip_all)]
pub async fn put_record_type(
    state: &AppState,
    organization_id: &str,
    name: &str,
    body: &Value,
) -> ApiResult<(RecordTypeRecord, bool)> {
    let record_type = accept_record_type(name, body).map_err(ApiError::Validation)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let created = store::record_types::upsert(&mut tx, organization_id, &record_type, now).await?;
    let event = Event::for_organization(
        EventType::RecordTypeUpdated,
        now,
        json!({"name": name, "created": created}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok((
        get_record_type(state, organization_id, name).await?,
        created,
    ))
}

/// Deletes a record type: 404 when unknown, 409 `record_type_in_use` while a collection of any
/// version uses it. Event `record_type.deleted`.
#[tracing::instrument(name = "mappings::delete_record_type", level = "debug", skip_all)]
pub async fn delete_record_type(
    state: &AppState,
    organization_id: &str,
    name: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    if store::integrations::record_type_in_use(&mut tx, organization_id, name).await? {
        return Err(ApiError::conflict(
            "record_type_in_use",
            format!("a collection uses the record type `{name}`"),
        ));
    }
    if !store::record_types::delete(&mut tx, organization_id, name).await? {
        return Err(ApiError::NotFound("record_type"));
    }
    let event = Event::for_organization(
        EventType::RecordTypeDeleted,
        now_ms(),
        json!({"name": name}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// A collection with the outcome of each of its tests.
#[derive(Debug, Clone)]
pub struct ShownCollection {
    /// The collection.
    pub collection: Collection,
    /// Its tests, run now.
    pub tests: Vec<TestResult>,
}

/// A version of the organization's integration with the record types its collections are
/// read against (frozen once published).
struct Loaded {
    version: IntegrationVersion,
    record_types: Vec<RecordType>,
}

async fn load(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
) -> ApiResult<Loaded> {
    let version = integrations::get_version(state, organization_id, integration_id, number)
        .await?
        .version;
    let record_types = match version.state {
        VersionState::Published => version.record_types.clone(),
        VersionState::Draft => record_types(state, organization_id).await?,
    };
    Ok(Loaded {
        version,
        record_types,
    })
}

fn show(collection: &Collection, record_types: &[RecordType]) -> ShownCollection {
    ShownCollection {
        tests: run_tests(collection, collection_target(collection, record_types)),
        collection: collection.clone(),
    }
}

fn collection<'v>(version: &'v IntegrationVersion, name: &str) -> ApiResult<&'v Collection> {
    version
        .collection(name)
        .ok_or(ApiError::NotFound("collection"))
}

fn refuse_published(version: &IntegrationVersion) -> ApiResult<()> {
    match version.state {
        VersionState::Published => Err(ApiError::conflict(
            "version_published",
            format!("version {} is published and cannot change", version.version),
        )),
        VersionState::Draft => Ok(()),
    }
}

/// A version's collections, with their tests run.
#[tracing::instrument(name = "mappings::list_collections", level = "debug", skip_all)]
pub async fn list_collections(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
) -> ApiResult<Vec<ShownCollection>> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    Ok(loaded
        .version
        .collections
        .iter()
        .map(|c| show(c, &loaded.record_types))
        .collect())
}

/// One collection of a version, with its tests run (404 when unknown).
#[tracing::instrument(name = "mappings::get_collection", level = "debug", skip_all)]
pub async fn get_collection(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    name: &str,
) -> ApiResult<ShownCollection> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    Ok(show(
        collection(&loaded.version, name)?,
        &loaded.record_types,
    ))
}

/// Creates or replaces a draft's collection (the path names it; paths of errors are into the
/// body, `/mappings/2/to`); whether it was created. 409 `version_published` on a published one.
#[tracing::instrument(name = "mappings::put_collection", level = "debug", skip_all)]
pub async fn put_collection(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    name: &str,
    mut body: Value,
) -> ApiResult<(ShownCollection, bool)> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    refuse_published(&loaded.version)?;
    if let Some(object) = body.as_object_mut() {
        match object.get("name") {
            None => {
                object.insert("name".into(), Value::String(name.to_owned()));
            }
            Some(given) if given != name => {
                return Err(ApiError::field(FieldError::new(
                    "/name",
                    FieldErrorCode::Invalid,
                    "the body's name differs from the path's",
                )));
            }
            Some(_) => {}
        }
    }
    let collection =
        validate_collection(&body, &loaded.record_types).map_err(ApiError::Validation)?;
    let mut collections = loaded.version.collections.clone();
    let created = match collections.iter_mut().find(|c| c.name == name) {
        Some(existing) => {
            *existing = collection.clone();
            false
        }
        None => {
            collections.push(collection.clone());
            true
        }
    };
    store_collections(
        state,
        organization_id,
        integration_id,
        number,
        &collections,
        name,
    )
    .await?;
    Ok((show(&collection, &loaded.record_types), created))
}

/// Deletes a draft's collection: 404 when unknown, 409 `version_published`, 409
/// `collection_in_use` while a flow's `map` names it.
#[tracing::instrument(name = "mappings::delete_collection", level = "debug", skip_all)]
pub async fn delete_collection(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    name: &str,
) -> ApiResult<()> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    collection(&loaded.version, name)?;
    refuse_published(&loaded.version)?;
    if loaded.version.collection_in_use(name) {
        return Err(ApiError::conflict(
            "collection_in_use",
            format!("a flow maps with the collection `{name}`"),
        ));
    }
    let mut collections = loaded.version.collections.clone();
    collections.retain(|c| c.name != name);
    store_collections(
        state,
        organization_id,
        integration_id,
        number,
        &collections,
        name,
    )
    .await
}

/// Stores a draft's collections with its `version.updated` event.
async fn store_collections(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    collections: &[Collection],
    changed: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    if !store::integrations::set_collections(&mut tx, integration_id, number, collections).await? {
        // Published between the read and this write.
        return Err(ApiError::conflict(
            "version_published",
            format!("version {number} is published and cannot change"),
        ));
    }
    let event = integration_event(
        EventType::VersionUpdated,
        integration_id,
        json!({"version": number, "collection": changed}),
    );
    commit_catalog_change(state, tx, organization_id, event).await
}

/// Checks a collection against the version's record types without storing it: every problem,
/// paths into the request body (`/collection/mappings/2/to`).
#[tracing::instrument(name = "mappings::validate", level = "debug", skip_all)]
pub async fn validate(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    body: &Value,
) -> ApiResult<Vec<FieldError>> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    Ok(match validate_collection(body, &loaded.record_types) {
        Ok(_) => Vec::new(),
        Err(errors) => prefix_all(errors, "/collection"),
    })
}

/// Parses overrides from a body's `overrides` (errors at `/overrides/0`).
pub fn parse_overrides(value: Option<&Value>) -> ApiResult<Option<Vec<Mapping>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err(ApiError::field(FieldError::new(
            "/overrides",
            FieldErrorCode::Type,
            "overrides must be an array of mappings",
        )));
    };
    let mut overrides = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match serde_json::from_value::<Mapping>(item.clone()) {
            Ok(mapping) => overrides.push(mapping),
            Err(e) => errors.push(FieldError::new(
                format!("/overrides/{i}"),
                FieldErrorCode::Invalid,
                e.to_string(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(Some(overrides))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Applies a collection, with optional overrides (the vendor may override any mapping), to an
/// input: the output checked against the collection's target, and every error.
#[tracing::instrument(name = "mappings::preview", level = "debug", skip_all)]
pub async fn preview(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    number: &str,
    name: &str,
    input: &Value,
    overrides: Option<&[Mapping]>,
) -> ApiResult<Applied> {
    let loaded = load(state, organization_id, integration_id, number).await?;
    let collection = collection(&loaded.version, name)?;
    apply_effective(
        collection,
        overrides.unwrap_or_default(),
        OverrideEditor::Vendor,
        &loaded.record_types,
        input,
    )
    .map_err(ApiError::Validation)
}

/// The effective mappings of a collection under overrides, applied to `input` (previews and
/// flows): the output checked against the collection's target, or the overrides' problems.
pub(crate) fn apply_effective(
    collection: &Collection,
    overrides: &[Mapping],
    editor: OverrideEditor,
    record_types: &[RecordType],
    input: &Value,
) -> Result<Applied, Vec<FieldError>> {
    let effective = effective_mappings(collection, overrides, editor, record_types)?;
    Ok(apply_mappings(
        &effective,
        collection_target(collection, record_types),
        input,
    ))
}

/// An instance's overrides of a collection and the mappings it runs with them.
#[derive(Debug, Clone)]
pub struct InstanceMappings {
    /// The collection's name.
    pub collection: String,
    /// The overrides.
    pub overrides: Vec<Mapping>,
    /// The effective mappings.
    pub effective: Vec<Mapping>,
}

/// An instance's overrides of a collection of its version (404 when the version has none of
/// that name).
#[tracing::instrument(name = "mappings::instance_mappings", level = "debug", skip_all)]
pub async fn instance_mappings(
    state: &AppState,
    instance: &Instance,
    name: &str,
) -> ApiResult<InstanceMappings> {
    let version = version_of(state, instance).await?;
    let collection = collection(&version, name)?;
    let mut conn = state.store.read().await?;
    let overrides = store::instance_mappings::get(&mut conn, instance.id.as_str(), name).await?;
    drop(conn);
    let effective = effective_mappings(
        collection,
        &overrides,
        OverrideEditor::Vendor,
        &version.record_types,
    )
    .map_err(|_| ApiError::Internal("an instance's stored overrides no longer validate".into()))?;
    Ok(InstanceMappings {
        collection: name.to_owned(),
        overrides,
        effective,
    })
}

/// Replaces an instance's overrides of a collection: a customer may override only
/// `overridable` mappings (`/overrides/0/to` `not_editable`), the vendor any; the effective
/// mappings must validate. Event `instance.mappings_changed` (the collection, never values).
#[tracing::instrument(name = "mappings::put_instance_mappings", level = "debug", skip_all)]
pub async fn put_instance_mappings(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    name: &str,
    overrides: &[Mapping],
    editor: OverrideEditor,
) -> ApiResult<InstanceMappings> {
    if instance.status == marketplace_core::InstanceStatus::Deactivated {
        return Err(ApiError::conflict(
            "invalid_state",
            "a deactivated instance does not change",
        ));
    }
    let version = version_of(state, instance).await?;
    let collection = collection(&version, name)?;
    let effective = effective_mappings(collection, overrides, editor, &version.record_types)
        .map_err(ApiError::Validation)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::instance_mappings::put(&mut tx, instance.id.as_str(), name, overrides, now).await?;
    let event = Event::for_instance(
        EventType::InstanceMappingsChanged,
        instance,
        now,
        json!({"collection": name}),
    );
    let event_id = store::events::record(&mut tx, organization_id, &event).await?;
    crate::service::alerts::event_recorded(state, &mut tx, organization_id, &event_id, &event)
        .await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(InstanceMappings {
        collection: name.to_owned(),
        overrides: overrides.to_vec(),
        effective,
    })
}

/// Applies an instance's effective mappings of a collection to `input`: with `overrides` given,
/// those instead of the stored ones (checked for `editor`; stored ones were checked when made).
#[tracing::instrument(name = "mappings::preview_instance", level = "debug", skip_all)]
pub async fn preview_instance(
    state: &AppState,
    instance: &Instance,
    name: &str,
    input: &Value,
    overrides: Option<Vec<Mapping>>,
    editor: OverrideEditor,
) -> ApiResult<Applied> {
    let version = version_of(state, instance).await?;
    let collection = collection(&version, name)?;
    let (overrides, editor) = match overrides {
        Some(given) => (given, editor),
        None => {
            let mut conn = state.store.read().await?;
            let stored =
                store::instance_mappings::get(&mut conn, instance.id.as_str(), name).await?;
            (stored, OverrideEditor::Vendor)
        }
    };
    apply_effective(collection, &overrides, editor, &version.record_types, input)
        .map_err(ApiError::Validation)
}
