//! What happened: `GET /api/v1/logs`, `GET /api/v1/executions` and `GET /api/v1/events`, with
//! every filter of the contract. The embedded API reuses the log and execution queries for one
//! instance.

use crate::auth::Admin;
use crate::db::{parse_rfc3339, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::http::{Filter, FilterArg, List, PageQuery, fetch_page, like_pattern};
use crate::runner::{EXECUTION_SELECT, ExecutionRow, ExecutionView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_logs))
        .routes(routes!(list_executions))
        .routes(routes!(list_events))
}

/// A log line.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct LogView {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version.
    pub version: String,
    /// The instance.
    pub instance_id: String,
    /// The execution, if any.
    pub execution_id: Option<String>,
    /// `info`, `warn` or `error`.
    pub severity: String,
    /// `execution`, `delivery` or `lifecycle`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub log_type: String,
    /// The message.
    pub message: String,
    /// When (RFC 3339).
    #[sqlx(skip)]
    pub at: String,
    /// When, in milliseconds (internal).
    #[serde(skip)]
    #[sqlx(rename = "at")]
    pub at_ms: i64,
}

/// Filters of the log list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Case-insensitive substring of the message.
    pub q: Option<String>,
    /// `info`, `warn` or `error`.
    pub severity: Option<String>,
    /// `execution`, `delivery` or `lifecycle`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub log_type: Option<String>,
    /// From this time (RFC 3339, inclusive).
    pub since: Option<String>,
    /// Until this time (RFC 3339, exclusive).
    pub until: Option<String>,
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this integration's.
    pub integration_id: Option<String>,
    /// Only this version's.
    pub version: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl LogQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

fn time_filter(
    filter: &mut Filter,
    column: &str,
    since: Option<&str>,
    until: Option<&str>,
) -> ApiResult<()> {
    for (value, op, name) in [(since, ">=", "since"), (until, "<", "until")] {
        if let Some(value) = value {
            let ms = parse_rfc3339(value).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("{name} must be an RFC 3339 timestamp"),
                )
            })?;
            filter.and(&format!("{column} {op} ?"), [FilterArg::Int(ms)]);
        }
    }
    Ok(())
}

fn common_filter(
    organization_id: &str,
    customer_id: Option<&str>,
    integration_id: Option<&str>,
    version: Option<&str>,
    instance_id: Option<&str>,
) -> Filter {
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(organization_id.to_owned())],
    );
    filter
        .and_opt("customer_id = ?", customer_id)
        .and_opt("integration_id = ?", integration_id)
        .and_opt("version = ?", version)
        .and_opt("instance_id = ?", instance_id);
    filter
}

/// Logs matching a query, for the organization.
pub async fn list_logs_for(
    state: &AppState,
    organization_id: &str,
    query: LogQuery,
) -> ApiResult<List<LogView>> {
    if query
        .severity
        .as_deref()
        .is_some_and(|s| !matches!(s, "info" | "warn" | "error"))
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "severity must be info, warn or error",
        ));
    }
    let mut filter = common_filter(
        organization_id,
        query.customer_id.as_deref(),
        query.integration_id.as_deref(),
        query.version.as_deref(),
        query.instance_id.as_deref(),
    );
    filter
        .and_opt("severity = ?", query.severity.as_deref())
        .and_opt("type = ?", query.log_type.as_deref());
    if let Some(q) = query.q.as_deref().filter(|q| !q.is_empty()) {
        filter.and(
            "lower(message) LIKE ? ESCAPE '\\'",
            [FilterArg::Text(like_pattern(q))],
        );
    }
    time_filter(
        &mut filter,
        "at",
        query.since.as_deref(),
        query.until.as_deref(),
    )?;
    let select = "SELECT id, customer_id, integration_id, version, instance_id, execution_id, severity, type, message, at FROM logs";
    let (rows, limit) = fetch_page::<LogView>(state, select, filter, &query.page()).await?;
    Ok(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        |r| LogView {
            at: rfc3339(r.at_ms),
            ..r
        },
    ))
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
        list_logs_for(&state, &admin.organization_id, query).await?,
    ))
}

/// Filters of the execution list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExecutionQuery {
    /// Case-insensitive substring of the flow name.
    pub q: Option<String>,
    /// Status: `queued`, `running`, `succeeded` or `failed`.
    pub status: Option<String>,
    /// Trigger: `webhook` or `test`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub trigger: Option<String>,
    /// From this time (RFC 3339, inclusive).
    pub since: Option<String>,
    /// Until this time (RFC 3339, exclusive).
    pub until: Option<String>,
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this integration's.
    pub integration_id: Option<String>,
    /// Only this version's.
    pub version: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl ExecutionQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// Executions matching a query, for the organization.
pub async fn list_executions_for(
    state: &AppState,
    organization_id: &str,
    query: ExecutionQuery,
) -> ApiResult<List<ExecutionView>> {
    let mut filter = common_filter(
        organization_id,
        query.customer_id.as_deref(),
        query.integration_id.as_deref(),
        query.version.as_deref(),
        query.instance_id.as_deref(),
    );
    filter
        .and_opt("status = ?", query.status.as_deref())
        .and_opt("trigger = ?", query.trigger.as_deref());
    if let Some(q) = query.q.as_deref().filter(|q| !q.is_empty()) {
        filter.and(
            "lower(flow) LIKE ? ESCAPE '\\'",
            [FilterArg::Text(like_pattern(q))],
        );
    }
    time_filter(
        &mut filter,
        "started_at",
        query.since.as_deref(),
        query.until.as_deref(),
    )?;
    let (rows, limit) =
        fetch_page::<ExecutionRow>(state, EXECUTION_SELECT, filter, &query.page()).await?;
    Ok(List::page(
        rows,
        limit,
        |r| r.id().to_owned(),
        ExecutionView::from,
    ))
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
        list_executions_for(&state, &admin.organization_id, query).await?,
    ))
}

/// An event: a state change, stored with it.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct EventView {
    /// Id.
    pub id: String,
    /// `instance.activated`, `customer.created`, ...
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub event_type: String,
    /// When (RFC 3339).
    #[sqlx(skip)]
    pub at: String,
    /// When, in milliseconds (internal).
    #[serde(skip)]
    #[sqlx(rename = "at")]
    pub at_ms: i64,
    /// The customer.
    pub customer_id: Option<String>,
    /// The integration.
    pub integration_id: Option<String>,
    /// The instance.
    pub instance_id: Option<String>,
    /// Details (never a secret).
    #[sqlx(skip)]
    #[schema(value_type = Object)]
    pub data: Value,
    /// Details as stored (internal).
    #[serde(skip)]
    #[sqlx(rename = "data")]
    pub data_text: String,
}

/// Filters of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// From this time (RFC 3339, inclusive).
    pub since: Option<String>,
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl EventQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
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
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    filter
        .and_opt("type = ?", query.event_type.as_deref())
        .and_opt("instance_id = ?", query.instance_id.as_deref());
    time_filter(&mut filter, "at", query.since.as_deref(), None)?;
    let select = "SELECT id, type, at, customer_id, integration_id, instance_id, data FROM events";
    let (rows, limit) = fetch_page::<EventView>(&state, select, filter, &query.page()).await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        |r| EventView {
            at: rfc3339(r.at_ms),
            data: serde_json::from_str(&r.data_text).unwrap_or_default(),
            ..r
        },
    )))
}
