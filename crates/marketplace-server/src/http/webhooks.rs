//! `POST /webhooks/{secret}`: runs the instance's flow with the payload and records an execution
//! (202 with its id); an unknown secret is 404.

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::runner;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trigger))
}

/// The accepted trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The execution that runs the flow; follow it with the executions API.
    pub execution_id: String,
}

/// Trigger a flow: the body (JSON, or any text as `{"body": text}`) is the flow's input.
#[utoipa::path(post, path = "/webhooks/{secret}", tag = "webhooks",
    params(("secret" = String, Path, description = "The secret part of the flow's webhook URL")),
    request_body(content = Object, description = "Any payload"),
    responses((status = 202, body = Accepted)))]
async fn trigger(
    State(state): State<AppState>,
    ApiPath(secret): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT w.instance_id, w.flow, i.organization_id FROM webhook_urls w JOIN instances i ON i.id = w.instance_id WHERE w.token = $1",
    )
    .bind(&secret)
    .fetch_optional(&state.db.read)
    .await?;
    let (instance_id, flow, organization_id) = row.ok_or(ApiError::NotFound("webhook"))?;
    let instance = crate::instances::load(&state, &organization_id, &instance_id, None).await?;
    if instance.status != marketplace_core::InstanceStatus::Active {
        return Err(ApiError::conflict(
            "instance_not_active",
            format!("the instance is {}", instance.status.as_str()),
        ));
    }
    let input = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| serde_json::json!({"body": String::from_utf8_lossy(&body)}))
    };
    let execution_id = runner::enqueue(
        &state,
        &organization_id,
        &instance,
        &flow,
        "webhook",
        &input,
    )
    .await?;
    runner::spawn(state.clone(), execution_id.clone());
    Ok((StatusCode::ACCEPTED, Json(Accepted { execution_id })))
}
