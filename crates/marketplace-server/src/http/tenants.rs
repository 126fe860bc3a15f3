//! `POST/GET /api/v1/tenants`, `GET/PATCH/DELETE /api/v1/tenants/{id}`, `GET
//! /api/v1/tenants/{id}/listings` and `PUT/DELETE
//! /api/v1/tenants/{id}/listings/{marketplace_id}/{integration_id}`.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::state::AppState;
use crate::service::tenants::{self, TenantChange};
use crate::store::tenants::{TenantListing, TenantRow};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use marketplace_api::PageQuery;
use marketplace_api::tenants::{
    AppManagement, TenantBody, TenantListingQuery, TenantListingView, TenantView,
};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, patch_tenant, delete_tenant))
        .routes(routes!(list_tenant_listings))
        .routes(routes!(assign_tenant_listing, unassign_tenant_listing))
}

fn view(t: TenantRow) -> TenantView {
    TenantView {
        id: t.id,
        key: t.key,
        name: t.name,
        description: t.description,
        app_management: AppManagement::from_wire(&t.app_management),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
    }
}

fn listing_view(l: TenantListing) -> TenantListingView {
    TenantListingView {
        tenant_id: l.tenant_id,
        marketplace_id: l.marketplace_id,
        integration_id: l.integration_id,
    }
}

fn change(body: TenantBody) -> TenantChange {
    TenantChange {
        key: body.key,
        name: body.name,
        description: body.description,
        app_management: body.app_management.map(|m| m.as_str().to_owned()),
    }
}

/// Create a tenant (409 `duplicate_tenant_key`).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", security(("api_key" = [])),
    request_body = TenantBody, responses((status = 201, body = TenantView)))]
async fn create_tenant(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<TenantView>)> {
    let body: TenantBody = decode(body)?;
    let tenant = tenants::create(&state, &admin.organization_id, change(body)).await?;
    Ok((StatusCode::CREATED, Json(view(tenant))))
}

/// List the tenants.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<TenantView>)))]
async fn list_tenants(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<TenantView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let tenants = tenants::list(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(tenants, view)))
}

/// A tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants", security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id")), responses((status = 200, body = TenantView)))]
async fn get_tenant(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(view(
        tenants::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Change a tenant; its key is immutable (422 `/key` `immutable`).
#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "tenants", security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id")), request_body = TenantBody,
    responses((status = 200, body = TenantView)))]
async fn patch_tenant(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<TenantView>> {
    let body: TenantBody = decode(body)?;
    let tenant = tenants::update(&state, &admin.organization_id, &id, change(body)).await?;
    Ok(Json(view(tenant)))
}

/// Delete a tenant (409 `tenant_in_use` while a customer or a marketplace belongs to it).
#[utoipa::path(delete, path = "/api/v1/tenants/{id}", tag = "tenants", security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id")), responses((status = 204)))]
async fn delete_tenant(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    tenants::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The listings assigned to a tenant (`?marketplace_id=` narrows to one marketplace).
#[utoipa::path(get, path = "/api/v1/tenants/{id}/listings", tag = "tenants", security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id"), TenantListingQuery),
    responses((status = 200, body = List<TenantListingView>)))]
async fn list_tenant_listings(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<TenantListingQuery>,
) -> ApiResult<Json<List<TenantListingView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let listings = tenants::listings(
        &state,
        &admin.organization_id,
        &id,
        query.marketplace_id.as_deref(),
        &page,
    )
    .await?;
    Ok(Json(page_of(listings, listing_view)))
}

/// Assign a listing to a tenant: 201 when new, 200 when already assigned (404 without the
/// listing).
#[utoipa::path(put, path = "/api/v1/tenants/{id}/listings/{marketplace_id}/{integration_id}", tag = "tenants",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id"),
        ("marketplace_id" = String, Path, description = "Marketplace id"),
        ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 201, body = TenantListingView), (status = 200, body = TenantListingView)))]
async fn assign_tenant_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, marketplace_id, integration_id)): ApiPath<(String, String, String)>,
) -> ApiResult<Response> {
    let created = tenants::assign(
        &state,
        &admin.organization_id,
        &id,
        &marketplace_id,
        &integration_id,
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = TenantListingView {
        tenant_id: id,
        marketplace_id,
        integration_id,
    };
    Ok((status, Json(body)).into_response())
}

/// Remove a listing from a tenant (404 when it is not assigned).
#[utoipa::path(delete, path = "/api/v1/tenants/{id}/listings/{marketplace_id}/{integration_id}", tag = "tenants",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Tenant id"),
        ("marketplace_id" = String, Path, description = "Marketplace id"),
        ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 204)))]
async fn unassign_tenant_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, marketplace_id, integration_id)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    tenants::unassign(
        &state,
        &admin.organization_id,
        &id,
        &marketplace_id,
        &integration_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
