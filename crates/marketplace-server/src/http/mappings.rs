//! Mapping collections: `/api/v1/record-types[/{name}]`,
//! `/api/v1/integrations/{id}/versions/{version}/collections[/validate|/{name}[/preview]]`,
//! `/api/v1/instances/{id}/mappings/{collection}` and the embedded
//! `/api/v1/embedded/instances/{id}/mappings/{collection}[/preview]`.

use crate::error::ApiResult;
use crate::http::embedded::own_instance;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::{List, decode, time::rfc3339};
use crate::service::auth::{Admin, CustomerUser};
use crate::service::instances;
use crate::service::mappings::{self, InstanceMappings, RecordTypeRecord, ShownCollection};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::mappings::{
    CollectionTestResult, CollectionValidateBody, CollectionValidation, CollectionView,
    InstanceMappingsBody, InstanceMappingsView, PreviewBody, PreviewResult, RecordTypeBody,
    RecordTypeView,
};
use marketplace_core::mapping::{Applied, OverrideEditor};
use marketplace_core::permission::Action;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_record_types))
        .routes(routes!(
            get_record_type,
            put_record_type,
            delete_record_type
        ))
        .routes(routes!(list_collections))
        .routes(routes!(validate_collection))
        .routes(routes!(get_collection, put_collection, delete_collection))
        .routes(routes!(preview_collection))
        .routes(routes!(get_instance_mappings, put_instance_mappings))
        .routes(routes!(
            embedded_get_instance_mappings,
            embedded_put_instance_mappings
        ))
        .routes(routes!(embedded_preview_instance_mappings))
}

fn record_type_view(record: RecordTypeRecord) -> RecordTypeView {
    RecordTypeView {
        name: record.record_type.name,
        description: record.record_type.description,
        schema: record.record_type.schema,
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

fn collection_view(shown: ShownCollection) -> CollectionView {
    let wire = marketplace_api::mappings::MappingCollection::from(&shown.collection);
    CollectionView {
        name: wire.name,
        record_type: wire.record_type,
        direction: wire.direction,
        foreign_schema: wire.foreign_schema,
        notes: wire.notes,
        mappings: wire.mappings,
        tests: wire
            .tests
            .into_iter()
            .map(|t| CollectionTestResult {
                passed: shown.tests.iter().any(|r| r.name == t.name && r.passed),
                name: t.name,
                input: t.input,
                expected: t.expected,
            })
            .collect(),
    }
}

fn preview_view(applied: Applied) -> PreviewResult {
    PreviewResult {
        output: applied.output,
        errors: applied.errors.into_iter().map(Into::into).collect(),
    }
}

fn instance_mappings_view(m: InstanceMappings) -> InstanceMappingsView {
    InstanceMappingsView {
        collection: m.collection,
        overrides: m.overrides.iter().map(Into::into).collect(),
        effective: m.effective.iter().map(Into::into).collect(),
    }
}

/// The `overrides` of a body, required (`PUT .../mappings/{collection}`).
fn required_overrides(body: &Value) -> ApiResult<Vec<marketplace_core::mapping::Mapping>> {
    decode::<InstanceMappingsBody>(body.clone())?;
    Ok(mappings::parse_overrides(body.get("overrides"))?.unwrap_or_default())
}

/// The `input` and optional `overrides` of a preview body.
fn preview_body(
    body: &Value,
) -> ApiResult<(Value, Option<Vec<marketplace_core::mapping::Mapping>>)> {
    let parsed: PreviewBody = decode(body.clone())?;
    Ok((
        parsed.input,
        mappings::parse_overrides(body.get("overrides"))?,
    ))
}

/// List the organization's record types, by name.
#[utoipa::path(get, path = "/api/v1/record-types", tag = "mappings", security(("api_key" = [])),
    responses((status = 200, body = List<RecordTypeView>)))]
