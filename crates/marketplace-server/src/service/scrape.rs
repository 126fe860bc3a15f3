//! A metrics scrape: the gauges read from the database and the pools (queue backlogs, pool
//! usage) set now, then every series rendered ([`crate::telemetry`]).

use crate::error::ApiResult;
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use std::time::Duration;

/// Every series in the Prometheus text format, the gauges read now.
#[tracing::instrument(name = "scrape::scrape", level = "debug", skip_all)]
pub async fn scrape(state: &AppState) -> ApiResult<String> {
    let now = now_ms();
    for backlog in store::backlog::backlogs(&state.store).await? {
        let overdue_ms = backlog
            .earliest_due
            .map_or(0, |due| now.saturating_sub(due).max(0));
        crate::telemetry::queue(
            backlog.queue,
            backlog.pending,
            Duration::from_millis(overdue_ms as u64),
        );
    }
    let db = &state.store.db;
    for (name, pool) in [("read", &db.read), ("write", &db.write)] {
        crate::telemetry::pool(
            name,
            pool.num_idle(),
            pool.size(),
            pool.options().get_max_connections(),
        );
    }
    Ok(crate::telemetry::render())
}
