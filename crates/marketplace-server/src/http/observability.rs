//! What happened: `GET /api/v1/logs`, `GET /api/v1/executions` and `GET /api/v1/events`, with
//! every filter of the contract. The embedded API reuses the log and execution queries for one
//! instance.

use crate::error::ApiResult;
use crate::http::extract::ApiQuery;
use crate::http::time::{parse_rfc3339, rfc3339};
use crate::http::{List, page_of, page_request};
use crate::service::activity::{
    self, EventFilter, EventRecord, ExecutionFilter, ExecutionRecord, LogFilter, LogRecord, Scope,
};
use crate::service::auth::Admin;
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use marketplace_api::observability::{
    EventQuery, EventType, EventView, ExecutionQuery, ExecutionStatus, ExecutionTrigger,
    ExecutionView, LogQuery, LogSeverity, LogType, LogView,
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_logs))
        .routes(routes!(list_executions))
        .routes(routes!(list_events))
}

fn log_view(r: LogRecord) -> LogView {
    LogView {
        id: r.id,
        customer_id: r.customer_id,
        integration_id: r.integration_id,
        version: r.version,
        instance_id: r.instance_id,
        execution_id: r.execution_id,
        severity: LogSeverity::from_wire(&r.severity),
        log_type: LogType::from_wire(&r.log_type),
        message: r.message,
        at: rfc3339(r.at),
    }
}

/// The wire form of an execution.
pub fn execution_view(r: ExecutionRecord) -> ExecutionView {
    ExecutionView {
        id: r.id,
        instance_id: r.instance_id,
        customer_id: r.customer_id,
        integration_id: r.integration_id,
        version: r.version,
        flow: r.flow,
        trigger: ExecutionTrigger::from_wire(&r.trigger),
        status: ExecutionStatus::from_wire(&r.status),
        attempts: u32::try_from(r.attempts).unwrap_or_default(),
        steps: serde_json::from_value(r.steps).unwrap_or_default(),
        started_at: rfc3339(r.started_at),
        finished_at: r.finished_at.map(rfc3339),
    }
}

/// The scope of a log or execution query: customer, integration, version, instance and time
/// range (RFC 3339, a 400 naming a bad one). A macro: the two query types share field names, not
/// a type.
macro_rules! scope_of {
    ($query:expr) => {
        Scope {
            customer_id: $query.customer_id.clone(),
            integration_id: $query.integration_id.clone(),
            version: $query.version.clone(),
            instance_id: $query.instance_id.clone(),
            since: parse_rfc3339("since", $query.since.as_deref())?,
            until: parse_rfc3339("until", $query.until.as_deref())?,
        }
    };
}

/// The store's filter of a log query (times parsed; 400 naming a bad one).
fn log_filter(query: &LogQuery) -> ApiResult<LogFilter> {
    Ok(LogFilter {
        scope: scope_of!(query),
        q: query.q.clone(),
        severity: query.severity.as_ref().map(|s| s.as_str().to_owned()),
        log_type: query.log_type.as_ref().map(|t| t.as_str().to_owned()),
    })
}

/// A page of logs of the organization, newest first, for a query.
pub async fn logs_page(
    state: &AppState,
    organization_id: &str,
    query: &LogQuery,
) -> ApiResult<List<LogView>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = activity::logs(state, organization_id, &log_filter(query)?, &page).await?;
    Ok(page_of(page, log_view))
}

/// Search logs.
#[utoipa::path(get, path = "/api/v1/logs", tag = "observability", security(("api_key" = [])),
    params(LogQuery), responses((status = 200, body = List<LogView>)))]
async fn list_logs(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Json<List<LogView>>> {
    Ok(Json(
        logs_page(&state, &admin.organization_id, &query).await?,
    ))
}

/// The store's filter of an execution query (times parsed; 400 naming a bad one).
fn execution_filter(query: &ExecutionQuery) -> ApiResult<ExecutionFilter> {
    Ok(ExecutionFilter {
        scope: scope_of!(query),
        q: query.q.clone(),
        status: query.status.as_ref().map(|s| s.as_str().to_owned()),
        trigger: query.trigger.as_ref().map(|t| t.as_str().to_owned()),
    })
}

/// A page of executions of the organization, newest first, for a query.
pub async fn executions_page(
    state: &AppState,
    organization_id: &str,
    query: &ExecutionQuery,
) -> ApiResult<List<ExecutionView>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page =
        activity::executions(state, organization_id, &execution_filter(query)?, &page).await?;
    Ok(page_of(page, execution_view))
}

/// Search executions.
#[utoipa::path(get, path = "/api/v1/executions", tag = "observability", security(("api_key" = [])),
    params(ExecutionQuery), responses((status = 200, body = List<ExecutionView>)))]
async fn list_executions(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> ApiResult<Json<List<ExecutionView>>> {
    Ok(Json(
        executions_page(&state, &admin.organization_id, &query).await?,
    ))
}

fn event_view(r: EventRecord) -> EventView {
    EventView {
        id: r.id,
        event_type: EventType::from_wire(&r.event_type),
        at: rfc3339(r.at),
        customer_id: r.customer_id,
        integration_id: r.integration_id,
        instance_id: r.instance_id,
        data: r.data,
    }
}

/// List events, oldest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "observability", security(("api_key" = [])),
    params(EventQuery), responses((status = 200, body = List<EventView>)))]
async fn list_events(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<Json<List<EventView>>> {
    let filter = EventFilter {
        since: parse_rfc3339("since", query.since.as_deref())?,
        event_type: query.event_type.as_ref().map(|t| t.as_str().to_owned()),
        instance_id: query.instance_id.clone(),
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = activity::events(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, event_view)))
}
