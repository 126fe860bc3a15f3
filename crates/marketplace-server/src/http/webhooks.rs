//! `POST /webhooks/{secret}`: runs the instance's flow with the payload and records an execution
//! (202 with its id); an unknown secret is 404.

use crate::error::ApiResult;
use crate::http::extract::ApiPath;
use crate::service::runner;
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use marketplace_api::webhooks::Accepted;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trigger))
}

/// Trigger a flow: the body (JSON, or any text as `{"body": text}`) is the flow's input.
#[utoipa::path(post, path = "/webhooks/{secret}", tag = "webhooks", security(()),
    params(("secret" = String, Path, description = "The secret part of the flow's webhook URL")),
    request_body(content = Object, description = "Any payload"),
    responses((status = 202, body = Accepted)))]
async fn trigger(
    State(state): State<AppState>,
    ApiPath(secret): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let input = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| serde_json::json!({"body": String::from_utf8_lossy(&body)}))
    };
    let execution_id = runner::trigger(&state, &secret, &input).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { execution_id })))
}
