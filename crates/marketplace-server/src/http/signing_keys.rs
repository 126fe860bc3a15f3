//! `POST/GET /api/v1/signing-keys`, `DELETE /api/v1/signing-keys/{kid}`: the host app's public
//! keys, by `kid`; several live at once so a host can rotate.

use crate::auth::{Admin, parse_signing_key};
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{Filter, FilterArg, List, PageQuery, decode, fetch_page_by};
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
        .routes(routes!(create_signing_key, list_signing_keys))
        .routes(routes!(delete_signing_key))
}

/// A registered public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyView {
    /// Key id, as tokens name it in their header.
    pub kid: String,
    /// `RS256`, `ES256` or `EdDSA`; tokens must use it.
    pub algorithm: String,
    /// The public key (PEM).
    pub public_key_pem: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// Body of `POST /api/v1/signing-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyCreate {
    /// Key id.
    pub kid: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub algorithm: String,
    /// The public key (PEM, SubjectPublicKeyInfo).
    pub public_key_pem: String,
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
    let mut errors = Vec::new();
    if body.kid.trim().is_empty() || body.kid.len() > 200 {
        errors.push(FieldError::new(
            "/kid",
            FieldErrorCode::Empty,
            "kid must hold 1 to 200 characters",
        ));
    }
    if !matches!(body.algorithm.as_str(), "RS256" | "ES256" | "EdDSA") {
        errors.push(FieldError::new(
            "/algorithm",
            FieldErrorCode::Option,
            "must be RS256, ES256 or EdDSA",
        ));
    } else if let Err(e) = parse_signing_key(&body.algorithm, &body.public_key_pem) {
        errors.push(FieldError::new(
            "/public_key_pem",
            FieldErrorCode::Format,
            e,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = now_ms();
    sqlx::query(
        "INSERT INTO signing_keys (organization_id, kid, algorithm, public_key_pem, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&admin.organization_id)
    .bind(&body.kid)
    .bind(&body.algorithm)
    .bind(&body.public_key_pem)
    .bind(now)
    .execute(&state.db.write)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => ApiError::conflict("duplicate_kid", "a signing key with this kid exists"),
        other => other,
    })?;
    state.tokens.forget_keys();
    Ok((
        StatusCode::CREATED,
        Json(SigningKeyView {
            kid: body.kid,
            algorithm: body.algorithm,
            public_key_pem: body.public_key_pem,
            created_at: rfc3339(now),
        }),
    ))
}

/// List the registered public keys.
#[utoipa::path(get, path = "/api/v1/signing-keys", tag = "organization", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<SigningKeyView>)))]
async fn list_signing_keys(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<SigningKeyView>>> {
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    let select = "SELECT kid, algorithm, public_key_pem, created_at FROM signing_keys";
    let (rows, limit) =
        fetch_page_by::<(String, String, String, i64)>(&state, select, "kid", filter, &page)
            .await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.0.clone(),
        |(kid, algorithm, public_key_pem, created)| SigningKeyView {
            kid,
            algorithm,
            public_key_pem,
            created_at: rfc3339(created),
        },
    )))
}

/// Delete a public key; tokens signed with it are refused from now on.
#[utoipa::path(delete, path = "/api/v1/signing-keys/{kid}", tag = "organization", security(("api_key" = [])),
    params(("kid" = String, Path, description = "Key id")), responses((status = 204)))]
async fn delete_signing_key(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(kid): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let done = sqlx::query("DELETE FROM signing_keys WHERE organization_id = $1 AND kid = $2")
        .bind(&admin.organization_id)
        .bind(&kid)
        .execute(&state.db.write)
        .await?;
    state.tokens.forget_keys();
    if done.rows_affected() == 0 {
        Err(ApiError::NotFound("signing key"))
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}
