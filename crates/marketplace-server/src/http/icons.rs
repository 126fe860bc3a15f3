//! Integration icons: `PUT|DELETE /api/v1/integrations/{id}/icon` (raw PNG, WebP or SVG, at most
//! 512 KiB) and the public `GET /icons/{sha256}.{png|svg}` an integration's `icon_url` points at.
//!
//! As with avatars, the last write wins against `PATCH /api/v1/integrations/{id}` (`icon_url`):
//! an upload points `icon_url` at the stored icon, a URL set afterwards replaces the pointer, and
//! `DELETE` removes the stored icon and clears `icon_url`, whoever set it.

use crate::error::{ApiError, ApiResult};
use crate::http::avatars::{declared_type, immutable_file, read_limited};
use crate::http::extract::ApiPath;
use crate::http::integrations::view;
use crate::service::auth::Admin;
use crate::service::icons;
use crate::service::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use marketplace_api::attachments::FileBytes;
use marketplace_api::integrations::IntegrationView;
use marketplace_core::attachment::{MAX_ICON_BYTES, icon_kind};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The route of icon uploads (its body limit is [`MAX_ICON_BYTES`]).
pub const ICON_ROUTE: &str = "/api/v1/integrations/{id}/icon";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_icon, delete_icon))
        .routes(routes!(get_icon))
}

/// Set an integration's icon: a PNG or WebP image (fitted into 256×256 and stored as PNG) or an
/// SVG (only its drawing kept: no script, style, link or image), at most 512 KiB; served at the
/// integration's new `icon_url`, named by its content hash (`integration.updated`).
#[utoipa::path(put, path = "/api/v1/integrations/{id}/icon", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")),
    request_body(content((FileBytes = "image/png"), (FileBytes = "image/webp"), (FileBytes = "image/svg+xml"))),
    responses((status = 200, body = IntegrationView)))]
async fn put_icon(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IntegrationView>> {
    let kind = icon_kind(declared_type(&headers)).map_err(|_| {
        ApiError::UnsupportedFileType(
            "an icon must be image/png, image/webp or image/svg+xml".into(),
        )
    })?;
    let bytes = read_limited(body, MAX_ICON_BYTES).await?;
    let record = icons::put_icon(&state, &admin.organization_id, &id, kind, bytes).await?;
    Ok(Json(view(record)))
}

/// Remove an integration's icon and clear its `icon_url` (`integration.updated`).
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/icon", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn delete_icon(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    icons::delete_icon(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An icon, by the name `icon_url` gives it (`{sha256}.png` or `{sha256}.svg`); public, cached
/// for a year (the name changes with the content). An SVG is served with a policy that lets it
/// run and load nothing, even opened on its own.
#[utoipa::path(get, path = "/icons/{file}", tag = "integrations", security(()),
    params(("file" = String, Path, description = "`{sha256}.png` or `{sha256}.svg`, as in an integration's `icon_url`")),
    responses((status = 200, content_type = "image/png", body = FileBytes)))]
async fn get_icon(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let (stored, content) = icons::icon_content(&state, &file).await?;
    let mut response = immutable_file(stored.content_type(), content);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(response)
}
