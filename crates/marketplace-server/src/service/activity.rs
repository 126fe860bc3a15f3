//! What happened: logs and executions (newest first) and events (oldest first), for the vendor
//! and, scoped to one instance, for its customer.

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest};

pub use crate::store::events::{EventFilter, EventRecord};
pub use crate::store::executions::{ExecutionFilter, ExecutionRecord, LogFilter, LogRecord, Scope};

/// Values a filter field accepts, or a 400 naming them.
fn check_one_of(name: &str, value: Option<&str>, allowed: &[&str]) -> ApiResult<()> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::bad_request(
            "invalid_query",
            format!("{name} must be one of: {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// A page of the organization's logs, newest first.
#[tracing::instrument(name = "activity::logs", level = "debug", skip_all)]
pub async fn logs(
    state: &AppState,
    organization_id: &str,
    filter: &LogFilter,
    page: &PageRequest,
) -> ApiResult<Page<LogRecord>> {
    check_one_of(
        "severity",
        filter.severity.as_deref(),
        &["info", "warn", "error"],
    )?;
    check_one_of(
        "type",
        filter.log_type.as_deref(),
        &["execution", "delivery", "lifecycle"],
    )?;
    Ok(store::executions::logs(&state.store, organization_id, filter, page).await?)
}

/// A page of the organization's executions, newest first.
#[tracing::instrument(name = "activity::executions", level = "debug", skip_all)]
pub async fn executions(
    state: &AppState,
    organization_id: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> ApiResult<Page<ExecutionRecord>> {
    check_one_of(
        "status",
        filter.status.as_deref(),
        &["queued", "running", "succeeded", "failed"],
    )?;
    check_one_of(
        "type",
        filter.trigger.as_deref(),
        &["webhook", "shared_webhook", "schedule", "test"],
    )?;
    Ok(store::executions::list(&state.store, organization_id, filter, page).await?)
}

/// A page of the organization's events, oldest first.
#[tracing::instrument(name = "activity::events", level = "debug", skip_all)]
pub async fn events(
    state: &AppState,
    organization_id: &str,
    filter: &EventFilter,
    page: &PageRequest,
) -> ApiResult<Page<EventRecord>> {
    Ok(store::events::list(&state.store, organization_id, filter, page).await?)
}
