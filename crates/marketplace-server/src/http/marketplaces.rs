//! Marketplaces and their listings: `POST/GET /api/v1/marketplaces`,
//! `GET/PATCH/DELETE /api/v1/marketplaces/{id}`, `GET /api/v1/marketplaces/{id}/listings` and
//! `GET/PUT/DELETE /api/v1/marketplaces/{id}/listings/{integration_id}`.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::listings::{put, view as listing_view};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::marketplaces::{self, MarketplacePatch, MarketplaceRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::certification::Tier as WireTier;
use marketplace_api::listings::{ListingBody, ListingView};
use marketplace_api::marketplaces::{
    MarketplaceBody, MarketplacePatch as PatchBody, MarketplaceView,
};
use marketplace_core::certification::Tier;
use marketplace_core::marketplace::MarketplaceFields;
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_marketplace, list_marketplaces))
        .routes(routes!(
            get_marketplace,
            patch_marketplace,
            delete_marketplace
        ))
        .routes(routes!(list_marketplace_listings))
        .routes(routes!(
            get_marketplace_listing,
            put_marketplace_listing,
            delete_marketplace_listing
        ))
}

/// The wire form of a marketplace.
pub(crate) fn view(record: MarketplaceRecord) -> MarketplaceView {
    let m = record.marketplace;
    MarketplaceView {
        id: m.id.to_string(),
        key: m.key,
        name: m.name,
        description: m.description,
        default: m.default,
        allowed_origins: m.allowed_origins,
        front_end_url: m.front_end_url,
        tenant_id: m.tenant_id.map(|t| t.to_string()),
        min_tier: m.min_tier.map(Into::into),
        partner: m.partner,
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

/// Core's tier of a wire tier (a name this service does not know is 422 at `path` `option`).
fn tier(wire: Option<WireTier>, path: &str) -> ApiResult<Option<Tier>> {
    wire.map(|t| {
        Tier::from_name(t.as_str()).ok_or_else(|| {
            crate::error::ApiError::field(FieldError::new(
                path,
                FieldErrorCode::Option,
                "must be compatible, ready, certified or one_click",
            ))
        })
    })
    .transpose()
}

/// Create a marketplace (a brand, region or environment); its key is unique and immutable.
#[utoipa::path(post, path = "/api/v1/marketplaces", tag = "marketplaces", security(("api_key" = [])),
    request_body = MarketplaceBody, responses((status = 201, body = MarketplaceView)))]
async fn create_marketplace(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<MarketplaceView>)> {
    let body: MarketplaceBody = decode(body)?;
    let fields = MarketplaceFields {
        key: body.key,
        name: body.name,
        description: body.description,
        allowed_origins: body.allowed_origins,
        front_end_url: body.front_end_url,
        min_tier: tier(body.min_tier, "/min_tier")?,
    };
    let record = marketplaces::create(&state, &admin.organization_id, fields).await?;
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// List the organization's marketplaces, oldest first.
#[utoipa::path(get, path = "/api/v1/marketplaces", tag = "marketplaces", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<MarketplaceView>)))]
async fn list_marketplaces(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<MarketplaceView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let found = marketplaces::list(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(found, view)))
}

/// Get a marketplace.
#[utoipa::path(get, path = "/api/v1/marketplaces/{id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id")), responses((status = 200, body = MarketplaceView)))]
async fn get_marketplace(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<MarketplaceView>> {
    Ok(Json(view(
        marketplaces::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Change a marketplace; `default: true` makes it the organization's default. Its key cannot
/// change (422 `/key` `immutable`).
#[utoipa::path(patch, path = "/api/v1/marketplaces/{id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id")), request_body = PatchBody,
    responses((status = 200, body = MarketplaceView)))]
async fn patch_marketplace(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<MarketplaceView>> {
    marketplaces::get(&state, &admin.organization_id, &id).await?;
    let body: PatchBody = decode(body)?;
    let min_tier = match body.min_tier {
        None => None,
        Some(wire) => Some(tier(wire, "/min_tier")?),
    };
    let patch = MarketplacePatch {
        key: body.key,
        name: body.name,
        description: body.description,
        allowed_origins: body.allowed_origins,
        front_end_url: body.front_end_url,
        min_tier,
        default: body.default,
    };
    let record = marketplaces::update(&state, &admin.organization_id, &id, patch).await?;
    Ok(Json(view(record)))
}

/// Delete a marketplace with its listings, tenant assignments, partner credentials and partner
/// signing keys; instances stay. The default one cannot be deleted (409 `default_marketplace`).
#[utoipa::path(delete, path = "/api/v1/marketplaces/{id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id")), responses((status = 204)))]
async fn delete_marketplace(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    marketplaces::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a marketplace's listings.
#[utoipa::path(get, path = "/api/v1/marketplaces/{id}/listings", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), PageQuery),
    responses((status = 200, body = List<ListingView>)))]
async fn list_marketplace_listings(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<ListingView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let listings = marketplaces::list_listings(&state, &admin.organization_id, &id, &page).await?;
    Ok(Json(page_of(listings, listing_view)))
}

/// Get a marketplace's listing of an integration.
#[utoipa::path(get, path = "/api/v1/marketplaces/{id}/listings/{integration_id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 200, body = ListingView)))]
async fn get_marketplace_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<ListingView>> {
    let record =
        marketplaces::get_listing(&state, &admin.organization_id, &id, &integration_id).await?;
    Ok(Json(listing_view(record)))
}

/// List an integration in a marketplace, or change its listing (`partner_brief` left out keeps
/// the current one).
#[utoipa::path(put, path = "/api/v1/marketplaces/{id}/listings/{integration_id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), ("integration_id" = String, Path, description = "Integration id")),
    request_body = ListingBody, responses((status = 200, body = ListingView)))]
async fn put_marketplace_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ListingView>> {
    put(&state, &admin, &id, &integration_id, body).await
}

/// Remove a marketplace's listing (its tenant assignments go with it); instances stay.
#[utoipa::path(delete, path = "/api/v1/marketplaces/{id}/listings/{integration_id}", tag = "marketplaces", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 204)))]
async fn delete_marketplace_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    marketplaces::delete_listing(&state, &admin.organization_id, &id, &integration_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
