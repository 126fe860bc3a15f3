//! Marketplace listings: `GET/PUT/DELETE /api/v1/marketplace/listings/{integration_id}` and
//! `GET /api/v1/marketplace/listings`. Removing a listing leaves existing instances alone.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::integrations::{self, ListingChange, ListingRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::listings::{ListingBody, ListingView};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_listings))
        .routes(routes!(get_listing, put_listing, delete_listing))
}

fn view(record: ListingRecord) -> ListingView {
    let l = record.listing;
    ListingView {
        integration_id: l.integration_id.to_string(),
        version: l.version.to_string(),
        overview: l.overview,
        customer_deployable: l.customer_deployable,
        allow_multiple_instances: l.allow_multiple_instances,
        updated_at: rfc3339(record.updated_at),
    }
}

/// List the marketplace's listings.
#[utoipa::path(get, path = "/api/v1/marketplace/listings", tag = "marketplace", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<ListingView>)))]
async fn list_listings(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<ListingView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let listings = integrations::list_listings(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(listings, view)))
}

/// Get a listing.
#[utoipa::path(get, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 200, body = ListingView)))]
async fn get_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(view(
        integrations::get_listing(&state, &admin.organization_id, &integration_id).await?,
    )))
}

/// List an integration in the marketplace, or change its listing.
#[utoipa::path(put, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), request_body = ListingBody,
    responses((status = 200, body = ListingView)))]
async fn put_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ListingView>> {
    integrations::get(&state, &admin.organization_id, &integration_id).await?;
    let body: ListingBody = decode(body)?;
    let change = ListingChange {
        version: body.version,
        overview: body.overview,
        customer_deployable: body.customer_deployable,
        allow_multiple_instances: body.allow_multiple_instances,
    };
    Ok(Json(view(
        integrations::put_listing(&state, &admin.organization_id, &integration_id, change).await?,
    )))
}

/// Remove a listing; existing instances stay.
#[utoipa::path(delete, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn delete_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    integrations::delete_listing(&state, &admin.organization_id, &integration_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
