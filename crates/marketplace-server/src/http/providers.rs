//! Providers, the companies behind third-party applications: `POST/GET /api/v1/providers`,
//! `GET/PATCH/DELETE /api/v1/providers/{id}`.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::providers::{self, ProviderRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::certification::{ProviderBody, ProviderView, Support};
use marketplace_core::certification::{self as core, ProviderFields};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_provider, list_providers))
        .routes(routes!(get_provider, patch_provider, delete_provider))
}

fn support(support: core::Support) -> Support {
    Support {
        email: support.email,
        url: support.url,
    }
}

fn provider_view(record: ProviderRecord) -> ProviderView {
    let p = record.provider;
    ProviderView {
        id: p.id.to_string(),
        name: p.name,
        url: p.url,
        logo_url: p.logo_url,
        support: support(p.support),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

fn core_support(support: Support) -> core::Support {
    core::Support {
        email: support.email,
        url: support.url,
    }
}

/// Register a provider.
#[utoipa::path(post, path = "/api/v1/providers", tag = "certification", security(("api_key" = [])),
    request_body = ProviderBody, responses((status = 201, body = ProviderView)))]
async fn create_provider(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ProviderView>)> {
    let body: ProviderBody = decode(body)?;
    let fields = ProviderFields {
        name: body.name.unwrap_or_default(),
        url: body.url,
        logo_url: body.logo_url,
        support: body.support.map(core_support).unwrap_or_default(),
    };
    let record = providers::create(&state, &admin.organization_id, fields).await?;
    Ok((StatusCode::CREATED, Json(provider_view(record))))
}

/// List providers.
#[utoipa::path(get, path = "/api/v1/providers", tag = "certification", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<ProviderView>)))]
async fn list_providers(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<ProviderView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = providers::list(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(page, provider_view)))
}

/// Get a provider.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Provider id")), responses((status = 200, body = ProviderView)))]
async fn get_provider(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProviderView>> {
    let record = providers::get(&state, &admin.organization_id, &id).await?;
    Ok(Json(provider_view(record)))
}

/// Change a provider's fields (those left out keep their value).
#[utoipa::path(patch, path = "/api/v1/providers/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Provider id")), request_body = ProviderBody,
    responses((status = 200, body = ProviderView)))]
async fn patch_provider(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ProviderView>> {
    providers::get(&state, &admin.organization_id, &id).await?;
    let body: ProviderBody = decode(body)?;
    let record = providers::update(&state, &admin.organization_id, &id, |current| {
        ProviderFields {
            name: body.name.unwrap_or(current.name),
            url: body.url.or(current.url),
            logo_url: body.logo_url.or(current.logo_url),
            support: body.support.map(core_support).unwrap_or(current.support),
        }
    })
    .await?;
    Ok(Json(provider_view(record)))
}

/// Delete a provider that has no applications (409 `provider_in_use`).
#[utoipa::path(delete, path = "/api/v1/providers/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Provider id")), responses((status = 204)))]
async fn delete_provider(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    providers::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
