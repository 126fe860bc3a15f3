//! `POST/GET /api/v1/api-keys`, `DELETE /api/v1/api-keys/{id}`: admin API keys, stored hashed;
//! the secret is shown once, in the creation response.

use crate::auth::Admin;
use crate::db::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::organization::{insert_api_key, new_api_key};
use crate::http::{Filter, FilterArg, List, PageQuery, decode, fetch_page};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_core::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(delete_api_key))
}

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub prefix: String,
    /// Creation time (RFC 3339).
    #[sqlx(skip)]
    pub created_at: String,
    /// Creation time in milliseconds (internal).
    #[serde(skip)]
    #[sqlx(rename = "created_at")]
    pub created_ms: i64,
}

/// A new API key with its secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The secret: use it as `Authorization: Bearer <secret>`; it is not shown again.
    pub secret: String,
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// Name, to tell keys apart.
    pub name: String,
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
    if body.name.trim().is_empty() {
        return Err(ApiError::field(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        )));
    }
    let secret = new_api_key();
    let mut tx = state.db.write.begin().await?;
    let id = insert_api_key(&mut tx, &admin.organization_id, body.name.trim(), &secret).await?;
    tx.commit().await?;
    let row: ApiKeyView =
        sqlx::query_as("SELECT id, name, prefix, created_at FROM api_keys WHERE id = $1")
            .bind(&id)
            .fetch_one(&state.db.write)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiKey {
            key: ApiKeyView {
                created_at: rfc3339(row.created_ms),
                ..row
            },
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
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    let (rows, limit) = fetch_page::<ApiKeyView>(
        &state,
        "SELECT id, name, prefix, created_at FROM api_keys",
        filter,
        &page,
    )
    .await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        |r| ApiKeyView {
            created_at: rfc3339(r.created_ms),
            ..r
        },
    )))
}

/// Delete an API key; requests with it fail from now on. The last key cannot be deleted.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "organization", security(("api_key" = [])),
    params(("id" = String, Path, description = "API key id")), responses((status = 204)))]
async fn delete_api_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.write.begin().await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE organization_id = $1")
        .bind(&admin.organization_id)
        .fetch_one(&mut *tx)
        .await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE id = $1 AND organization_id = $2")
            .bind(&id)
            .bind(&admin.organization_id)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(ApiError::NotFound("API key"));
    }
    if count <= 1 {
        return Err(ApiError::conflict(
            "last_api_key",
            "the organization's last API key cannot be deleted",
        ));
    }
    sqlx::query("DELETE FROM api_keys WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
