//! Admin instance endpoints: `POST /api/v1/customers/{id}/instances`, `GET /api/v1/instances`,
//! `GET/PATCH/DELETE /api/v1/instances/{id}`, `POST /api/v1/instances/{id}/upgrade|pause|resume`.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::instances::{
    self, Activated, Activation, InstanceFilter, Reconfiguration, ShownInstance, Transition,
};
use crate::service::state::AppState;
use crate::service::{catalog, customers, marketplaces};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::instances::{
    ActivationBody, ConnectionView, InstanceQuery, InstanceView, ReconfigureBody, UpgradeBody,
    UpgradeResult, WebhookUrl,
};
use marketplace_core::config::Audience;
use marketplace_core::values::Editor;
use serde_json::Value;
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

/// The wire form of an instance as its reader sees it.
pub fn view(shown: ShownInstance) -> InstanceView {
    let i = shown.instance;
    InstanceView {
        id: i.id.to_string(),
        customer_id: i.customer_id.to_string(),
        integration_id: i.integration_id.to_string(),
        version: i.version.to_string(),
        name: i.name,
        status: i.status.into(),
        status_message: i.status_message,
        account_identifier: i.account_identifier,
        launch_url: shown.launch_url,
        connections: shown
            .connections
            .into_iter()
            .map(|c| ConnectionView {
                key: c.key,
                status: c.status.as_str().to_owned(),
                scopes: c.scopes,
                expires_at: c.expires_at.map(rfc3339),
                connected_at: c.connected_at.map(rfc3339),
                error: c.error,
            })
            .collect(),
        config: i.config,
        template_id: i.template_id,
        marketplace_id: i.marketplace_id.map(|m| m.to_string()),
        enabled_flows: shown.enabled_flows,
        collections: shown.collections,
        webhook_urls: shown
            .webhook_urls
            .into_iter()
            .map(|(flow, url)| WebhookUrl { flow, url })
            .collect(),
        created_at: rfc3339(i.created_at),
        updated_at: rfc3339(i.updated_at),
    }
}

/// The answer an activation keeps with its `Idempotency-Key`, and what a replay decodes.
pub fn record(shown: &ShownInstance) -> String {
    serde_json::to_string(&view(shown.clone())).unwrap_or_default()
}

/// The instance of an activation's answer (a replay's recorded answer decoded).
pub fn activated_view(activated: Activated) -> ApiResult<(InstanceView, bool)> {
    match activated {
        Activated::New(shown) => Ok((view(*shown), false)),
        Activated::Replayed(answer) => serde_json::from_str(&answer)
            .map(|v| (v, true))
            .map_err(|e| ApiError::Internal(format!("a recorded answer does not decode: {e}"))),
    }
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
    customers::get(&state, &admin.organization_id, &customer_id).await?;
    let body: ActivationBody = decode(body)?;
    let marketplace_id = marketplaces::default_id(&state, &admin.organization_id).await?;
    let snapshot = catalog::snapshot(&state, &admin.organization_id, &marketplace_id).await?;
    let activation = Activation {
        organization_id: &admin.organization_id,
        customer_id: &customer_id,
        integration_id: &body.integration_id,
        name: body.name,
        values: body.config,
        editor: Editor::Organization,
        embedded_values: None,
        idempotency: None,
        one_click: None,
        marketplace_id: None,
    };
    let (view, _) =
        activated_view(instances::activate(&state, &snapshot, activation, record).await?)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// List instances of every customer.
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances", security(("api_key" = [])),
    params(InstanceQuery), responses((status = 200, body = List<InstanceView>)))]
async fn list_instances(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<InstanceQuery>,
) -> ApiResult<Json<List<InstanceView>>> {
    let status = query
        .status
        .as_ref()
        .map(|s| s.as_str().parse())
        .transpose()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                "status must be active, paused, needs_configuration or deactivated",
            )
        })?;
    let filter = InstanceFilter {
        customer_id: query.customer_id.clone(),
        integration_id: query.integration_id.clone(),
        status,
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = instances::list(
        &state,
        &admin.organization_id,
        &filter,
        &page,
        Audience::Organization,
    )
    .await?;
    Ok(Json(page_of(page, view)))
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
    Ok(Json(view(
        instances::show(&state, &instance, Audience::Organization).await?,
    )))
}

/// Reconfigure an instance (the vendor may set every variable, organization ones included) or
/// choose the flows that run (`enabled_flows`).
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
    let change = Reconfiguration {
        update: &update,
        name: body.name,
        editor: Editor::Organization,
        embedded_values: None,
        enabled_flows: body.enabled_flows,
    };
    Ok(Json(view(
        instances::reconfigure(&state, &admin.organization_id, &instance, change).await?,
    )))
}

/// Deactivate an instance (it stays listed as deactivated; its webhook URLs stop working); its
/// subscription ends, cancelled by the organization (never scored).
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn delete_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let ending = crate::service::subscriptions::Ending::by_organization();
    transition(&state, &admin, &id, Transition::Deactivate(ending)).await
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
    let (shown, report, mappings) =
        instances::upgrade(&state, &admin.organization_id, &instance, &body.version).await?;
    let mut report: marketplace_api::instances::UpgradeReport = report.into();
    report.mappings = mappings.into();
    Ok(Json(UpgradeResult {
        instance: view(shown),
        report,
    }))
}

/// Pause an instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/pause", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn pause_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    transition(&state, &admin, &id, Transition::Pause).await
}

/// Resume a paused instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/resume", tag = "instances", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn resume_instance(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    transition(&state, &admin, &id, Transition::Resume).await
}

/// Applies a state transition to one of the organization's instances.
async fn transition(
    state: &AppState,
    admin: &Admin,
    id: &str,
    transition: Transition,
) -> ApiResult<Json<InstanceView>> {
    let instance = instances::load(state, &admin.organization_id, id, None).await?;
    let shown = instances::transition(
        state,
        &admin.organization_id,
        &instance,
        transition,
        Audience::Organization,
    )
    .await?;
    Ok(Json(view(shown)))
}
