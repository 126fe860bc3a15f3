//! `/api/v1/vendor`: the vendor's own API. The inbound client of an event configuration gets an
//! access token (client credentials, HTTP Basic or form), reads the events sent to it and posts
//! their results.

use crate::error::{ApiError, ApiResult};
use crate::http::client_auth::client_credentials;
use crate::http::decode;
use crate::http::extract::{ApiJson, ApiPath};
use crate::service::deliveries;
use crate::service::state::AppState;
use crate::service::vendor::{self, TOKEN_LIFETIME_S, VendorClient};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use marketplace_api::vendor::{VendorResultBody, VendorToken, VendorTokenRequest};
use marketplace_core::delivery::VendorAnswer;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(vendor_token))
        .routes(routes!(vendor_event))
        .routes(routes!(vendor_result))
}

fn invalid_request(detail: &str) -> ApiError {
    ApiError::bad_request("invalid_request", detail)
}

/// The token request: form-encoded (RFC 6749) or JSON.
fn token_request(headers: &HeaderMap, body: &[u8]) -> ApiResult<VendorTokenRequest> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") {
        return serde_json::from_slice(body)
            .map_err(|e| invalid_request(&format!("the body is not a token request: {e}")));
    }
    let mut request = VendorTokenRequest {
        grant_type: String::new(),
        client_id: None,
        client_secret: None,
        scope: None,
    };
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "grant_type" => request.grant_type = value.into_owned(),
            "client_id" => request.client_id = Some(value.into_owned()),
            "client_secret" => request.client_secret = Some(value.into_owned()),
            "scope" => request.scope = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(request)
}

/// Get an access token for the inbound client (client credentials grant; HTTP Basic or form
/// credentials). Problems carry the OAuth2 `error` (`invalid_client` 401, `invalid_request`,
/// `unsupported_grant_type` 400).
#[utoipa::path(post, path = "/api/v1/vendor/oauth2/token", tag = "vendor", security(()),
    request_body(content = VendorTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = VendorToken)))]
async fn vendor_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<VendorToken>> {
    let request = token_request(&headers, &body)?;
    if request.grant_type != "client_credentials" {
        return Err(ApiError::bad_request(
            "unsupported_grant_type",
            "only the client_credentials grant is supported",
        ));
    }
    let (client_id, client_secret) =
        client_credentials(&headers, request.client_id, request.client_secret)?;
    let access_token = vendor::issue_token(&state, &client_id, &client_secret).await?;
    Ok(Json(VendorToken {
        access_token,
        token_type: "Bearer".into(),
        expires_in: TOKEN_LIFETIME_S,
    }))
}

/// Get an event as it was delivered to this client's configuration (404 for another
/// configuration's event).
#[utoipa::path(get, path = "/api/v1/vendor/events/{event_id}", tag = "vendor", security(("vendor_token" = [])),
    params(("event_id" = String, Path, description = "Event id (the `webhook-id`)")),
    responses((status = 200, description = "The delivered payload", body = Object)))]
async fn vendor_event(
    State(state): State<AppState>,
    client: VendorClient,
    ApiPath(event_id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        deliveries::vendor_event(&state, &client.configuration_id, &event_id).await?,
    ))
}

/// Post the result of an event (for an activation under `confirm` answered `202`: confirms or
/// refuses it). The same result again is accepted; another one is 409 `result_recorded`.
#[utoipa::path(post, path = "/api/v1/vendor/events/{event_id}/result", tag = "vendor", security(("vendor_token" = [])),
    params(("event_id" = String, Path, description = "Event id (the `webhook-id`)")),
    request_body = VendorResultBody, responses((status = 204)))]
async fn vendor_result(
    State(state): State<AppState>,
    client: VendorClient,
    ApiPath(event_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    let body: VendorResultBody = decode(body)?;
    let answer = VendorAnswer {
        success: body.success,
        message: body.message,
        error_code: body.error_code,
        account_identifier: body.account_identifier,
    };
    deliveries::record_result(
        &state,
        &client.configuration_id,
        &client.organization_id,
        &event_id,
        &answer,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