async fn list_record_types(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<List<RecordTypeView>>> {
    let records = mappings::list_record_types(&state, &admin.organization_id).await?;
    Ok(Json(List {
        items: records.into_iter().map(record_type_view).collect(),
        next_cursor: None,
    }))
}

/// Get a record type.
#[utoipa::path(get, path = "/api/v1/record-types/{name}", tag = "mappings", security(("api_key" = [])),
    params(("name" = String, Path, description = "Record type name")),
    responses((status = 200, body = RecordTypeView)))]
async fn get_record_type(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<RecordTypeView>> {
    Ok(Json(record_type_view(
        mappings::get_record_type(&state, &admin.organization_id, &name).await?,
    )))
}

/// Create (201) or replace (200) a record type `{description?, schema}`; the schema is the
/// JSON Schema subset (other keywords are `unknown_key`).
#[utoipa::path(put, path = "/api/v1/record-types/{name}", tag = "mappings", security(("api_key" = [])),
    params(("name" = String, Path, description = "Record type name, ^[a-z][a-z0-9_]*$")),
    request_body = RecordTypeBody,
    responses((status = 200, body = RecordTypeView), (status = 201, body = RecordTypeView)))]
async fn put_record_type(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<RecordTypeView>)> {
    decode::<RecordTypeBody>(body.clone())?;
    let (record, created) =
        mappings::put_record_type(&state, &admin.organization_id, &name, &body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(record_type_view(record))))
}

/// Delete a record type; 409 `record_type_in_use` while a collection of any version uses it.
#[utoipa::path(delete, path = "/api/v1/record-types/{name}", tag = "mappings", security(("api_key" = [])),
    params(("name" = String, Path, description = "Record type name")), responses((status = 204)))]
async fn delete_record_type(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    mappings::delete_record_type(&state, &admin.organization_id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a version's collections, each test with whether it passes now.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}/collections", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    responses((status = 200, body = List<CollectionView>)))]
async fn list_collections(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<List<CollectionView>>> {
    let shown = mappings::list_collections(&state, &admin.organization_id, &id, &version).await?;
    Ok(Json(List {
        items: shown.into_iter().map(collection_view).collect(),
        next_cursor: None,
    }))
}

/// Get a collection, each test with whether it passes now.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}/collections/{name}", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version"),
        ("name" = String, Path, description = "Collection name")),
    responses((status = 200, body = CollectionView)))]
async fn get_collection(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version, name)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<CollectionView>> {
    let shown =
        mappings::get_collection(&state, &admin.organization_id, &id, &version, &name).await?;
    Ok(Json(collection_view(shown)))
}

/// Create (201) or replace (200) a draft's collection; every problem at once, paths into the
/// body (`/mappings/2/to`); 409 `version_published` on a published version.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/versions/{version}/collections/{name}", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version"),
        ("name" = String, Path, description = "Collection name")),
    request_body = marketplace_api::mappings::MappingCollection,
    responses((status = 200, body = CollectionView), (status = 201, body = CollectionView)))]
async fn put_collection(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version, name)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<CollectionView>)> {
    let (shown, created) =
        mappings::put_collection(&state, &admin.organization_id, &id, &version, &name, body)
            .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(collection_view(shown))))
}

/// Delete a draft's collection; 409 `version_published`, 409 `collection_in_use` while a flow
/// maps with it.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/versions/{version}/collections/{name}", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version"),
        ("name" = String, Path, description = "Collection name")),
    responses((status = 204)))]
async fn delete_collection(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version, name)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    mappings::delete_collection(&state, &admin.organization_id, &id, &version, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check a collection against the version's record types without storing it: 200 with every
/// problem, paths into the body (`/collection/mappings/2/to`).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/collections/validate", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    request_body = CollectionValidateBody, responses((status = 200, body = CollectionValidation)))]
async fn validate_collection(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<CollectionValidation>> {
    let body: CollectionValidateBody = decode(body)?;
    let errors = mappings::validate(
        &state,
        &admin.organization_id,
        &id,
        &version,
        &body.collection,
    )
    .await?;
    Ok(Json(CollectionValidation {
        valid: errors.is_empty(),
        errors: errors.into_iter().map(Into::into).collect(),
    }))
}

/// Apply a collection (with optional overrides) to an input: the output, checked against the
/// collection's target, and every error.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/collections/{name}/preview", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version"),
        ("name" = String, Path, description = "Collection name")),
    request_body = PreviewBody, responses((status = 200, body = PreviewResult)))]
