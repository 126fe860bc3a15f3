//! `POST/GET /api/v1/api-keys`, `DELETE /api/v1/api-keys/{id}`: admin API keys, stored hashed;
//! the secret is shown once, in the creation response. A key is an `admin` or a `reviewer`
//! (reads, and decides what others filed).

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::organization::{self, ApiKey};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::api_keys::{ApiKeyCreate, ApiKeyRole, ApiKeyView, NewApiKey};
use marketplace_core::api_key::ApiKeyRole as CoreRole;
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(delete_api_key))
}

fn view(key: ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        role: ApiKeyRole::from_wire(&key.role),
        created_at: rfc3339(key.created_at),
    }
}

/// Create an API key; the response holds its secret, once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "organization", security(("api_key" = [])),
    request_body = ApiKeyCreate, responses((status = 201, body = NewApiKey)))]
async fn create_api_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewApiKey>)> {
    let body: ApiKeyCreate = decode(body)?;
    let role = match body.role.unwrap_or_default() {
        ApiKeyRole::Admin => CoreRole::Admin,
        ApiKeyRole::Reviewer => CoreRole::Reviewer,
        _ => {
            return Err(ApiError::field(FieldError::new(
                "/role",
                FieldErrorCode::Option,
                "role must be admin or reviewer",
            )));
        }
    };
    let (key, secret) =
        organization::create_api_key(&state, &admin.organization_id, &body.name, role).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiKey {
            key: view(key),
            secret,
        }),
    ))
}

/// List API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "organization", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<ApiKeyView>)))]
async fn list_api_keys(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<ApiKeyView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let keys = organization::list_api_keys(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(keys, view)))
}

/// Delete an API key; requests with it fail from now on. The last key cannot be deleted.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "organization", security(("api_key" = [])),
    params(("id" = String, Path, description = "API key id")), responses((status = 204)))]
async fn delete_api_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    organization::delete_api_key(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
