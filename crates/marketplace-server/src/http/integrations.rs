//! Integrations and their versions: `/api/v1/integrations`, `/api/v1/integrations/{id}`,
//! `/api/v1/integrations/{id}/versions[/{version}[/publish]]`.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, MaybeJson};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::integrations::{self, IntegrationFilter, IntegrationRecord, VersionRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::certification::IntegrationProfile as WireProfile;
use marketplace_api::integrations::IntegrationView;
use marketplace_api::integrations::{
    IntegrationBody, IntegrationQuery, VersionCreate, VersionReplace, VersionView,
};
use marketplace_api::marketplaces::PublishBody;
use marketplace_core::certification::{ApiDescription, IntegrationProfile};
use marketplace_core::integration::IntegrationFields;
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_integration, list_integrations))
        .routes(routes!(get_integration, patch_integration))
        .routes(routes!(create_version, list_versions))
        .routes(routes!(get_version, replace_version))
        .routes(routes!(publish_version))
}

pub(crate) fn view(record: IntegrationRecord) -> IntegrationView {
    let i = record.integration;
    IntegrationView {
        profile: (&record.profile).into(),
        id: i.id.to_string(),
        name: i.name,
        description: i.description,
        category: i.category,
        labels: i.labels,
        icon_url: i.icon_url,
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

fn version_view(record: VersionRecord) -> VersionView {
    let v = record.version;
    VersionView {
        integration_id: record.integration_id,
        version: v.version.to_string(),
        state: v.state.into(),
        config: v.config.spec().into(),
        flows: v.flows.iter().map(Into::into).collect(),
        collections: v.collections.iter().map(Into::into).collect(),
        record_types: v.record_types.iter().map(Into::into).collect(),
        applications: record
            .document
            .applications
            .iter()
            .map(Into::into)
            .collect(),
        documentation: record.document.documentation,
        connection_test: record.document.connection_test,
        created_at: rfc3339(record.created_at),
        published_at: record.published_at.map(rfc3339),
    }
}

/// A profile of a body as core's; a value this service does not know is an `option` error at
/// its path (`/profile/hosting/1`).
fn accept_profile(profile: WireProfile) -> ApiResult<IntegrationProfile> {
    fn known<W: std::fmt::Display, C: serde::de::DeserializeOwned>(
        value: &W,
        path: String,
        errors: &mut Vec<FieldError>,
    ) -> Option<C> {
        let known = serde_json::from_value(serde_json::Value::String(value.to_string())).ok();
        if known.is_none() {
            errors.push(FieldError::new(
                path,
                FieldErrorCode::Option,
                format!("`{value}` is not a known value"),
            ));
        }
        known
    }
    let mut errors = Vec::new();
    let event_services = (profile.event_services.iter().enumerate())
        .filter_map(|(i, s)| known(s, format!("/profile/event_services/{i}"), &mut errors))
        .collect();
    let hosting = (profile.hosting.iter().enumerate())
        .filter_map(|(i, h)| known(h, format!("/profile/hosting/{i}"), &mut errors))
        .collect();
    let api = profile.api.and_then(|api| {
        known(&api.kind, "/profile/api/kind".into(), &mut errors)
            .map(|kind| ApiDescription { kind, url: api.url })
    });
    if errors.is_empty() {
        Ok(IntegrationProfile {
            event_services,
            hosting,
            api,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Create an integration.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations", security(("api_key" = [])),
    request_body = IntegrationBody, responses((status = 201, body = IntegrationView)))]
async fn create_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    let body: IntegrationBody = decode(body)?;
    let fields = IntegrationFields {
        name: body.name.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        category: body.category.unwrap_or_default(),
        labels: body.labels.unwrap_or_default(),
        icon_url: body.icon_url,
    };
    let profile = body.profile.map(accept_profile).transpose()?;
    let record = integrations::create(
        &state,
        &admin.organization_id,
        fields,
        profile.unwrap_or_default(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// List integrations.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations", security(("api_key" = [])),
    params(IntegrationQuery), responses((status = 200, body = List<IntegrationView>)))]
async fn list_integrations(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<IntegrationQuery>,
) -> ApiResult<Json<List<IntegrationView>>> {
    let filter = IntegrationFilter {
        q: query.q.clone(),
        category: query.category.as_deref().map(|c| c.trim().to_lowercase()),
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = integrations::list(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, view)))
}

/// Get an integration.
#[utoipa::path(get, path = "/api/v1/integrations/{id}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 200, body = IntegrationView)))]
async fn get_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<IntegrationView>> {
    Ok(Json(view(
        integrations::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Update an integration's fields.
#[utoipa::path(patch, path = "/api/v1/integrations/{id}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), request_body = IntegrationBody,
    responses((status = 200, body = IntegrationView)))]
async fn patch_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<IntegrationView>> {
    integrations::get(&state, &admin.organization_id, &id).await?;
    let body: IntegrationBody = decode(body)?;
    let profile = body.profile.map(accept_profile).transpose()?;
    let record = integrations::update(
        &state,
        &admin.organization_id,
        &id,
        |current, current_profile| {
            let fields = IntegrationFields {
                name: body.name.unwrap_or(current.name),
                description: body.description.unwrap_or(current.description),
                category: body.category.unwrap_or(current.category),
                labels: body.labels.unwrap_or(current.labels),
                icon_url: body.icon_url.or(current.icon_url),
            };
            (fields, profile.unwrap_or(current_profile))
        },
    )
    .await?;
    Ok(Json(view(record)))
}

/// Create a draft version `{version, config, flows, collections, applications, documentation,
/// connection_test}`; every problem of the spec, the flows, the document and the version order
/// is reported at once (`connection_test` must name a `manual` flow of the version).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), request_body = VersionCreate,
    responses((status = 201, body = VersionView)))]
async fn create_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<VersionView>)> {
    let record = integrations::create_version(&state, &admin.organization_id, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(version_view(record))))
}

/// List an integration's versions, newest first.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 200, body = List<VersionView>)))]
async fn list_versions(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<List<VersionView>>> {
    let versions = integrations::versions(&state, &admin.organization_id, &id).await?;
    Ok(Json(List {
        items: versions.into_iter().map(version_view).collect(),
        next_cursor: None,
    }))
}

/// Get a version.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    responses((status = 200, body = VersionView)))]
async fn get_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<VersionView>> {
    let record = integrations::get_version(&state, &admin.organization_id, &id, &version).await?;
    Ok(Json(version_view(record)))
}

/// Replace a draft's contents and document; a published version is immutable (409).
#[utoipa::path(put, path = "/api/v1/integrations/{id}/versions/{version}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    request_body = VersionReplace, responses((status = 200, body = VersionView)))]
async fn replace_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<VersionView>> {
    let record =
        integrations::replace_version(&state, &admin.organization_id, &id, &version, &body).await?;
    Ok(Json(version_view(record)))
}

/// Publish a draft; it must be greater than every published version. The optional body names
/// marketplaces whose listings point at the version once published, in the same transaction.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/publish", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    request_body(content = Option<PublishBody>, description = "Optional: marketplaces to list the version in"),
    responses((status = 200, body = VersionView)))]
async fn publish_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    MaybeJson(body): MaybeJson<Option<PublishBody>>,
) -> ApiResult<Json<VersionView>> {
    // No body, or `null`, as clients of the previous release send: no marketplaces.
    let marketplaces = body.flatten().unwrap_or_default().marketplaces;
    let record =
        integrations::publish_version(&state, &admin.organization_id, &id, &version, &marketplaces)
            .await?;
    Ok(Json(version_view(record)))
}