async fn preview_collection(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version, name)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<PreviewResult>> {
    let (input, overrides) = preview_body(&body)?;
    let applied = mappings::preview(
        &state,
        &admin.organization_id,
        &id,
        &version,
        &name,
        &input,
        overrides.as_deref(),
    )
    .await?;
    Ok(Json(preview_view(applied)))
}

/// An instance's overrides of a collection and its effective mappings.
#[utoipa::path(get, path = "/api/v1/instances/{id}/mappings/{collection}", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id"), ("collection" = String, Path, description = "Collection name")),
    responses((status = 200, body = InstanceMappingsView)))]
async fn get_instance_mappings(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, collection)): ApiPath<(String, String)>,
) -> ApiResult<Json<InstanceMappingsView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    let shown = mappings::instance_mappings(&state, &instance, &collection).await?;
    Ok(Json(instance_mappings_view(shown)))
}

/// Replace an instance's overrides of a collection (the vendor may override any mapping).
#[utoipa::path(put, path = "/api/v1/instances/{id}/mappings/{collection}", tag = "mappings", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id"), ("collection" = String, Path, description = "Collection name")),
    request_body = InstanceMappingsBody, responses((status = 200, body = InstanceMappingsView)))]
async fn put_instance_mappings(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, collection)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceMappingsView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    let overrides = required_overrides(&body)?;
    let shown = mappings::put_instance_mappings(
        &state,
        &admin.organization_id,
        &instance,
        &collection,
        &overrides,
        OverrideEditor::Vendor,
    )
    .await?;
    Ok(Json(instance_mappings_view(shown)))
}

/// One of the customer's instances' overrides of a collection and its effective mappings.
#[utoipa::path(get, operation_id = "embedded_get_instance_mappings", path = "/api/v1/embedded/instances/{id}/mappings/{collection}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), ("collection" = String, Path, description = "Collection name")),
    responses((status = 200, body = InstanceMappingsView)))]
async fn embedded_get_instance_mappings(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath((id, collection)): ApiPath<(String, String)>,
) -> ApiResult<Json<InstanceMappingsView>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let shown = mappings::instance_mappings(&state, &instance, &collection).await?;
    Ok(Json(instance_mappings_view(shown)))
}

/// Replace the overrides of a collection of one of the customer's instances: only
/// `overridable` mappings (`/overrides/0/to` `not_editable`).
#[utoipa::path(put, operation_id = "embedded_put_instance_mappings", path = "/api/v1/embedded/instances/{id}/mappings/{collection}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), ("collection" = String, Path, description = "Collection name")),
    request_body = InstanceMappingsBody, responses((status = 200, body = InstanceMappingsView)))]
async fn embedded_put_instance_mappings(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath((id, collection)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceMappingsView>> {
    let instance = own_instance(&state, &user, Action::Reconfigure, &id).await?;
    let overrides = required_overrides(&body)?;
    let shown = mappings::put_instance_mappings(
        &state,
        &user.organization_id,
        &instance,
        &collection,
        &overrides,
        OverrideEditor::Customer,
    )
    .await?;
    Ok(Json(instance_mappings_view(shown)))
}

/// Apply the effective mappings of a collection of one of the customer's instances to an
/// input, with `overrides` (customer rules) instead of the stored ones when given.
#[utoipa::path(post, operation_id = "embedded_preview_instance_mappings", path = "/api/v1/embedded/instances/{id}/mappings/{collection}/preview", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), ("collection" = String, Path, description = "Collection name")),
    request_body = PreviewBody, responses((status = 200, body = PreviewResult)))]
async fn embedded_preview_instance_mappings(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath((id, collection)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<PreviewResult>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let (input, overrides) = preview_body(&body)?;
    let applied = mappings::preview_instance(
        &state,
        &instance,
        &collection,
        &input,
        overrides,
        OverrideEditor::Customer,
    )
    .await?;
    Ok(Json(preview_view(applied)))
}
