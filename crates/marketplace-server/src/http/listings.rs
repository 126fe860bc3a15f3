//! Marketplace listings: `GET/PUT/DELETE /api/v1/marketplace/listings/{integration_id}` and
//! `GET /api/v1/marketplace/listings`. Removing a listing leaves existing instances alone.

use crate::auth::Admin;
use crate::catalog::bump;
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{Filter, FilterArg, List, PageQuery, decode, fetch_page_by};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_core::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_listings))
        .routes(routes!(get_listing, put_listing, delete_listing))
}

/// A listing.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ListingView {
    /// The listed integration.
    pub integration_id: String,
    /// The offered version.
    pub version: String,
    /// Overview (markdown).
    pub overview: String,
    /// Whether customers may activate it themselves.
    #[sqlx(try_from = "i64")]
    pub customer_deployable: Flag,
    /// Whether a customer may hold several instances.
    #[sqlx(try_from = "i64")]
    pub allow_multiple_instances: Flag,
    /// Last change (RFC 3339).
    #[sqlx(skip)]
    pub updated_at: String,
    /// Last change in milliseconds (internal).
    #[serde(skip)]
    #[sqlx(rename = "updated_at")]
    pub updated_ms: i64,
}

/// A boolean stored as 0/1.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Self {
        Flag(v != 0)
    }
}

/// Body of `PUT /api/v1/marketplace/listings/{integration_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingBody {
    /// The version to offer (it should be published; a draft is listed as not deployable).
    pub version: String,
    /// Overview (markdown).
    #[serde(default)]
    pub overview: String,
    /// Whether customers may activate it themselves.
    pub customer_deployable: bool,
    /// Whether a customer may hold several instances.
    pub allow_multiple_instances: bool,
}

const SELECT: &str = "SELECT integration_id, version, overview, customer_deployable, allow_multiple_instances, updated_at FROM listings";

fn view(row: ListingView) -> ListingView {
    ListingView {
        updated_at: rfc3339(row.updated_ms),
        ..row
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
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    let (rows, limit) =
        fetch_page_by::<ListingView>(&state, SELECT, "integration_id", filter, &page).await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.integration_id.clone(),
        view,
    )))
}

async fn fetch(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<ListingView> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND integration_id = $2");
    let row: Option<ListingView> = sqlx::query_as(&sql)
        .bind(organization_id)
        .bind(integration_id)
        .fetch_optional(&state.db.write)
        .await?;
    row.map(view).ok_or(ApiError::NotFound("listing"))
}

/// Get a listing.
#[utoipa::path(get, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 200, body = ListingView)))]
async fn get_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(
        fetch(&state, &admin.organization_id, &integration_id).await?,
    ))
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
    crate::http::integrations::load(&state, &admin.organization_id, &integration_id).await?;
    let body: ListingBody = decode(body)?;
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT version FROM versions WHERE integration_id = $1 AND version = $2",
    )
    .bind(&integration_id)
    .bind(&body.version)
    .fetch_optional(&state.db.read)
    .await?;
    if exists.is_none() {
        return Err(ApiError::field(FieldError::new(
            "/version",
            FieldErrorCode::InvalidReference,
            "the integration has no such version",
        )));
    }
    let mut tx = state.db.write.begin().await?;
    sqlx::query(
        "INSERT INTO listings (integration_id, organization_id, version, overview, customer_deployable, allow_multiple_instances, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (integration_id) DO UPDATE SET version = excluded.version, \
         overview = excluded.overview, customer_deployable = excluded.customer_deployable, \
         allow_multiple_instances = excluded.allow_multiple_instances, updated_at = excluded.updated_at",
    )
    .bind(&integration_id)
    .bind(&admin.organization_id)
    .bind(&body.version)
    .bind(&body.overview)
    .bind(body.customer_deployable as i64)
    .bind(body.allow_multiple_instances as i64)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    bump(&mut tx, &admin.organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(&admin.organization_id);
    Ok(Json(
        fetch(&state, &admin.organization_id, &integration_id).await?,
    ))
}

/// Remove a listing; existing instances stay.
#[utoipa::path(delete, path = "/api/v1/marketplace/listings/{integration_id}", tag = "marketplace", security(("api_key" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn delete_listing(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.write.begin().await?;
    let done =
        sqlx::query("DELETE FROM listings WHERE organization_id = $1 AND integration_id = $2")
            .bind(&admin.organization_id)
            .bind(&integration_id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound("listing"));
    }
    bump(&mut tx, &admin.organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(&admin.organization_id);
    Ok(StatusCode::NO_CONTENT)
}
