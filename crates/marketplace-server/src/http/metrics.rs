//! `GET /metrics` (Prometheus text format): on its own listener (`--metrics-listen`), open to
//! whoever reaches it, and on the public listener only with `--metrics-token`, as a bearer
//! token. Not in the OpenAPI document: it is for the operator's scraper, not API clients.

use crate::error::{ApiError, ApiResult};
use crate::service::scrape::scrape;
use crate::service::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The public listener's `/metrics`, when a metrics token is set.
pub fn public_router(state: &AppState) -> Router<AppState> {
    match state.settings.metrics_token {
        Some(_) => Router::new().route("/metrics", get(with_token)),
        None => Router::new(),
    }
}

/// The app of the `--metrics-listen` listener: `GET /metrics` and nothing else.
pub fn listener_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(open))
        .fallback(|| async { ApiError::NotFound("route") })
        .with_state(state)
}

async fn open(State(state): State<AppState>) -> ApiResult<Response> {
    answer(&state).await
}

async fn with_token(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let expected = state.settings.metrics_token.as_deref().unwrap_or_default();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let same =
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes())
            .is_ok();
    if !same || expected.is_empty() {
        return Err(ApiError::Unauthorized {
            code: "invalid_metrics_token",
            detail: "GET /metrics needs the metrics token as a bearer token".into(),
        });
    }
    answer(&state).await
}

async fn answer(state: &AppState) -> ApiResult<Response> {
    let text = scrape(state).await?;
    Ok(([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}
