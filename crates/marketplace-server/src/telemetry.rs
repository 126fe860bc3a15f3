//! Metrics, in the Prometheus text format: the series the service records and how `GET /metrics`
//! renders them (served on `--metrics-listen`, or on the public listener behind
//! `--metrics-token`; see `http::metrics`).
//!
//! Series (every name is also in docs/operations.md):
//! - `http_request_duration_seconds{method, route, status}`: a histogram per route template
//!   (never the path itself, which holds webhook secrets); its `_count` counts requests;
//! - `marketplace_activations_total{result}`: `activated`, `replayed`, `refused` (4xx), `failed`;
//! - `marketplace_executions_total{status}`: flow executions finished, `succeeded` or `failed`;
//! - `marketplace_delivery_attempts_total{kind, result}`: flow deliveries (`kind="flow"`:
//!   `delivered`, `retry`, `failed`) and vendor event deliveries (`kind="event"`: `succeeded`,
//!   `retry`, `dead`);
//! - `marketplace_token_cache_total{result}`: embedded tokens found verified in the cache (`hit`)
//!   or verified again (`miss`);
//! - `marketplace_rescore_duration_seconds`: how long each pass of the listing re-scorer took (a
//!   summary: `_sum`, `_count` and quantiles);
//! - `marketplace_group_commit_writes`: how many writes each SQLite group commit took (a
//!   summary; `_sum / _count` is the mean batch);
//! - set when scraped: `marketplace_queue_depth{queue}` and `marketplace_queue_oldest_due_seconds{queue}`
//!   (how long the most overdue job has waited) for `event_deliveries` and `notifications`;
//!   `marketplace_db_pool_connections{pool, state}` (`idle`, `busy`) and
//!   `marketplace_db_pool_max_connections{pool}`.
//!
//! The recorder is installed once per process, by the first [`AppState`](crate::AppState).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Duration;

/// Buckets of the request latency histogram, in seconds (100 µs to 10 s).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed on first use; `None` if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &LATENCY_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The text of every series, for a scrape.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

/// Drains the histograms' samples into their buckets now and then, so memory stays flat between
/// scrapes (a task of every serving process).
pub async fn run_upkeep() {
    let Some(handle) = install() else { return };
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        handle.run_upkeep();
    }
}

/// The request histograms made so far, by route template, then method and status: a request
/// finds its handle here instead of building three label strings and the registry's key.
type RequestHistograms = HashMap<String, Vec<(axum::http::Method, u16, metrics::Histogram)>>;

static REQUEST_HISTOGRAMS: LazyLock<RwLock<RequestHistograms>> = LazyLock::new(Default::default);

/// One answered request: its method, route template (`None`: no route matched), status and time.
pub fn request(method: &axum::http::Method, route: Option<&str>, status: u16, elapsed: Duration) {
    let (route, seconds) = (route.unwrap_or("(no route)"), elapsed.as_secs_f64());
    {
        let made = REQUEST_HISTOGRAMS
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let found = made
            .get(route)
            .and_then(|made| made.iter().find(|(m, s, _)| m == method && *s == status));
        if let Some((_, _, histogram)) = found {
            histogram.record(seconds);
            return;
        }
    }
    let histogram = metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method.as_str().to_owned(),
        "route" => route.to_owned(),
        "status" => status.to_string(),
    );
    histogram.record(seconds);
    REQUEST_HISTOGRAMS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(route.to_owned())
        .or_default()
        .push((method.clone(), status, histogram));
}

/// One activation request's result: `activated`, `replayed`, `refused` or `failed`.
pub fn activation(result: &'static str) {
    metrics::counter!("marketplace_activations_total", "result" => result).increment(1);
}

/// One pass of the listing re-scorer, which took `took`.
pub fn rescored(took: Duration) {
    metrics::histogram!("marketplace_rescore_duration_seconds").record(took.as_secs_f64());
}

/// One batch of the SQLite writer (`store::group_commit`), of `writes` writes.
pub fn group_commit(writes: usize) {
    metrics::histogram!("marketplace_group_commit_writes").record(writes as f64);
}

/// One flow execution finished, `succeeded` or `failed`.
pub fn execution(status: &'static str) {
    metrics::counter!("marketplace_executions_total", "status" => status).increment(1);
}

/// One delivery attempt: `kind` `flow` or `event`, and what came of it.
pub fn delivery_attempt(kind: &'static str, result: &'static str) {
    metrics::counter!("marketplace_delivery_attempts_total", "kind" => kind, "result" => result)
        .increment(1);
}

/// One embedded token checked: found verified in the cache, or verified again.
pub fn token_cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("marketplace_token_cache_total", "result" => result).increment(1);
}

/// A queue's backlog, as found when scraped: pending jobs and how long the most overdue waited.
pub fn queue(queue: &'static str, depth: i64, oldest_due: Duration) {
    metrics::gauge!("marketplace_queue_depth", "queue" => queue).set(depth as f64);
    metrics::gauge!("marketplace_queue_oldest_due_seconds", "queue" => queue)
        .set(oldest_due.as_secs_f64());
}

/// A database pool's connections, as found when scraped.
pub fn pool(pool: &'static str, idle: usize, size: u32, max: u32) {
    let busy = (size as usize).saturating_sub(idle);
    metrics::gauge!("marketplace_db_pool_connections", "pool" => pool, "state" => "idle")
        .set(idle as f64);
    metrics::gauge!("marketplace_db_pool_connections", "pool" => pool, "state" => "busy")
        .set(busy as f64);
    metrics::gauge!("marketplace_db_pool_max_connections", "pool" => pool).set(f64::from(max));
}
