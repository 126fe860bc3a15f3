//! The default marketplace's listings: `GET/PUT/DELETE /api/v1/marketplace/listings/{integration_id}`
//! and `GET /api/v1/marketplace/listings` (every marketplace's are in `http::marketplaces`).
//! Removing a listing leaves existing instances alone.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::integrations;
use crate::service::marketplaces::{self, ListingChange, ListingRecord};
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

/// The wire form of a listing.
pub(crate) fn view(record: ListingRecord) -> ListingView {
    let l = record.listing;
    ListingView {
        marketplace_id: l.marketplace_id.to_string(),
        integration_id: l.integration_id.to_string(),
        version: l.version.to_string(),
        overview: l.overview,
        customer_deployable: l.customer_deployable,
        allow_multiple_instances: l.allow_multiple_instances,
        partner_brief: l.partner_brief.into(),
        visibility: l.visibility.into(),
        pricing: l.pricing.as_ref().map(Into::into),
        updated_at: rfc3339(record.updated_at),
    }
}

/// List the default marketplace's listings.
#[utoipa::path(get, path = "/api/v1/marketplace/listings", tag = "marketplace", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<ListingView>)))]
async fn list_listings(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<ListingView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let marketplace = marketplaces::default_id(&state, &admin.organization_id).await?;
    let listings =
        marketplaces::list_listings(&state, &admin.organization_id, &marketplace, &page).await?;
    Ok(Json(page_of(listings, view)))
}

/// Get a listing of the default marketplace.
#[utoipa::path(get, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 200, body = ListingView)))]
async fn get_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<ListingView>> {
    let marketplace = marketplaces::default_id(&state, &admin.organization_id).await?;
    let record = marketplaces::get_listing(
        &state,
        &admin.organization_id,
        &marketplace,
        &integration_id,
    )
    .await?;
    Ok(Json(view(record)))
}

/// List an integration in the default marketplace, or change its listing.
#[utoipa::path(put, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), request_body = ListingBody,
    responses((status = 200, body = ListingView)))]
async fn put_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ListingView>> {
    let marketplace = marketplaces::default_id(&state, &admin.organization_id).await?;
    put(&state, &admin, &marketplace, &integration_id, body).await
}

/// Lists an integration in a marketplace from a PUT body (404 before 422: the integration is
/// looked up first).
pub(crate) async fn put(
    state: &AppState,
    admin: &Admin,
    marketplace_id: &str,
    integration_id: &str,
    body: Value,
) -> ApiResult<Json<ListingView>> {
    marketplaces::get(state, &admin.organization_id, marketplace_id).await?;
    integrations::get(state, &admin.organization_id, integration_id).await?;
    let body: ListingBody = decode(body)?;
    let change = ListingChange {
        version: body.version,
        overview: body.overview,
        customer_deployable: body.customer_deployable,
        allow_multiple_instances: body.allow_multiple_instances,
        partner_brief: body.partner_brief.map(Into::into),
        pricing: body.pricing,
    };
    let record = marketplaces::put_listing(
        state,
        &admin.organization_id,
        marketplace_id,
        integration_id,
        change,
    )
    .await?;
    Ok(Json(view(record)))
}

/// Remove a listing of the default marketplace; existing instances stay.
#[utoipa::path(delete, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn delete_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let marketplace = marketplaces::default_id(&state, &admin.organization_id).await?;
    marketplaces::delete_listing(
        &state,
        &admin.organization_id,
        &marketplace,
        &integration_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
