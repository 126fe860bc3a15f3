//! Third-party applications and their released versions: `POST/GET /api/v1/applications`,
//! `GET/PATCH/DELETE /api/v1/applications/{id}`, `POST /api/v1/applications/{id}/versions`,
//! `DELETE /api/v1/applications/{id}/versions/{name}`.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::providers::{self, ApplicationFilter, ApplicationRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::certification::{
    ApplicationBody, ApplicationQuery, ApplicationVersionView, ApplicationView,
};
use marketplace_core::certification::{ApplicationFields, ApplicationVersion};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_application, list_applications))
        .routes(routes!(
            get_application,
            patch_application,
            delete_application
        ))
        .routes(routes!(add_application_version))
        .routes(routes!(remove_application_version))
}

fn version_view(version: &ApplicationVersion) -> ApplicationVersionView {
    ApplicationVersionView {
        name: version.name.clone(),
        released_on: version.released_on.clone(),
    }
}

/// The wire form of an application, with its latest version as of `today`.
fn application_view(record: ApplicationRecord, today: &str) -> ApplicationView {
    let a = record.application;
    ApplicationView {
        latest: a.latest(today).map(version_view),
        versions: a.versions.iter().map(version_view).collect(),
        id: a.id.to_string(),
        provider_id: a.provider_id.to_string(),
        name: a.name,
        product_url: a.product_url,
        logo_url: a.logo_url,
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

/// Register an application of a provider (an unknown provider is 422 `/provider_id`
/// `invalid_reference`).
#[utoipa::path(post, path = "/api/v1/applications", tag = "certification", security(("api_key" = [])),
    request_body = ApplicationBody, responses((status = 201, body = ApplicationView)))]
async fn create_application(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    let body: ApplicationBody = decode(body)?;
    let fields = ApplicationFields {
        provider_id: body.provider_id.unwrap_or_default().into(),
        name: body.name.unwrap_or_default(),
        product_url: body.product_url,
        logo_url: body.logo_url,
    };
    let record = providers::create_application(&state, &admin.organization_id, fields).await?;
    let view = application_view(record, &providers::today());
    Ok((StatusCode::CREATED, Json(view)))
}

/// List applications (`?provider_id=&q=`).
#[utoipa::path(get, path = "/api/v1/applications", tag = "certification", security(("api_key" = [])),
    params(ApplicationQuery), responses((status = 200, body = List<ApplicationView>)))]
async fn list_applications(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<ApplicationQuery>,
) -> ApiResult<Json<List<ApplicationView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let filter = ApplicationFilter {
        provider_id: query.provider_id,
        q: query.q,
    };
    let page = providers::list_applications(&state, &admin.organization_id, &filter, &page).await?;
    let today = providers::today();
    Ok(Json(page_of(page, |r| application_view(r, &today))))
}

/// Get an application with its versions and its latest one.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Application id")), responses((status = 200, body = ApplicationView)))]
async fn get_application(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ApplicationView>> {
    let record = providers::get_application(&state, &admin.organization_id, &id).await?;
    Ok(Json(application_view(record, &providers::today())))
}

/// Change an application's fields (those left out keep their value).
#[utoipa::path(patch, path = "/api/v1/applications/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Application id")), request_body = ApplicationBody,
    responses((status = 200, body = ApplicationView)))]
async fn patch_application(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ApplicationView>> {
    providers::get_application(&state, &admin.organization_id, &id).await?;
    let body: ApplicationBody = decode(body)?;
    let record = providers::update_application(&state, &admin.organization_id, &id, |current| {
        ApplicationFields {
            provider_id: body.provider_id.map_or(current.provider_id, Into::into),
            name: body.name.unwrap_or(current.name),
            product_url: body.product_url.or(current.product_url),
            logo_url: body.logo_url.or(current.logo_url),
        }
    })
    .await?;
    Ok(Json(application_view(record, &providers::today())))
}

/// Delete an application and its versions, unless an integration version declares it (409
/// `application_in_use`).
#[utoipa::path(delete, path = "/api/v1/applications/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Application id")), responses((status = 204)))]
async fn delete_application(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    providers::delete_application(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a released version `{name, released_on}` (a taken name is 409
/// `duplicate_application_version`); answers the application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/versions", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Application id")), request_body = ApplicationVersionView,
    responses((status = 201, body = ApplicationView)))]
async fn add_application_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    let body: ApplicationVersionView = decode(body)?;
    let version = ApplicationVersion {
        name: body.name,
        released_on: body.released_on,
    };
    let record = providers::add_version(&state, &admin.organization_id, &id, version).await?;
    let view = application_view(record, &providers::today());
    Ok((StatusCode::CREATED, Json(view)))
}

/// Remove a released version, unless an integration version declares it (409
/// `application_in_use`).
#[utoipa::path(delete, path = "/api/v1/applications/{id}/versions/{name}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Application id"), ("name" = String, Path, description = "Version name")),
    responses((status = 204)))]
async fn remove_application_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, name)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    providers::remove_version(&state, &admin.organization_id, &id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
