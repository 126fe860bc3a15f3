//! Admin instance endpoints: `POST /api/v1/customers/{id}/instances`, `GET /api/v1/instances`,
//! `GET/PATCH/DELETE /api/v1/instances/{id}`, `POST /api/v1/instances/{id}/upgrade|pause|resume`.

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{Filter, FilterArg, List, PageQuery, decode};
use crate::instances::{self, Activation, Audience, InstanceView, Transition};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_core::instance::UpgradeReport;
use marketplace_core::values::Editor;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(activate_for_customer))
        .routes(routes!(list_instances))
        .routes(routes!(get_instance, patch_instance, delete_instance))
        .routes(routes!(upgrade_instance))
        .routes(routes!(pause_instance))
        .routes(routes!(resume_instance))
}

/// Body of an activation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationBody {
    /// The listed integration to activate.
    pub integration_id: String,
    /// Display name (default: the integration's name).
    pub name: Option<String>,
    /// Values of the variables the caller may set.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
}

/// Body of a reconfiguration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconfigureBody {
    /// New display name.
    pub name: Option<String>,
    /// The caller's whole part of the config; an omitted secret (or `{"set": true}`) keeps its value.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Option<Map<String, Value>>,
}

/// Activate a listed integration for a customer, on its behalf (any variable may be set; the
/// listing need not be customer-deployable).
#[utoipa::path(post, path = "/api/v1/customers/{id}/instances", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), request_body = ActivationBody,
    responses((status = 201, body = InstanceView)))]
async fn activate_for_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(customer_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<InstanceView>)> {
    crate::http::customers::load(&state, &admin.organization_id, &customer_id).await?;
    let body: ActivationBody = decode(body)?;
    let snapshot = crate::catalog::snapshot(&state, &admin.organization_id).await?;
    let (view, _) = instances::activate(
        &state,
        &snapshot,
        Activation {
            organization_id: &admin.organization_id,
            customer_id: &customer_id,
            integration_id: &body.integration_id,
            name: body.name,
            values: body.config,
            editor: Editor::Organization,
            embedded_values: None,
            idempotency: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Filters of the admin instance list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceQuery {
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this integration's.
    pub integration_id: Option<String>,
    /// Only in this status.
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl InstanceQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// List instances of every customer.
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances", security(("api_key" = [])),
    params(InstanceQuery), responses((status = 200, body = List<InstanceView>)))]
async fn list_instances(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<InstanceQuery>,
) -> ApiResult<Json<List<InstanceView>>> {
    if let Some(status) = query.status.as_deref()
        && !matches!(
            status,
            "active" | "paused" | "needs_configuration" | "deactivated"
        )
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "status must be active, paused, needs_configuration or deactivated",
        ));
    }
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    filter.and_opt("customer_id = ?", query.customer_id.as_deref());
    filter.and_opt("integration_id = ?", query.integration_id.as_deref());
    filter.and_opt("status = ?", query.status.as_deref());
    Ok(Json(
        instances::list(&state, filter, &query.page(), Audience::Organization).await?,
    ))
}

/// Get an instance.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn get_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    Ok(Json(
        instances::view(&state, &instance, Audience::Organization).await?,
    ))
}

/// Reconfigure an instance (the vendor may set every variable, organization ones included).
#[utoipa::path(patch, path = "/api/v1/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = ReconfigureBody,
    responses((status = 200, body = InstanceView)))]
async fn patch_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    let body: ReconfigureBody = decode(body)?;
    let update = body.config.unwrap_or_else(|| instance.config.clone());
    let view = instances::reconfigure(
        &state,
        &admin.organization_id,
        &instance,
        &update,
        body.name,
        Editor::Organization,
        None,
    )
    .await?;
    Ok(Json(view))
}

/// Deactivate an instance (it stays listed as deactivated; its webhook URLs stop working).
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn delete_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    Ok(Json(
        instances::transition(
            &state,
            &admin.organization_id,
            &instance,
            Transition::Deactivate,
            Audience::Organization,
        )
        .await?,
    ))
}

/// Body of an upgrade.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeBody {
    /// The published version to move to (up or down).
    pub version: String,
}

/// An upgraded instance and what happened to its config.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpgradeResult {
    /// The instance.
    pub instance: InstanceView,
    /// Carried over, dropped and newly required keys.
    #[schema(value_type = Object)]
    pub report: UpgradeReport,
}

/// Move an instance to another published version; newly required values without default leave
/// it `needs_configuration`.
#[utoipa::path(post, path = "/api/v1/instances/{id}/upgrade", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = UpgradeBody,
    responses((status = 200, body = UpgradeResult)))]
async fn upgrade_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<UpgradeResult>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    let body: UpgradeBody = decode(body)?;
    let (instance, report) =
        instances::upgrade(&state, &admin.organization_id, &instance, &body.version).await?;
    Ok(Json(UpgradeResult { instance, report }))
}

/// Pause an instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/pause", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn pause_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    Ok(Json(
        instances::transition(
            &state,
            &admin.organization_id,
            &instance,
            Transition::Pause,
            Audience::Organization,
        )
        .await?,
    ))
}

/// Resume a paused instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/resume", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn resume_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    Ok(Json(
        instances::transition(
            &state,
            &admin.organization_id,
            &instance,
            Transition::Resume,
            Audience::Organization,
        )
        .await?,
    ))
}
