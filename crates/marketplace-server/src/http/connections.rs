//! OAuth2 authorization-code connections: `POST /api/v1/embedded/instances/{id}/connections/{key}/authorize`
//! (and its admin twin under `/api/v1/instances/{id}/...`), `DELETE .../connections/{key}`, and
//! the provider's redirect `GET /oauth2/callback`, a page posting the outcome to its opener.

use crate::error::{ApiError, ApiResult};
use crate::http::embedded::own_instance;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::time::rfc3339;
use crate::service::auth::{Admin, CustomerUser};
use crate::service::connections::{self, CallbackOutcome, CallbackQuery};
use crate::service::instances;
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace_api::connections::{
    ConnectionAuthorization, ConnectionMessage, ConnectionMessageType, ConnectionStatus,
};
use marketplace_core::permission::Action;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(embedded_authorize))
        .routes(routes!(embedded_disconnect))
        .routes(routes!(admin_authorize))
        .routes(routes!(admin_disconnect))
        .routes(routes!(callback))
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

fn answer(authorization: connections::Authorization) -> Json<ConnectionAuthorization> {
    Json(ConnectionAuthorization {
        authorize_url: authorization.authorize_url,
        expires_at: rfc3339(authorization.expires_at),
    })
}

/// Start authorising a connection of one of the customer's instances: the URL to open in a
/// popup (single-use `state`, PKCE S256; 10 minutes). The callback posts the outcome to the
/// request's `Origin` (else the service's own).
#[utoipa::path(post, operation_id = "embedded_authorize_connection",
    path = "/api/v1/embedded/instances/{id}/connections/{key}/authorize", tag = "embedded",
    security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"),
        ("key" = String, Path, description = "The connection variable's key")),
    responses((status = 200, body = ConnectionAuthorization)))]
async fn embedded_authorize(
    State(state): State<AppState>,
    user: CustomerUser,
    headers: HeaderMap,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<ConnectionAuthorization>> {
    let instance = own_instance(&state, &user, Action::Reconfigure, &id).await?;
    let authorization = connections::authorize(
        &state,
        &user.organization_id,
        &instance,
        &key,
        Some(&user.user_id),
        origin(&headers),
    )
    .await?;
    Ok(answer(authorization))
}

/// Disconnect a connection of one of the customer's instances: its tokens are forgotten
/// (`not_connected`).
#[utoipa::path(delete, operation_id = "embedded_disconnect_connection",
    path = "/api/v1/embedded/instances/{id}/connections/{key}", tag = "embedded",
    security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"),
        ("key" = String, Path, description = "The connection variable's key")),
    responses((status = 204, description = "Disconnected")))]
async fn embedded_disconnect(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let instance = own_instance(&state, &user, Action::Reconfigure, &id).await?;
    connections::disconnect(&state, &user.organization_id, &instance, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start authorising a connection of an instance on the customer's behalf (see the embedded
/// operation).
#[utoipa::path(post, operation_id = "authorize_connection",
    path = "/api/v1/instances/{id}/connections/{key}/authorize", tag = "instances",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id"),
        ("key" = String, Path, description = "The connection variable's key")),
    responses((status = 200, body = ConnectionAuthorization)))]
async fn admin_authorize(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<ConnectionAuthorization>> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    let authorization = connections::authorize(
        &state,
        &admin.organization_id,
        &instance,
        &key,
        Some(&admin.key_id),
        origin(&headers),
    )
    .await?;
    Ok(answer(authorization))
}

/// Disconnect a connection of an instance (`not_connected`).
#[utoipa::path(delete, operation_id = "disconnect_connection",
    path = "/api/v1/instances/{id}/connections/{key}", tag = "instances",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id"),
        ("key" = String, Path, description = "The connection variable's key")),
    responses((status = 204, description = "Disconnected")))]
async fn admin_disconnect(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let instance = instances::load(&state, &admin.organization_id, &id, None).await?;
    connections::disconnect(&state, &admin.organization_id, &instance, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The provider's redirect.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CallbackParams {
    /// The authorization code.
    code: Option<String>,
    /// The state the authorization was issued with.
    state: Option<String>,
    /// The provider's error code (`access_denied`, ...).
    error: Option<String>,
    /// The provider's error description.
    error_description: Option<String>,
}

/// The provider's redirect after the customer decided: redeems the single-use `state` (400
/// `invalid_state` when unknown, used or lapsed, before any token request), exchanges the code,
/// and answers a page (`Cache-Control: no-store`, `Referrer-Policy: no-referrer`) that posts
/// `CONNECTION_AUTHORIZED` or `CONNECTION_FAILED` to `window.opener` at the recorded origin
/// only, then closes.
#[utoipa::path(get, operation_id = "oauth2_callback", path = "/oauth2/callback", tag = "embedded",
    security(()), params(CallbackParams),
    responses((status = 200, description = "A page posting the outcome to its opener", content_type = "text/html")))]
async fn callback(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<CallbackParams>,
) -> ApiResult<Response> {
    let outcome = connections::callback(
        &state,
        CallbackQuery {
            code: params.code,
            state: params.state,
            error: params.error,
            error_description: params.error_description,
        },
    )
    .await?;
    page(outcome)
}

/// The page: the message as JSON in a `<script type="application/json">`, read and posted by
/// an inline script allowed by its hash alone.
fn page(outcome: CallbackOutcome) -> ApiResult<Response> {
    let (origin, message, title) = match outcome {
        CallbackOutcome::Authorized {
            origin,
            instance_id,
            key,
            status,
        } => (
            origin,
            ConnectionMessage {
                message_type: ConnectionMessageType::ConnectionAuthorized,
                instance_id,
                key,
                status: Some(ConnectionStatus::from_wire(status.as_str())),
                error: None,
                error_description: None,
            },
            "Connected",
        ),
        CallbackOutcome::Failed {
            origin,
            instance_id,
            key,
            error,
            error_description,
        } => (
            origin,
            ConnectionMessage {
                message_type: ConnectionMessageType::ConnectionFailed,
                instance_id,
                key,
                status: None,
                error: Some(error),
                error_description,
            },
            "Not connected",
        ),
    };
    let data = serde_json::json!({"origin": origin, "message": message});
    // `<` escaped so the JSON cannot close its script element.
    let data = serde_json::to_string(&data)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .replace('<', "\\u003c");
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{title}. You can close this window.</p>\
         <script type=\"application/json\" id=\"outcome\">{data}</script>\
         <script>{CALLBACK_SCRIPT}</script></body></html>"
    );
    let csp = format!(
        "default-src 'none'; script-src '{}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        script_hash()
    );
    let csp = HeaderValue::from_str(&csp).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::CONTENT_SECURITY_POLICY, csp),
        ],
        html,
    )
        .into_response())
}

/// Posts the message to the opener at the recorded origin (never `*`), then closes.
const CALLBACK_SCRIPT: &str = "(function(){var d=JSON.parse(document.getElementById('outcome').textContent);\
if(window.opener){try{window.opener.postMessage(d.message,d.origin);}catch(e){}}\
setTimeout(function(){window.close();},50);})();";

/// `sha256-...` of [`CALLBACK_SCRIPT`] for the page's Content-Security-Policy.
fn script_hash() -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, CALLBACK_SCRIPT.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}
