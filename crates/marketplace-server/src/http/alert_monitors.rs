//! `/api/v1/alert-monitors`: what the vendor watches and where its alerts go. The signing secret
//! of a monitor's webhooks is shown once, in the 201 creating it.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, page_of, page_request, time::rfc3339};
use crate::service::alerts::{self, AlertMonitor};
use crate::service::auth::Admin;
use crate::service::state::AppState;
use crate::store::alert_monitors::MonitorFilter;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::alert_monitors::{
    AlertMonitorCreate, AlertMonitorPatch, AlertMonitorQuery, AlertMonitorView, LastTriggered,
    MonitorScope, MonitorTarget, MonitorTrigger, NewAlertMonitor, TriggerType,
};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_alert_monitor, list_alert_monitors))
        .routes(routes!(
            get_alert_monitor,
            patch_alert_monitor,
            delete_alert_monitor
        ))
}

/// A stored `last_triggered` as shown.
fn last_triggered(value: &Value) -> Option<LastTriggered> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    Some(LastTriggered {
        at: rfc3339(value.get("at")?.as_i64()?),
        trigger: TriggerType::from_wire(value.get("trigger")?.as_str()?),
        message: text("message").unwrap_or_default(),
        instance_id: text("instance_id"),
        execution_id: text("execution_id"),
        event_id: text("event_id"),
        suppressed_count: value
            .get("suppressed_count")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
    })
}

fn view(record: AlertMonitor) -> AlertMonitorView {
    let monitor = &record.monitor;
    AlertMonitorView {
        name: monitor.name.clone(),
        enabled: monitor.enabled,
        scope: MonitorScope::from(&monitor.scope),
        triggers: monitor.triggers.iter().map(MonitorTrigger::from).collect(),
        targets: monitor.targets.iter().map(MonitorTarget::from).collect(),
        dedup_window_s: monitor.dedup_window_s,
        last_triggered: record.last_triggered.as_ref().and_then(last_triggered),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
        id: record.id,
    }
}

/// Create an alert monitor (every field error at once); the response holds the signing secret
/// of its webhooks, once.
#[utoipa::path(post, path = "/api/v1/alert-monitors", tag = "alerts", security(("api_key" = [])),
    request_body = AlertMonitorCreate, responses((status = 201, body = NewAlertMonitor)))]
async fn create_alert_monitor(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewAlertMonitor>)> {
    let (monitor, signing_secret) = alerts::create(&state, &admin.organization_id, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewAlertMonitor {
            monitor: view(monitor),
            signing_secret,
        }),
    ))
}

/// List alert monitors, optionally only those scoped to a customer or an instance.
#[utoipa::path(get, path = "/api/v1/alert-monitors", tag = "alerts", security(("api_key" = [])),
    params(AlertMonitorQuery), responses((status = 200, body = List<AlertMonitorView>)))]
async fn list_alert_monitors(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<AlertMonitorQuery>,
) -> ApiResult<Json<List<AlertMonitorView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let filter = MonitorFilter {
        customer_id: query.customer_id,
        instance_id: query.instance_id,
    };
    let list = alerts::list(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(list, view)))
}

/// Get an alert monitor with its latest alert.
#[utoipa::path(get, path = "/api/v1/alert-monitors/{id}", tag = "alerts", security(("api_key" = [])),
    params(("id" = String, Path, description = "Alert monitor id")),
    responses((status = 200, body = AlertMonitorView)))]
async fn get_alert_monitor(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AlertMonitorView>> {
    Ok(Json(view(
        alerts::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Change an alert monitor: the fields given replace its own (every field error at once).
#[utoipa::path(patch, path = "/api/v1/alert-monitors/{id}", tag = "alerts", security(("api_key" = [])),
    params(("id" = String, Path, description = "Alert monitor id")),
    request_body = AlertMonitorPatch, responses((status = 200, body = AlertMonitorView)))]
async fn patch_alert_monitor(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<AlertMonitorView>> {
    Ok(Json(view(
        alerts::update(&state, &admin.organization_id, &id, &body).await?,
    )))
}

/// Delete an alert monitor.
#[utoipa::path(delete, path = "/api/v1/alert-monitors/{id}", tag = "alerts", security(("api_key" = [])),
    params(("id" = String, Path, description = "Alert monitor id")), responses((status = 204)))]
async fn delete_alert_monitor(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    alerts::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
