//! `POST/GET /api/v1/signing-keys`, `DELETE /api/v1/signing-keys/{kid}`: the host app's public
//! keys, by `kid`; several live at once so a host can rotate.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::organization::{self, SigningKey};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::signing_keys::{Algorithm, SigningKeyCreate, SigningKeyView};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_signing_key, list_signing_keys))
        .routes(routes!(delete_signing_key))
}

fn view(key: SigningKey) -> SigningKeyView {
    SigningKeyView {
        kid: key.kid,
        algorithm: Algorithm::from_wire(&key.algorithm),
        public_key_pem: key.public_key_pem,
        created_at: rfc3339(key.created_at),
    }
}

/// Register a public key of the host app.
#[utoipa::path(post, path = "/api/v1/signing-keys", tag = "organization", security(("api_key" = [])),
    request_body = SigningKeyCreate, responses((status = 201, body = SigningKeyView)))]
async fn create_signing_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<SigningKeyView>)> {
    let body: SigningKeyCreate = decode(body)?;
    let key = organization::create_signing_key(
        &state,
        &admin.organization_id,
        &body.kid,
        body.algorithm.as_str(),
        &body.public_key_pem,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(key))))
}

/// List the registered public keys.
#[utoipa::path(get, path = "/api/v1/signing-keys", tag = "organization", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<SigningKeyView>)))]
async fn list_signing_keys(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<SigningKeyView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let keys = organization::list_signing_keys(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(keys, view)))
}

/// Delete a public key; tokens signed with it are refused from now on.
#[utoipa::path(delete, path = "/api/v1/signing-keys/{kid}", tag = "organization", security(("api_key" = [])),
    params(("kid" = String, Path, description = "Key id")), responses((status = 204)))]
async fn delete_signing_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(kid): ApiPath<String>,
) -> ApiResult<StatusCode> {
    organization::delete_signing_key(&state, &admin.organization_id, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}
