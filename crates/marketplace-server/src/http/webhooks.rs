//! `POST /webhooks/{secret}`: runs the instance's flow with the payload and records an execution
//! (202 with its id); an unknown secret is 404.
//!
//! Shared webhook triggers: `PUT|GET|DELETE /api/v1/integrations/{id}/shared-webhook`,
//! `POST /api/v1/integrations/{id}/shared-webhook/key` (a new key, shown once), and
//! `POST /webhooks/shared/{integration_id}/{flow}` (202 with one execution per active instance).

use crate::error::ApiResult;
use crate::http::decode;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::service::auth::Admin;
use crate::service::runner;
use crate::service::shared_webhooks::{self, Call, SharedWebhook};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use marketplace_api::webhooks::{
    Accepted, RouteBy, SharedAccepted, SharedWebhookInput, SharedWebhookKey, SharedWebhookView,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trigger))
        .routes(routes!(shared_trigger))
        .routes(routes!(
            put_shared_webhook,
            get_shared_webhook,
            delete_shared_webhook
        ))
        .routes(routes!(rotate_shared_webhook_key))
}

/// A payload as a flow's input: JSON, or any other text as `{"body": text}`.
fn input_of(body: &[u8]) -> Value {
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| serde_json::json!({"body": String::from_utf8_lossy(body)}))
    }
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
    let input = input_of(&body);
    let execution_id = runner::trigger(&state, &secret, &input).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { execution_id })))
}

/// The query of a shared webhook call.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct KeyQuery {
    /// The shared webhook's key, when not in `X-Webhook-Key`.
    key: Option<String>,
}

/// Call a shared webhook: the payload (JSON, or any text as `{"body": text}`) runs the flow of
/// every active instance of the customer it names.
#[utoipa::path(post, path = "/webhooks/shared/{integration_id}/{flow}", tag = "webhooks", security(()),
    params(("integration_id" = String, Path, description = "The integration"),
           ("flow" = String, Path, description = "A webhook flow of its versions"), KeyQuery,
           ("X-Webhook-Key" = Option<String>, Header, description = "The shared webhook's key")),
    request_body(content = Object, description = "Any payload"),
    responses((status = 202, body = SharedAccepted)))]
async fn shared_trigger(
    State(state): State<AppState>,
    ApiPath((integration_id, flow)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<KeyQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SharedAccepted>)> {
    let input = input_of(&body);
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let key = headers
        .get("x-webhook-key")
        .and_then(|v| v.to_str().ok())
        .or(query.key.as_deref());
    let call = Call {
        integration_id: &integration_id,
        flow: &flow,
        key,
        input: &input,
        headers: &pairs,
    };
    let execution_ids = shared_webhooks::trigger(&state, call).await?;
    Ok((StatusCode::ACCEPTED, Json(SharedAccepted { execution_ids })))
}

fn shared_view(shared: SharedWebhook) -> SharedWebhookView {
    SharedWebhookView {
        integration_id: shared.integration_id,
        route_by: RouteBy::from(&shared.route_by),
        url_template: shared.url_template,
        key: shared.key,
    }
}

/// Create (201, with its key, shown once) or change (200) the integration's shared webhook.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/shared-webhook", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), request_body = SharedWebhookInput,
    responses((status = 201, body = SharedWebhookView), (status = 200, body = SharedWebhookView)))]
async fn put_shared_webhook(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<SharedWebhookView>)> {
    let body: SharedWebhookInput = decode(body)?;
    let route_by = serde_json::to_value(&body.route_by).unwrap_or_default();
    let (created, shared) =
        shared_webhooks::put(&state, &admin.organization_id, &id, &route_by).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(shared_view(shared))))
}

/// Get the integration's shared webhook (without its key).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/shared-webhook", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")),
    responses((status = 200, body = SharedWebhookView)))]
async fn get_shared_webhook(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SharedWebhookView>> {
    let shared = shared_webhooks::get(&state, &admin.organization_id, &id).await?;
    Ok(Json(shared_view(shared)))
}

/// Delete the integration's shared webhook; its URLs answer 404 from now on.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/shared-webhook", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn delete_shared_webhook(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    shared_webhooks::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the shared webhook's key: the new key is shown once; the old one stops working.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/shared-webhook/key", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")),
    responses((status = 200, body = SharedWebhookKey)))]
async fn rotate_shared_webhook_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SharedWebhookKey>> {
    let key = shared_webhooks::rotate_key(&state, &admin.organization_id, &id).await?;
    Ok(Json(SharedWebhookKey { key }))
}
